#pragma once

#include <stdexcept>

namespace streamswarm::bench {

// A benchmark that cannot run (missing program, plugin dir, psutil) throws this; main prints the
// message and exits 2, so a CI job cannot mistake a bench that did not run for a PASS.
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace streamswarm::bench

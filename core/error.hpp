#pragma once

#include <stdexcept>
#include <string>

namespace streamswarm::core {

// The one error type for start-up and configuration problems. Its message is meant for an
// operator: it names the file, section, key or plugin and says what to change.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace streamswarm::core

// The command line every benchmark reads the same way, with Boost.Program_options.
#pragma once

#include <boost/program_options.hpp>

#include <iostream>
#include <optional>

namespace streamswarm::bench {

inline constexpr int kExitCannotRun = 2;  // the benchmark could not run: never a PASS

// Parses argv into `vm`. Returns the status main should exit with now: 0 after --help (the
// options printed), kExitCannotRun after a bad option (the error and the options printed).
inline std::optional<int> parseOptions(int argc, char** argv, const boost::program_options::options_description& desc,
                                       boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n" << desc;
    return kExitCannotRun;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  return std::nullopt;
}

}  // namespace streamswarm::bench

// What tests that drive tool chains (cmake, compilers, readelf, the agent) need on top of
// tests/support/process.hpp: find a program on PATH, and run a step that must succeed, failing
// with its command line and output when it does not.
#pragma once

#include "tests/support/process.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::testsupport {

// Long build logs are cut to their end in failure messages: that is where the error is.
constexpr std::size_t kFailureOutputChars = 6000;

// The path of an executable `name` on PATH, or nothing when it is not installed.
inline std::optional<std::filesystem::path> findProgram(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// The command as a shell user would type it, for messages (not quoted for re-use).
inline std::string commandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  return out;
}

inline std::string tail(const std::string& text, std::size_t maxChars = kFailureOutputChars) {
  return text.size() <= maxChars ? text : "[...]" + text.substr(text.size() - maxChars);
}

// What a run printed, for a test's failure message.
inline std::string describe(const std::vector<std::string>& argv, const RunOutput& r) {
  return "$ " + commandLine(argv) + "\nexit status " + std::to_string(r.status) + "\n--- stdout\n" + tail(r.out) +
         "\n--- stderr\n" + tail(r.err);
}

// Runs a step that has to succeed (an install, a configure, a build); throws with the command and
// its output otherwise, so the test log shows why.
inline RunOutput runChecked(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  auto r = run(argv, limit);
  if (r.status != 0) throw std::runtime_error("step failed:\n" + describe(argv, r));
  return r;
}

}  // namespace streamswarm::testsupport

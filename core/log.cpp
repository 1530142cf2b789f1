#include "core/log.hpp"

#include "core/probe_result.hpp"

#include <chrono>
#include <cstdio>

namespace streamswarm::core {
namespace {
LogLevel gLevel = LogLevel::kInfo;
constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
}  // namespace

void setLogLevel(LogLevel level) {
  gLevel = level;
}

LogLevel logLevelFromName(const std::string& name) {
  for (int i = 0; i < 4; ++i)
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  return LogLevel::kInfo;
}

void logLine(LogLevel level, const std::string& message) {
  if (level < gLevel) return;
  const auto now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  std::fprintf(stderr, "%s %s: %s\n", rfc3339(now.count()).c_str(), kNames[static_cast<int>(level)], message.c_str());
}

}  // namespace streamswarm::core

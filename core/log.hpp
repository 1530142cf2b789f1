#pragma once

#include <string>

namespace streamswarm::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Agent diagnostics go to stderr as single lines; stdout carries results only.
void setLogLevel(LogLevel level);
LogLevel logLevelFromName(const std::string& name);  // debug, info, warning, error
void logLine(LogLevel level, const std::string& message);

}  // namespace streamswarm::core

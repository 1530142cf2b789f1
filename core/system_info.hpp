#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::core {

// The host facts an agent reports when it registers.
struct SystemInfo {
  std::string hostname;
  std::string os;      // PRETTY_NAME from os-release, else the kernel name
  std::string kernel;  // uname release
  std::string arch;    // uname machine
  std::int64_t cpus = 0;
  std::uint64_t memoryBytes = 0;
  std::int64_t bootTimeNs = 0;  // 0 when unknown
};

// Reads /proc, /etc/os-release, uname and sysconf; a fact that cannot be read stays empty or 0.
SystemInfo collectSystemInfo();

// The pure parts, on file contents.
std::optional<std::uint64_t> memTotalBytes(std::string_view meminfo);  // /proc/meminfo
std::optional<std::int64_t> bootTimeSeconds(std::string_view stat);    // /proc/stat "btime"
std::optional<std::string> osPrettyName(std::string_view osRelease);   // /etc/os-release

}  // namespace streamswarm::core

#include "core/system_info.hpp"

#include <streamswarm/config_values.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace streamswarm::core {
namespace {

std::string readSmallFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Calls f(line) for each line of text until it returns a value.
template <class F>
auto firstLine(std::string_view text, F f) -> decltype(f(text)) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (auto v = f(text.substr(0, end))) return v;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> memTotalBytes(std::string_view meminfo) {
  return firstLine(meminfo, [](std::string_view line) -> std::optional<std::uint64_t> {
    constexpr std::string_view kKey = "MemTotal:";
    if (line.substr(0, kKey.size()) != kKey) return std::nullopt;
    auto rest = values::trim(line.substr(kKey.size()));
    const auto space = rest.find(' ');
    const auto kib = values::parseInt(rest.substr(0, space));
    if (!kib || *kib < 0) return std::nullopt;
    const auto unit = space == std::string_view::npos ? std::string_view() : values::trim(rest.substr(space));
    return static_cast<std::uint64_t>(*kib) * (unit == "kB" ? 1024u : 1u);
  });
}

std::optional<std::int64_t> bootTimeSeconds(std::string_view stat) {
  return firstLine(stat, [](std::string_view line) -> std::optional<std::int64_t> {
    constexpr std::string_view kKey = "btime ";
    if (line.substr(0, kKey.size()) != kKey) return std::nullopt;
    return values::parseInt(line.substr(kKey.size()));
  });
}

std::optional<std::string> osPrettyName(std::string_view osRelease) {
  return firstLine(osRelease, [](std::string_view line) -> std::optional<std::string> {
    constexpr std::string_view kKey = "PRETTY_NAME=";
    if (line.substr(0, kKey.size()) != kKey) return std::nullopt;
    auto value = values::trim(line.substr(kKey.size()));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (value.empty()) return std::nullopt;
    return std::string(value);
  });
}

SystemInfo collectSystemInfo() {
  SystemInfo s;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) s.hostname = host;
  utsname u{};
  if (::uname(&u) == 0) {
    s.kernel = u.release;
    s.arch = u.machine;
    s.os = u.sysname;
  }
  if (auto name = osPrettyName(readSmallFile("/etc/os-release"))) s.os = *name;
  s.cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (auto mem = memTotalBytes(readSmallFile("/proc/meminfo"))) {
    s.memoryBytes = *mem;
  } else {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long size = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && size > 0) s.memoryBytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(size);
  }
  if (auto boot = bootTimeSeconds(readSmallFile("/proc/stat"))) s.bootTimeNs = *boot * 1'000'000'000;
  return s;
}

}  // namespace streamswarm::core

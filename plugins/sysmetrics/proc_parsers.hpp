// Pure parsers for the /proc and /sys text formats sysmetrics reads. They never throw on input: a
// line they cannot use is skipped and described in `warnings` ("line 3: ..."), so one odd line
// from an unusual kernel costs that line, not the run.
#pragma once

#include "snapshot.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::sysmetrics {

using Warnings = std::vector<std::string>;

// Whitespace-separated fields of one line, read front to back without allocating.
class Fields {
 public:
  explicit Fields(std::string_view text) : rest_(text) {}
  // The next field, or an empty view when there is none.
  std::string_view next();

 private:
  std::string_view rest_;
};

std::optional<std::uint64_t> parseUnsigned(std::string_view text);
std::optional<double> parseDecimal(std::string_view text);
std::string_view trimmed(std::string_view text);

// Calls fn(line, number) for each line of `text`, numbered from 1, without the '\n'.
template <class Fn>
void forEachLine(std::string_view text, Fn&& fn) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    fn(text.substr(0, end), ++number);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// The start of `line` for a warning message, so one huge line cannot flood the log.
std::string quoted(std::string_view line);

void parseKernelStat(std::string_view text, KernelStat& out, Warnings& warnings);
void parseMemInfo(std::string_view text, MemInfo& out, Warnings& warnings);
std::optional<LoadAvg> parseLoadAvg(std::string_view text, Warnings& warnings);
void parseDiskStats(std::string_view text, std::vector<DiskCounters>& out, Warnings& warnings);
void parseNetDev(std::string_view text, std::vector<NetCounters>& out, Warnings& warnings);
std::optional<FileNr> parseFileNr(std::string_view text, Warnings& warnings);
void parseMounts(std::string_view text, std::vector<MountEntry>& out, Warnings& warnings);
// Filesystem types of /proc/filesystems that need a block device (lines without "nodev"), plus
// "zfs", which is flagged nodev but holds real data: the rule psutil.disk_partitions() applies.
void parseDeviceFilesystems(std::string_view text, std::vector<std::string>& out);
// "cpu MHz" of each "processor" block of /proc/cpuinfo, named "cpu<processor>".
void parseCpuInfoMhz(std::string_view text, std::vector<CpuFrequency>& out, Warnings& warnings);
// Undoes the octal escapes (\040 for a blank, \011, \012, \134) of a /proc/self/mounts field.
std::string decodeMountField(std::string_view field);

// Counts the sockets of /proc/net/tcp and /proc/net/tcp6 by state, one line at a time, so a host
// with a million sockets needs no million-line buffer.
class TcpStateCounter {
 public:
  explicit TcpStateCounter(TcpStates& out) : out_(out) {}
  void addLine(std::string_view line, std::size_t number, Warnings& warnings);

 private:
  TcpStates& out_;
};

void countTcpStates(std::string_view text, TcpStates& out, Warnings& warnings);

}  // namespace streamswarm::sysmetrics

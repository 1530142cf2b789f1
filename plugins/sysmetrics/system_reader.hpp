// The I/O half of sysmetrics: reads /proc and /sys (under configurable roots, so tests can point
// it at recorded files), calls statvfs(), and fills a Snapshot. Everything it reads is handed to
// the pure parsers; what goes wrong is reported, never thrown.
#pragma once

#include "name_filter.hpp"
#include "proc_parsers.hpp"
#include "snapshot.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace streamswarm::sysmetrics {

struct ReaderConfig {
  std::string procRoot = "/proc";
  std::string sysRoot = "/sys";
  NameFilter interfaces;
  NameFilter disks;
  NameFilter mounts;  // matched against the mount point
  std::vector<std::string> excludeFsTypes;
  bool tcp = true;
};

// A source that could not be read or had lines that were skipped. `source` is the file (or mount
// point) concerned; the probe logs a source's warnings when it starts failing, not every run.
struct ReadWarning {
  std::string source;
  std::string message;
};

struct ReadProblems {
  std::vector<std::string> errors;  // a core file (stat, meminfo, loadavg) is unreadable
  std::vector<ReadWarning> warnings;

  void clear() {
    errors.clear();
    warnings.clear();
  }
};

// Named limits: a host with thousands of containers has thousands of veth interfaces and bind
// mounts; reporting all of them every second would cost more than the host is worth watching.
inline constexpr std::size_t kMaxInterfaces = 256;
inline constexpr std::size_t kMaxDisks = 256;
inline constexpr std::size_t kMaxFilesystems = 128;
inline constexpr std::size_t kMaxTemperatures = 64;
// Larger than any /proc file sysmetrics reads whole (the biggest, /proc/stat, is ~100 KB on a
// large server); a file that exceeds it is cut off with a warning.
inline constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;
// /proc/net/tcp is read in chunks of this size: it can be many megabytes on a busy server.
inline constexpr std::size_t kReadChunkBytes = 16 * 1024;

class SystemReader {
 public:
  explicit SystemReader(ReaderConfig config);

  // The counters that rates are computed from: /proc/stat, /proc/diskstats, /proc/net/dev.
  void readCounters(Snapshot& out, ReadProblems& problems);
  // Everything else, as it is now. Call after readCounters() on the same snapshot (the CPU list
  // comes from /proc/stat).
  void readLevels(Snapshot& out, ReadProblems& problems);

 private:
  // How much a missing file matters: a core file makes the result an error, a wanted one is
  // worth a warning, an optional one (tcp6 without IPv6, a sensor) is only left out.
  enum class Need { kCore, kWanted, kOptional };
  // Reads `path` whole into buffer_; false, with the reason in `problems`, when it cannot.
  bool readFile(const std::string& path, Need need, ReadProblems& problems);
  void takeWarnings(const std::string& source, ReadProblems& problems);

  void markWholeDisks(std::vector<DiskCounters>& disks) const;
  void readFilesystems(Snapshot& out, ReadProblems& problems);
  void readTcp(Snapshot& out, ReadProblems& problems);
  void readTemperatures(Snapshot& out, ReadProblems& problems);
  void readFrequencies(Snapshot& out, ReadProblems& problems);
  void countProcesses(Snapshot& out, ReadProblems& problems);

  ReaderConfig config_;
  // Reused between runs so a steady-state run allocates little.
  std::string buffer_;
  std::string path_;
  Warnings parseWarnings_;
  std::vector<MountEntry> mountEntries_;
  std::vector<std::string> deviceFsTypes_;
};

}  // namespace streamswarm::sysmetrics

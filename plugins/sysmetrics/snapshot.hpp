// The values sysmetrics reads from /proc and /sys at one instant, as plain data. Parsers fill these
// in, the reader gathers them into a Snapshot, and two snapshots make one result.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::sysmetrics {

// Time per CPU state in USER_HZ ticks, from one "cpu" line of /proc/stat. Fields a kernel does not
// print (older kernels have fewer columns) stay 0.
struct CpuTimes {
  std::uint64_t user = 0;
  std::uint64_t nice = 0;
  std::uint64_t system = 0;
  std::uint64_t idle = 0;
  std::uint64_t iowait = 0;
  std::uint64_t irq = 0;
  std::uint64_t softirq = 0;
  std::uint64_t steal = 0;
  std::uint64_t guest = 0;      // already included in user
  std::uint64_t guestNice = 0;  // already included in nice
};

struct CoreTimes {
  std::string name;  // "cpu0"
  CpuTimes times;
};

// /proc/stat.
struct KernelStat {
  std::optional<CpuTimes> total;
  std::vector<CoreTimes> cores;
  std::optional<std::uint64_t> contextSwitches;  // "ctxt", since boot
  std::optional<std::uint64_t> interrupts;       // first number of "intr", since boot
  std::optional<std::uint64_t> forks;            // "processes", since boot
  std::optional<std::uint64_t> procsRunning;
  std::optional<std::uint64_t> procsBlocked;
};

// The /proc/meminfo lines sysmetrics uses, in bytes.
struct MemInfo {
  std::optional<std::uint64_t> memTotal;
  std::optional<std::uint64_t> memFree;
  std::optional<std::uint64_t> memAvailable;
  std::optional<std::uint64_t> buffers;
  std::optional<std::uint64_t> cached;
  std::optional<std::uint64_t> sReclaimable;
  std::optional<std::uint64_t> shmem;
  std::optional<std::uint64_t> swapTotal;
  std::optional<std::uint64_t> swapFree;
};

// /proc/loadavg.
struct LoadAvg {
  double one = 0;
  double five = 0;
  double fifteen = 0;
  std::uint64_t runnable = 0;  // scheduling entities (threads) currently runnable
  std::uint64_t threads = 0;   // scheduling entities that exist
};

// One line of /proc/diskstats.
struct DiskCounters {
  std::string name;               // "sda", "nvme0n1p1", "cciss/c0d0"
  std::uint64_t reads = 0;        // completed
  std::uint64_t readSectors = 0;  // always 512-byte units, whatever the device's sector size
  std::uint64_t writes = 0;
  std::uint64_t writeSectors = 0;
  std::optional<std::uint64_t> ioTicksMs;  // time with I/O in flight; absent on old partition lines
  bool wholeDisk = true;                   // false for a partition (no /sys/block/<name>)
};

// One interface of /proc/net/dev.
struct NetCounters {
  std::string name;
  std::uint64_t rxBytes = 0;
  std::uint64_t rxPackets = 0;
  std::uint64_t rxErrors = 0;
  std::uint64_t rxDrops = 0;
  std::uint64_t txBytes = 0;
  std::uint64_t txPackets = 0;
  std::uint64_t txErrors = 0;
  std::uint64_t txDrops = 0;
};

// Kernel TCP states as numbered in include/net/tcp_states.h (and printed in /proc/net/tcp).
enum class TcpState : std::uint8_t {
  kEstablished = 1,
  kSynSent,
  kSynRecv,
  kFinWait1,
  kFinWait2,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kClosing,
};
inline constexpr std::size_t kTcpStateCount = 11;

struct TcpStates {
  std::array<std::uint64_t, kTcpStateCount + 1> byState{};  // index = kernel state number; [0] unused
  std::uint64_t total = 0;                                  // every socket line, known state or not
};

// /proc/sys/fs/file-nr.
struct FileNr {
  std::uint64_t allocated = 0;
  std::uint64_t unused = 0;  // always 0 since Linux 2.6
  std::uint64_t max = 0;
};

// One line of /proc/self/mounts, octal escapes decoded.
struct MountEntry {
  std::string device;
  std::string mountPoint;
  std::string fsType;
};

// statvfs() of one mounted filesystem.
struct FsUsage {
  std::string label;  // metric-name segment, see mountLabel()
  std::string mountPoint;
  std::string device;
  std::string fsType;
  std::uint64_t totalBytes = 0;      // f_blocks
  std::uint64_t freeBytes = 0;       // f_bfree: free including the root reserve
  std::uint64_t availableBytes = 0;  // f_bavail: free for unprivileged users
  std::uint64_t inodes = 0;          // 0 on filesystems without fixed inode tables (btrfs)
  std::uint64_t inodesFree = 0;
};

struct Temperature {
  std::string label;  // metric-name segment, see sensorLabel()
  double celsius = 0;
};

struct CpuFrequency {
  std::string core;  // "cpu0"
  double mhz = 0;
};

struct Snapshot {
  std::chrono::nanoseconds taken{0};  // host monotonic clock when the counters were read

  // Counters: rates come from the difference of two snapshots.
  KernelStat stat;
  std::vector<DiskCounters> disks;
  std::vector<NetCounters> nets;

  // Levels: reported as read, from the newer snapshot only.
  std::optional<MemInfo> mem;
  std::optional<LoadAvg> load;
  std::optional<TcpStates> tcp;
  std::optional<FileNr> files;
  std::optional<std::uint64_t> processCount;
  std::vector<FsUsage> filesystems;
  std::vector<Temperature> temperatures;
  std::vector<CpuFrequency> frequencies;

  void clearLevels() {
    mem.reset();
    load.reset();
    tcp.reset();
    files.reset();
    processCount.reset();
    filesystems.clear();
    temperatures.clear();
    frequencies.clear();
  }
};

}  // namespace streamswarm::sysmetrics

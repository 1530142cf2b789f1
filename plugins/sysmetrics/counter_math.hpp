// Arithmetic on cumulative kernel counters: how far a counter moved between two samples, telling
// a wrap from a reset, and CPU utilisation from two sets of CPU times.
#pragma once

#include "snapshot.hpp"

#include <cstdint>
#include <optional>

namespace streamswarm::sysmetrics {

// Width of the kernel's `unsigned long` counters (network, disk and /proc/stat totals). The agent
// is assumed to be built for the kernel's word size, as distribution packages are.
inline constexpr unsigned kKernelCounterBits = sizeof(unsigned long) * 8;
// /proc/diskstats prints its millisecond fields (io_ticks among them) as 32-bit unsigned ints on
// every kernel, so they wrap after about 49.7 days of busy time.
inline constexpr unsigned kDiskTicksCounterBits = 32;

// How far a counter of `bits` width (32 or 64) moved from `previous` to `current`:
//  - current >= previous: the difference;
//  - a 32-bit counter that went down by more than half its range wrapped: the distance through
//    2^32 (a counter is read far more often than it can travel half of 2^32);
//  - any other decrease is a reset (an interface re-created, a driver reloaded, a 64-bit counter,
//    which in practice never wraps): std::nullopt, so the caller reports no rate rather than a
//    huge or negative one, and the new value becomes the baseline for the next run.
std::optional<std::uint64_t> counterDelta(std::uint64_t previous, std::uint64_t current, unsigned bits);

// Share of CPU time spent in each state over an interval, in percent (0..100).
struct CpuUsage {
  double busy = 0;    // everything but idle and iowait (psutil.cpu_percent's definition)
  double user = 0;    // user + nice (guest time is already part of these)
  double system = 0;  // system + irq + softirq
  double iowait = 0;
  double steal = 0;  // time a hypervisor ran something else while this CPU wanted to run
};

// Utilisation between two readings of the same CPU line. Each state's ticks are compared
// separately and a state that went down counts as 0: idle and iowait are known to step back a
// little on tickless kernels, which is jitter, not a reset. std::nullopt when no tick elapsed.
std::optional<CpuUsage> cpuUsage(const CpuTimes& previous, const CpuTimes& current);

}  // namespace streamswarm::sysmetrics

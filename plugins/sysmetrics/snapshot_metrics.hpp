// Turns two snapshots into one result's metrics: levels from the newer snapshot, rates and CPU
// percentages from the difference. Pure, so the arithmetic is tested on recorded files.
#pragma once

#include "counter_math.hpp"
#include "snapshot.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::sysmetrics {

using MetricList = std::vector<std::pair<std::string, double>>;

struct MetricsOptions {
  bool perCpu = true;
  unsigned counterBits = kKernelCounterBits;
};

// /proc/meminfo as psutil.virtual_memory() and free(1) read it.
struct MemoryUsage {
  std::uint64_t total = 0;
  std::uint64_t available = 0;  // MemAvailable; free + cached + buffers on kernels before 3.14
  std::uint64_t used = 0;       // total - free - cached - buffers (total - free if that is negative)
  std::uint64_t free = 0;
  std::uint64_t cached = 0;  // Cached + SReclaimable
  std::uint64_t buffers = 0;
  std::uint64_t shared = 0;  // Shmem
  double usedPercent = 0;    // 100 * (total - available) / total: memory that cannot be handed out
};
std::optional<MemoryUsage> memoryUsage(const MemInfo& info);

struct SwapUsage {
  std::uint64_t total = 0;
  std::uint64_t used = 0;
  std::uint64_t free = 0;
  double usedPercent = 0;  // 0 without swap
};
std::optional<SwapUsage> swapUsage(const MemInfo& info);

// Used space as a share of what unprivileged users can have, like df(1) and psutil.disk_usage():
// used / (used + available), so a filesystem whose root reserve is all that is left shows 100.
double fsUsedPercent(const FsUsage& fs);

// Appends the metrics of the interval from `previous` to `current`. Counters that reset (see
// counterDelta) get no rate; each one is described in `resets`.
void appendMetrics(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, MetricList& out,
                   std::vector<std::string>& resets);

}  // namespace streamswarm::sysmetrics

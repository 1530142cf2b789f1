#include "counter_math.hpp"

#include <limits>

namespace streamswarm::sysmetrics {
namespace {

constexpr std::uint64_t kMax32 = std::numeric_limits<std::uint32_t>::max();

std::uint64_t ticks(std::uint64_t previous, std::uint64_t current) {
  return current >= previous ? current - previous : 0;
}

}  // namespace

std::optional<std::uint64_t> counterDelta(std::uint64_t previous, std::uint64_t current, unsigned bits) {
  if (current >= previous) return current - previous;
  if (bits <= 32 && previous <= kMax32) {
    const std::uint64_t wrapped = (kMax32 - previous) + current + 1;
    if (wrapped <= kMax32 / 2) return wrapped;
  }
  return std::nullopt;
}

std::optional<CpuUsage> cpuUsage(const CpuTimes& previous, const CpuTimes& current) {
  const auto user = ticks(previous.user, current.user) + ticks(previous.nice, current.nice);
  const auto system = ticks(previous.system, current.system) + ticks(previous.irq, current.irq) +
                      ticks(previous.softirq, current.softirq);
  const auto idle = ticks(previous.idle, current.idle);
  const auto iowait = ticks(previous.iowait, current.iowait);
  const auto steal = ticks(previous.steal, current.steal);
  const auto total = user + system + idle + iowait + steal;
  if (total == 0) return std::nullopt;
  const double scale = 100.0 / static_cast<double>(total);
  CpuUsage usage;
  usage.busy = static_cast<double>(total - idle - iowait) * scale;
  usage.user = static_cast<double>(user) * scale;
  usage.system = static_cast<double>(system) * scale;
  usage.iowait = static_cast<double>(iowait) * scale;
  usage.steal = static_cast<double>(steal) * scale;
  return usage;
}

}  // namespace streamswarm::sysmetrics

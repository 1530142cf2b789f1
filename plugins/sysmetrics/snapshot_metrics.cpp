#include "snapshot_metrics.hpp"

#include "labels.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

namespace streamswarm::sysmetrics {
namespace {

// /proc/diskstats counts sectors of 512 bytes whatever the device's real sector size.
constexpr double kDiskSectorBytes = 512;
constexpr double kMillisecondsPerSecond = 1000;

constexpr std::array<std::string_view, kTcpStateCount + 1> kTcpStateNames = {
    "",          "established", "syn_sent",   "syn_recv", "fin_wait1", "fin_wait2",
    "time_wait", "close",       "close_wait", "last_ack", "listen",    "closing"};

double percent(double part, double whole) {
  return whole > 0 ? 100.0 * part / whole : 0.0;
}

template <class T>
const T* findByName(const std::vector<T>& items, const std::string& name) {
  const auto it = std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  return it == items.end() ? nullptr : &*it;
}

// Appends metrics under one name prefix ("net.eth0.") and turns counter pairs into rates.
class Writer {
 public:
  Writer(MetricList& out, std::vector<std::string>& resets, double seconds)
      : out_(out), resets_(resets), seconds_(seconds) {}

  void value(std::string_view prefix, std::string_view name, double v) {
    std::string full;
    full.reserve(prefix.size() + name.size());
    full.append(prefix).append(name);
    out_.emplace_back(std::move(full), v);
  }

  // The per-second rate of a counter between two samples, unless it reset; returns the delta.
  std::optional<std::uint64_t> rate(std::string_view prefix, std::string_view name, std::uint64_t before,
                                    std::uint64_t after, unsigned bits, double scale = 1) {
    const auto delta = counterDelta(before, after, bits);
    if (!delta) {
      resets_.push_back(std::string(prefix) + std::string(name) + ": counter went from " + std::to_string(before) +
                        " to " + std::to_string(after) + "; treated as a reset, no rate this run");
      return std::nullopt;
    }
    if (seconds_ > 0) value(prefix, name, static_cast<double>(*delta) * scale / seconds_);
    return delta;
  }

  double seconds() const { return seconds_; }

 private:
  MetricList& out_;
  std::vector<std::string>& resets_;
  double seconds_;
};

void appendCpu(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, Writer& w) {
  const auto& now = current.stat;
  if (now.total && previous.stat.total && w.seconds() > 0) {
    if (const auto usage = cpuUsage(*previous.stat.total, *now.total)) {
      w.value("cpu.", "percent", usage->busy);
      w.value("cpu.", "user_percent", usage->user);
      w.value("cpu.", "system_percent", usage->system);
      w.value("cpu.", "iowait_percent", usage->iowait);
      w.value("cpu.", "steal_percent", usage->steal);
    }
  }
  if (!now.cores.empty()) w.value("cpu.", "count", static_cast<double>(now.cores.size()));
  if (options.perCpu && w.seconds() > 0) {
    // A core taken offline between the samples has no line in one of them: no percentage.
    for (const auto& core : now.cores)
      if (const auto* before = findByName(previous.stat.cores, core.name))
        if (const auto usage = cpuUsage(before->times, core.times))
          w.value("cpu." + core.name + ".", "percent", usage->busy);
  }
  if (!current.frequencies.empty()) {
    double sum = 0;
    for (const auto& f : current.frequencies) sum += f.mhz;
    w.value("cpu.", "frequency_mhz", sum / static_cast<double>(current.frequencies.size()));
    if (options.perCpu)
      for (const auto& f : current.frequencies) w.value("cpu." + f.core + ".", "frequency_mhz", f.mhz);
  }
  const auto kernelCounter = [&](std::string_view name, const std::optional<std::uint64_t>& before,
                                 const std::optional<std::uint64_t>& after) {
    if (!after) return;
    w.value("cpu.", std::string(name) + "_total", static_cast<double>(*after));
    if (before) w.rate("cpu.", std::string(name) + "_per_s", *before, *after, options.counterBits);
  };
  kernelCounter("context_switches", previous.stat.contextSwitches, now.contextSwitches);
  kernelCounter("interrupts", previous.stat.interrupts, now.interrupts);
}

void appendMemory(const Snapshot& current, Writer& w) {
  if (!current.mem) return;
  if (const auto m = memoryUsage(*current.mem)) {
    w.value("mem.", "total_bytes", static_cast<double>(m->total));
    w.value("mem.", "available_bytes", static_cast<double>(m->available));
    w.value("mem.", "used_bytes", static_cast<double>(m->used));
    w.value("mem.", "free_bytes", static_cast<double>(m->free));
    w.value("mem.", "cached_bytes", static_cast<double>(m->cached));
    w.value("mem.", "buffers_bytes", static_cast<double>(m->buffers));
    w.value("mem.", "shared_bytes", static_cast<double>(m->shared));
    w.value("mem.", "used_percent", m->usedPercent);
  }
  if (const auto s = swapUsage(*current.mem)) {
    w.value("swap.", "total_bytes", static_cast<double>(s->total));
    w.value("swap.", "used_bytes", static_cast<double>(s->used));
    w.value("swap.", "free_bytes", static_cast<double>(s->free));
    w.value("swap.", "used_percent", s->usedPercent);
  }
}

void appendDisks(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, Writer& w) {
  // Whole-disk totals leave partitions out, which the whole disk already counts.
  std::array<std::uint64_t, 4> total{};
  bool haveTotal = false;
  for (const auto& disk : current.disks) {
    const auto prefix = "disk." + nameLabel(disk.name) + ".";
    w.value(prefix, "read_bytes_total", static_cast<double>(disk.readSectors) * kDiskSectorBytes);
    w.value(prefix, "write_bytes_total", static_cast<double>(disk.writeSectors) * kDiskSectorBytes);
    w.value(prefix, "read_ops_total", static_cast<double>(disk.reads));
    w.value(prefix, "write_ops_total", static_cast<double>(disk.writes));
    const auto* before = findByName(previous.disks, disk.name);
    if (!before) continue;
    const auto bits = options.counterBits;
    const std::array<std::optional<std::uint64_t>, 4> delta = {
        w.rate(prefix, "read_bytes_per_s", before->readSectors, disk.readSectors, bits, kDiskSectorBytes),
        w.rate(prefix, "write_bytes_per_s", before->writeSectors, disk.writeSectors, bits, kDiskSectorBytes),
        w.rate(prefix, "read_ops_per_s", before->reads, disk.reads, bits),
        w.rate(prefix, "write_ops_per_s", before->writes, disk.writes, bits)};
    if (before->ioTicksMs && disk.ioTicksMs && w.seconds() > 0) {
      if (const auto busy = counterDelta(*before->ioTicksMs, *disk.ioTicksMs, kDiskTicksCounterBits))
        // In-flight accounting can run a few ms ahead of the wall clock: cap at 100.
        w.value(prefix, "busy_percent",
                std::min(100.0, percent(static_cast<double>(*busy), w.seconds() * kMillisecondsPerSecond)));
    }
    if (!disk.wholeDisk) continue;
    haveTotal = true;
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += delta[i].value_or(0);
  }
  if (!haveTotal || w.seconds() <= 0) return;
  w.value("disk.", "read_bytes_per_s", static_cast<double>(total[0]) * kDiskSectorBytes / w.seconds());
  w.value("disk.", "write_bytes_per_s", static_cast<double>(total[1]) * kDiskSectorBytes / w.seconds());
  w.value("disk.", "read_ops_per_s", static_cast<double>(total[2]) / w.seconds());
  w.value("disk.", "write_ops_per_s", static_cast<double>(total[3]) / w.seconds());
}

void appendFilesystems(const Snapshot& current, Writer& w) {
  for (const auto& fs : current.filesystems) {
    const auto prefix = "fs." + fs.label + ".";
    const auto used = fs.totalBytes >= fs.freeBytes ? fs.totalBytes - fs.freeBytes : 0;
    w.value(prefix, "total_bytes", static_cast<double>(fs.totalBytes));
    w.value(prefix, "used_bytes", static_cast<double>(used));
    w.value(prefix, "free_bytes", static_cast<double>(fs.availableBytes));
    w.value(prefix, "used_percent", fsUsedPercent(fs));
    if (fs.inodes > 0 && fs.inodesFree <= fs.inodes)
      w.value(prefix, "inodes_used_percent",
              percent(static_cast<double>(fs.inodes - fs.inodesFree), static_cast<double>(fs.inodes)));
  }
}

void appendNetwork(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, Writer& w) {
  struct Counter {
    std::string_view name;
    std::uint64_t NetCounters::*field;
  };
  static constexpr std::array<Counter, 8> kCounters = {{{"rx_bytes", &NetCounters::rxBytes},
                                                        {"tx_bytes", &NetCounters::txBytes},
                                                        {"rx_packets", &NetCounters::rxPackets},
                                                        {"tx_packets", &NetCounters::txPackets},
                                                        {"rx_errors", &NetCounters::rxErrors},
                                                        {"tx_errors", &NetCounters::txErrors},
                                                        {"rx_drops", &NetCounters::rxDrops},
                                                        {"tx_drops", &NetCounters::txDrops}}};
  for (const auto& net : current.nets) {
    const auto prefix = "net." + nameLabel(net.name) + ".";
    const auto* before = findByName(previous.nets, net.name);
    for (const auto& c : kCounters) {
      w.value(prefix, std::string(c.name) + "_total", static_cast<double>(net.*c.field));
      if (before) w.rate(prefix, std::string(c.name) + "_per_s", before->*c.field, net.*c.field, options.counterBits);
    }
  }
}

void appendSystem(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, Writer& w) {
  if (current.load) {
    w.value("load.", "1m", current.load->one);
    w.value("load.", "5m", current.load->five);
    w.value("load.", "15m", current.load->fifteen);
    w.value("proc.", "threads", static_cast<double>(current.load->threads));
  }
  if (current.processCount) w.value("proc.", "count", static_cast<double>(*current.processCount));
  if (current.stat.procsRunning) w.value("proc.", "running", static_cast<double>(*current.stat.procsRunning));
  if (current.stat.procsBlocked) w.value("proc.", "blocked", static_cast<double>(*current.stat.procsBlocked));
  if (previous.stat.forks && current.stat.forks)
    w.rate("proc.", "forks_per_s", *previous.stat.forks, *current.stat.forks, options.counterBits);
  if (current.tcp) {
    for (std::size_t state = 1; state <= kTcpStateCount; ++state)
      w.value("tcp.", kTcpStateNames[state], static_cast<double>(current.tcp->byState[state]));
    w.value("tcp.", "total", static_cast<double>(current.tcp->total));
  }
  if (current.files) {
    const auto open = current.files->allocated - current.files->unused;
    w.value("fd.", "open", static_cast<double>(open));
    w.value("fd.", "max", static_cast<double>(current.files->max));
    if (current.files->max > 0)
      w.value("fd.", "used_percent", percent(static_cast<double>(open), static_cast<double>(current.files->max)));
  }
  for (const auto& t : current.temperatures) w.value("temp." + t.label + ".", "celsius", t.celsius);
}

}  // namespace

std::optional<MemoryUsage> memoryUsage(const MemInfo& info) {
  if (!info.memTotal || !info.memFree) return std::nullopt;
  MemoryUsage m;
  m.total = *info.memTotal;
  m.free = *info.memFree;
  m.buffers = info.buffers.value_or(0);
  m.cached = info.cached.value_or(0) + info.sReclaimable.value_or(0);
  m.shared = info.shmem.value_or(0);
  const auto reclaimable = m.free + m.cached + m.buffers;
  // In some containers the host's cache exceeds the container's total; fall back like psutil.
  m.used = m.total >= reclaimable ? m.total - reclaimable : m.total - std::min(m.total, m.free);
  m.available = info.memAvailable.value_or(reclaimable);
  if (m.available > m.total) m.available = m.free;
  m.usedPercent = percent(static_cast<double>(m.total - std::min(m.total, m.available)), static_cast<double>(m.total));
  return m;
}

std::optional<SwapUsage> swapUsage(const MemInfo& info) {
  if (!info.swapTotal || !info.swapFree) return std::nullopt;
  SwapUsage s;
  s.total = *info.swapTotal;
  s.free = std::min(*info.swapFree, s.total);
  s.used = s.total - s.free;
  s.usedPercent = percent(static_cast<double>(s.used), static_cast<double>(s.total));
  return s;
}

double fsUsedPercent(const FsUsage& fs) {
  const auto used = fs.totalBytes >= fs.freeBytes ? fs.totalBytes - fs.freeBytes : 0;
  return percent(static_cast<double>(used), static_cast<double>(used + fs.availableBytes));
}

void appendMetrics(const Snapshot& previous, const Snapshot& current, const MetricsOptions& options, MetricList& out,
                   std::vector<std::string>& resets) {
  const double seconds = std::chrono::duration<double>(current.taken - previous.taken).count();
  Writer w(out, resets, seconds);
  appendCpu(previous, current, options, w);
  appendMemory(current, w);
  appendDisks(previous, current, options, w);
  appendFilesystems(current, w);
  appendNetwork(previous, current, options, w);
  appendSystem(previous, current, options, w);
}

}  // namespace streamswarm::sysmetrics

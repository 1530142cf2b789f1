#include "sys_metrics_probe.hpp"

#include <streamswarm/config_values.hpp>
#include <streamswarm/document.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <utility>

namespace streamswarm::sysmetrics {
namespace {

constexpr double kMinSampleWindowSeconds = 0.1;
constexpr double kMaxSampleWindowSeconds = 60;

constexpr ss_config_key kConfigKeys[] = {
    option("sample_window", SS_TYPE_DURATION, "1s",
           "How far apart the first run's two samples are (rates and CPU percent need two); later runs "
           "measure over the time since the previous run. Keep it below the section's run_timeout.",
           kMinSampleWindowSeconds, kMaxSampleWindowSeconds),
    option("per_cpu", SS_TYPE_BOOL, "true", "Also report busy percent and frequency of each CPU core"),
    option("interfaces", SS_TYPE_LIST, "", "Glob patterns of network interfaces to report; empty: all"),
    option("exclude_interfaces", SS_TYPE_LIST, "", "Glob patterns of network interfaces to leave out"),
    option("disks", SS_TYPE_LIST, "", "Glob patterns of /proc/diskstats devices to report; empty: all"),
    option("exclude_disks", SS_TYPE_LIST, "loop*,ram*",
           "Glob patterns of block devices to leave out (loop and RAM disks repeat I/O counted elsewhere)"),
    option("mounts", SS_TYPE_LIST, "", "Glob patterns of mount points whose usage to report; empty: all"),
    option("exclude_mounts", SS_TYPE_LIST, "", "Glob patterns of mount points to leave out"),
    option("exclude_fs_types", SS_TYPE_LIST, "squashfs,iso9660",
           "Filesystem types to leave out (read-only images are always 100% full)"),
    option("tcp", SS_TYPE_BOOL, "true",
           "Count TCP sockets by state from /proc/net/tcp and tcp6 (costs CPU with very many sockets)"),
    option("proc_root", SS_TYPE_STRING, "/proc", "Where procfs is mounted (an absolute path)"),
    option("sys_root", SS_TYPE_STRING, "/sys", "Where sysfs is mounted (an absolute path)"),
};

constexpr auto kGauge = SS_METRIC_GAUGE;
constexpr auto kRate = SS_METRIC_RATE;

constexpr ss_metric_def kMetrics[] = {
    metric("cpu.percent", "percent", kGauge, "Busy share of all CPUs since the previous run (not idle, not iowait)"),
    metric("cpu.user_percent", "percent", kGauge, "Share of CPU time in user mode, niced and guest included"),
    metric("cpu.system_percent", "percent", kGauge, "Share of CPU time in the kernel, interrupts included"),
    metric("cpu.iowait_percent", "percent", kGauge, "Share of CPU time idle while I/O was outstanding"),
    metric("cpu.steal_percent", "percent", kGauge, "Share of CPU time the hypervisor gave to someone else"),
    metric("cpu.{core}.percent", "percent", kGauge, "Busy share of one CPU (core label cpu0, cpu1, ...); per_cpu"),
    metric("cpu.count", "count", kGauge, "Online CPUs"),
    metric("cpu.frequency_mhz", "MHz", kGauge, "Current clock averaged over CPUs (cpufreq, else /proc/cpuinfo)"),
    metric("cpu.{core}.frequency_mhz", "MHz", kGauge, "Current clock of one CPU; per_cpu"),
    metric("cpu.context_switches_per_s", "1/s", kRate, "Context switches per second"),
    metric("cpu.interrupts_per_s", "1/s", kRate, "Hardware interrupts per second"),
    metric("cpu.context_switches_total", "count", kGauge, "Context switches since boot"),
    metric("cpu.interrupts_total", "count", kGauge, "Hardware interrupts since boot"),
    metric("load.1m", "tasks", kGauge, "Load average over 1 minute"),
    metric("load.5m", "tasks", kGauge, "Load average over 5 minutes"),
    metric("load.15m", "tasks", kGauge, "Load average over 15 minutes"),
    metric("mem.total_bytes", "bytes", kGauge, "Physical memory (MemTotal)"),
    metric("mem.available_bytes", "bytes", kGauge, "Memory that can be given to programs without swapping"),
    metric("mem.used_bytes", "bytes", kGauge, "total - free - cached - buffers"),
    metric("mem.free_bytes", "bytes", kGauge, "Memory not used for anything (MemFree)"),
    metric("mem.cached_bytes", "bytes", kGauge, "Page cache and reclaimable slab (Cached + SReclaimable)"),
    metric("mem.buffers_bytes", "bytes", kGauge, "Block device buffers (Buffers)"),
    metric("mem.shared_bytes", "bytes", kGauge, "Shared memory and tmpfs (Shmem)"),
    metric("mem.used_percent", "percent", kGauge, "100 * (total - available) / total"),
    metric("swap.total_bytes", "bytes", kGauge, "Swap space"),
    metric("swap.used_bytes", "bytes", kGauge, "Swap space in use"),
    metric("swap.free_bytes", "bytes", kGauge, "Swap space free"),
    metric("swap.used_percent", "percent", kGauge, "100 * used / total; 0 without swap"),
    metric("disk.{device}.read_bytes_per_s", "bytes/s", kRate, "Bytes read from one block device per second"),
    metric("disk.{device}.write_bytes_per_s", "bytes/s", kRate, "Bytes written to one block device per second"),
    metric("disk.{device}.read_ops_per_s", "1/s", kRate, "Completed reads per second"),
    metric("disk.{device}.write_ops_per_s", "1/s", kRate, "Completed writes per second"),
    metric("disk.{device}.busy_percent", "percent", kGauge, "Share of the interval with I/O in flight (iostat %util)"),
    metric("disk.{device}.read_bytes_total", "bytes", kGauge, "Bytes read since boot"),
    metric("disk.{device}.write_bytes_total", "bytes", kGauge, "Bytes written since boot"),
    metric("disk.{device}.read_ops_total", "count", kGauge, "Completed reads since boot"),
    metric("disk.{device}.write_ops_total", "count", kGauge, "Completed writes since boot"),
    metric("disk.read_bytes_per_s", "bytes/s", kRate, "Bytes read per second, all reported whole disks"),
    metric("disk.write_bytes_per_s", "bytes/s", kRate, "Bytes written per second, all reported whole disks"),
    metric("disk.read_ops_per_s", "1/s", kRate, "Completed reads per second, all reported whole disks"),
    metric("disk.write_ops_per_s", "1/s", kRate, "Completed writes per second, all reported whole disks"),
    metric("fs.{mount}.total_bytes", "bytes", kGauge, "Size of one mounted filesystem (mount label: / is root)"),
    metric("fs.{mount}.used_bytes", "bytes", kGauge, "Space in use"),
    metric("fs.{mount}.free_bytes", "bytes", kGauge, "Space free for unprivileged users (root reserve excluded)"),
    metric("fs.{mount}.used_percent", "percent", kGauge, "100 * used / (used + free), as df shows it"),
    metric("fs.{mount}.inodes_used_percent", "percent", kGauge, "Share of inodes in use (not on btrfs and alike)"),
    metric("net.{interface}.rx_bytes_per_s", "bytes/s", kRate, "Bytes received per second"),
    metric("net.{interface}.tx_bytes_per_s", "bytes/s", kRate, "Bytes sent per second"),
    metric("net.{interface}.rx_packets_per_s", "1/s", kRate, "Packets received per second"),
    metric("net.{interface}.tx_packets_per_s", "1/s", kRate, "Packets sent per second"),
    metric("net.{interface}.rx_errors_per_s", "1/s", kRate, "Receive errors per second"),
    metric("net.{interface}.tx_errors_per_s", "1/s", kRate, "Transmit errors per second"),
    metric("net.{interface}.rx_drops_per_s", "1/s", kRate, "Received packets dropped per second"),
    metric("net.{interface}.tx_drops_per_s", "1/s", kRate, "Outgoing packets dropped per second"),
    metric("net.{interface}.rx_bytes_total", "bytes", kGauge, "Bytes received since the interface appeared"),
    metric("net.{interface}.tx_bytes_total", "bytes", kGauge, "Bytes sent since the interface appeared"),
    metric("net.{interface}.rx_packets_total", "count", kGauge, "Packets received since the interface appeared"),
    metric("net.{interface}.tx_packets_total", "count", kGauge, "Packets sent since the interface appeared"),
    metric("net.{interface}.rx_errors_total", "count", kGauge, "Receive errors since the interface appeared"),
    metric("net.{interface}.tx_errors_total", "count", kGauge, "Transmit errors since the interface appeared"),
    metric("net.{interface}.rx_drops_total", "count", kGauge, "Received packets dropped since the interface appeared"),
    metric("net.{interface}.tx_drops_total", "count", kGauge, "Outgoing packets dropped since the interface appeared"),
    metric("proc.count", "count", kGauge, "Processes (numeric entries of /proc)"),
    metric("proc.threads", "count", kGauge, "Threads (kernel scheduling entities, /proc/loadavg)"),
    metric("proc.running", "count", kGauge, "Threads runnable right now (procs_running)"),
    metric("proc.blocked", "count", kGauge, "Threads blocked on I/O right now (procs_blocked)"),
    metric("proc.forks_per_s", "1/s", kRate, "Processes and threads created per second"),
    metric("tcp.established", "count", kGauge, "TCP sockets (IPv4 and IPv6) in ESTABLISHED"),
    metric("tcp.syn_sent", "count", kGauge, "TCP sockets in SYN_SENT"),
    metric("tcp.syn_recv", "count", kGauge, "TCP sockets in SYN_RECV"),
    metric("tcp.fin_wait1", "count", kGauge, "TCP sockets in FIN_WAIT1"),
    metric("tcp.fin_wait2", "count", kGauge, "TCP sockets in FIN_WAIT2"),
    metric("tcp.time_wait", "count", kGauge, "TCP sockets in TIME_WAIT"),
    metric("tcp.close", "count", kGauge, "TCP sockets in CLOSE"),
    metric("tcp.close_wait", "count", kGauge, "TCP sockets in CLOSE_WAIT"),
    metric("tcp.last_ack", "count", kGauge, "TCP sockets in LAST_ACK"),
    metric("tcp.listen", "count", kGauge, "TCP sockets in LISTEN"),
    metric("tcp.closing", "count", kGauge, "TCP sockets in CLOSING"),
    metric("tcp.total", "count", kGauge, "TCP sockets in any state"),
    metric("fd.open", "count", kGauge, "File handles open system-wide (/proc/sys/fs/file-nr)"),
    metric("fd.max", "count", kGauge, "System-wide file handle limit (fs.file-max)"),
    metric("fd.used_percent", "percent", kGauge, "100 * open / max"),
    metric("temp.{sensor}.celsius", "celsius", kGauge, "One temperature sensor (hwmon, else thermal zones)"),
};

// The option's text, or its declared default when the caller built Options by hand.
std::string optionText(const Options& options, std::string_view name) {
  if (options.has(name)) return options.text(name);
  for (const auto& key : kConfigKeys)
    if (name == key.name) return key.default_value;
  throw ConfigError("unknown option '" + std::string(name) + "'");
}

// Options::duration() would do, but the bounds are checked here too, for Options that did not go
// through validation, with a message in seconds.
std::chrono::nanoseconds sampleWindow(const Options& options) {
  const auto text = optionText(options, "sample_window");
  const auto ns = values::parseDurationNs(text);
  if (!ns) throw ConfigError("option 'sample_window': '" + text + "' is not a duration (e.g. 500ms, 1s)");
  const double seconds = static_cast<double>(*ns) / 1e9;
  if (seconds < kMinSampleWindowSeconds || seconds > kMaxSampleWindowSeconds)
    throw ConfigError("option 'sample_window': " + values::formatNumber(seconds) + "s is outside " +
                      values::formatNumber(kMinSampleWindowSeconds) + "s.." +
                      values::formatNumber(kMaxSampleWindowSeconds) + "s");
  return std::chrono::nanoseconds(*ns);
}

bool flag(const Options& options, std::string_view name) {
  const auto value = values::parseBool(optionText(options, name));
  if (!value) throw ConfigError("option '" + std::string(name) + "' is not a boolean");
  return *value;
}

std::vector<std::string> list(const Options& options, std::string_view name) {
  return values::splitList(optionText(options, name));
}

std::string rootDirectory(const Options& options, std::string_view name, bool mustExist) {
  auto path = optionText(options, name);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path.front() != '/')
    throw ConfigError("option '" + std::string(name) + "': '" + path + "' is not an absolute path");
  struct stat st {};
  if (mustExist && (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)))
    throw ConfigError("option '" + std::string(name) + "': '" + path + "' is not a directory");
  return path;
}

ReaderConfig readerConfig(const Options& options) {
  ReaderConfig config;
  // Without procfs nothing works; a missing sysfs only costs temperatures, frequencies and the
  // partition check, so containers without /sys still run.
  config.procRoot = rootDirectory(options, "proc_root", true);
  config.sysRoot = rootDirectory(options, "sys_root", false);
  config.interfaces = NameFilter(list(options, "interfaces"), list(options, "exclude_interfaces"));
  config.disks = NameFilter(list(options, "disks"), list(options, "exclude_disks"));
  config.mounts = NameFilter(list(options, "mounts"), list(options, "exclude_mounts"));
  config.excludeFsTypes = list(options, "exclude_fs_types");
  config.tcp = flag(options, "tcp");
  return config;
}

}  // namespace

std::span<const ss_config_key> SysMetricsProbe::configKeys() {
  return kConfigKeys;
}

std::span<const ss_metric_def> SysMetricsProbe::metrics() {
  return kMetrics;
}

SysMetricsProbe::SysMetricsProbe(const Options& options)
    : sampleWindow_(sampleWindow(options)), reader_(readerConfig(options)) {
  for (const auto& [name, value] : options.all()) {
    const bool known = std::any_of(std::begin(kConfigKeys), std::end(kConfigKeys),
                                   [&](const ss_config_key& key) { return name == key.name; });
    if (!known) throw ConfigError("unknown option '" + name + "'");
  }
  metricsOptions_.perCpu = flag(options, "per_cpu");
}

void SysMetricsProbe::run(Host& host) {
  problems_.clear();
  resets_.clear();
  if (!havePrevious_ || host.monotonic() - previous_.taken < kMinRateInterval) {
    previous_.taken = host.monotonic();
    reader_.readCounters(previous_, problems_);
    if (!host.sleepFor(sampleWindow_)) {
      // Cancelled: nothing half-measured goes out, but the first snapshot is whole; keeping it
      // lets the next run report at once instead of sleeping (and timing out) again.
      havePrevious_ = true;
      return;
    }
  }
  current_.taken = host.monotonic();
  reader_.readCounters(current_, problems_);
  reader_.readLevels(current_, problems_);

  Result result;
  result.timestamp = host.now();
  result.metrics.reserve(lastMetricCount_);  // the set of metrics rarely changes between runs
  appendMetrics(previous_, current_, metricsOptions_, result.metrics, resets_);
  lastMetricCount_ = result.metrics.size();
  result.document = document(std::chrono::duration<double>(current_.taken - previous_.taken).count());
  // The first run reads the counters twice; each distinct error is reported once.
  for (std::size_t i = 0; i < problems_.errors.size(); ++i) {
    const auto& error = problems_.errors[i];
    if (std::find(problems_.errors.begin(), problems_.errors.begin() + i, error) != problems_.errors.begin() + i)
      continue;
    result.error += (result.error.empty() ? "" : "; ") + error;
  }
  host.emit(result);
  logProblems(host);

  std::swap(previous_, current_);
  havePrevious_ = true;
}

std::string SysMetricsProbe::document(double seconds) const {
  JsonWriter json;
  json.beginObject().field("interval_s", seconds).key("filesystems").beginArray();
  for (const auto& fs : current_.filesystems) {
    json.beginObject()
        .field("label", fs.label)
        .field("mountpoint", fs.mountPoint)
        .field("device", fs.device)
        .field("type", fs.fsType)
        .endObject();
  }
  json.endArray().endObject();
  return json.str();
}

void SysMetricsProbe::logProblems(const Host& host) {
  // A first run reads the counters twice, so the same complaint can come twice.
  std::map<std::string, std::vector<const std::string*>> bySource;
  for (const auto& w : problems_.warnings) {
    auto& messages = bySource[w.source];
    if (std::none_of(messages.begin(), messages.end(), [&](const std::string* m) { return *m == w.message; }))
      messages.push_back(&w.message);
  }
  for (auto it = failingSources_.begin(); it != failingSources_.end();) {
    if (bySource.count(*it)) {
      ++it;
      continue;
    }
    host.log(SS_LOG_INFO, "sysmetrics: " + *it + " reads cleanly again");
    it = failingSources_.erase(it);
  }
  for (const auto& [source, messages] : bySource) {
    if (!failingSources_.insert(source).second) continue;
    const auto shown = std::min(messages.size(), kMaxWarningsPerSource);
    for (std::size_t i = 0; i < shown; ++i) host.log(SS_LOG_WARNING, "sysmetrics: " + source + ": " + *messages[i]);
    if (messages.size() > shown)
      host.log(SS_LOG_WARNING, "sysmetrics: " + source + ": " + std::to_string(messages.size() - shown) +
                                   " more problems (logged again only after it reads cleanly)");
  }
  for (const auto& reset : resets_) host.log(SS_LOG_INFO, "sysmetrics: " + reset);
}

}  // namespace streamswarm::sysmetrics

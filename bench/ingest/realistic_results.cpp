#include "bench/ingest/realistic_results.hpp"

#include <array>

namespace streamswarm::bench {

namespace {

// Names as the plugins declare them (ping) or expand them (sysmetrics: one disk, one NIC, one
// mount), so the metric dictionary sees realistic, partly long names.
constexpr std::array<const char*, kPingMetrics> kPingNames{"rtt_min_ms",   "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms",
                                                           "loss_percent", "sent",       "received",   "ttl",
                                                           "duplicates",   "jitter_ms"};

constexpr std::array<const char*, kSysmetricsMetrics> kSysmetricsNames{"cpu.percent",
                                                                       "cpu.user_percent",
                                                                       "cpu.system_percent",
                                                                       "cpu.iowait_percent",
                                                                       "cpu.steal_percent",
                                                                       "cpu.cpu0.percent",
                                                                       "cpu.cpu1.percent",
                                                                       "cpu.count",
                                                                       "cpu.frequency_mhz",
                                                                       "cpu.context_switches_per_s",
                                                                       "cpu.interrupts_per_s",
                                                                       "load.1m",
                                                                       "load.5m",
                                                                       "load.15m",
                                                                       "mem.total_bytes",
                                                                       "mem.available_bytes",
                                                                       "mem.used_bytes",
                                                                       "mem.free_bytes",
                                                                       "mem.cached_bytes",
                                                                       "mem.buffers_bytes",
                                                                       "mem.shared_bytes",
                                                                       "mem.used_percent",
                                                                       "swap.total_bytes",
                                                                       "swap.used_bytes",
                                                                       "swap.used_percent",
                                                                       "disk.vda.read_bytes_per_s",
                                                                       "disk.vda.write_bytes_per_s",
                                                                       "disk.vda.read_ops_per_s",
                                                                       "disk.vda.write_ops_per_s",
                                                                       "disk.vda.busy_percent",
                                                                       "fs.root.total_bytes",
                                                                       "fs.root.used_bytes",
                                                                       "fs.root.free_bytes",
                                                                       "fs.root.used_percent",
                                                                       "net.eth0.rx_bytes_per_s",
                                                                       "net.eth0.tx_bytes_per_s",
                                                                       "net.eth0.rx_packets_per_s",
                                                                       "net.eth0.tx_packets_per_s",
                                                                       "net.eth0.rx_errors_per_s",
                                                                       "net.eth0.tx_drops_per_s"};

constexpr server::TimeNs kStartNs = 1'763'700'000'000'000'000;  // November 2025
constexpr server::TimeNs kStepNs = 1'000'000'000;

}  // namespace

const char* kindName(ResultKind kind) {
  return kind == ResultKind::kPing ? "ping" : "sysmetrics";
}

std::string agentIdFor(std::size_t index) {
  return "ag-bench-" + std::to_string(index);
}

ResultStream::ResultStream(ResultKind kind, std::optional<std::string> testId, std::uint64_t seed)
    : kind_(kind), testId_(std::move(testId)), rng_(seed), ts_(kStartNs + static_cast<server::TimeNs>(seed % 1000)) {}

server::ResultRecord ResultStream::next() {
  server::ResultRecord r;
  r.seq = ++seq_;
  ts_ += kStepNs;
  r.timestamp = ts_;
  r.testId = testId_;
  r.plugin = kindName(kind_);
  // Measured values: random doubles, so the packed blob is as incompressible as real data.
  std::uniform_real_distribution<double> value(0.0, 1'000.0);
  if (kind_ == ResultKind::kPing) {
    r.target = "10.20." + std::to_string(seq_ % 256) + "." + std::to_string((seq_ / 256) % 256);
    for (const char* name : kPingNames) r.metrics.emplace_back(name, value(rng_));
  } else {
    for (const char* name : kSysmetricsNames) r.metrics.emplace_back(name, value(rng_));
  }
  return r;
}

std::vector<server::ResultRecord> ResultStream::nextBatch(std::size_t size) {
  std::vector<server::ResultRecord> batch;
  batch.reserve(size);
  for (std::size_t i = 0; i < size; ++i) batch.push_back(next());
  return batch;
}

std::vector<AgentBatch> makeWorkload(const WorkloadShape& shape) {
  std::vector<ResultStream> streams;
  for (std::size_t a = 0; a < shape.agents; ++a)
    streams.emplace_back(shape.kind,
                         shape.kind == ResultKind::kPing ? std::optional<std::string>(kPingTestId) : std::nullopt,
                         shape.seed * 1'000 + a);
  std::vector<AgentBatch> out;
  const std::size_t batches = (shape.totalResults + shape.batchSize - 1) / shape.batchSize;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t agent = b % shape.agents;
    out.push_back(AgentBatch{agentIdFor(agent), streams[agent].nextBatch(shape.batchSize)});
  }
  return out;
}

}  // namespace streamswarm::bench

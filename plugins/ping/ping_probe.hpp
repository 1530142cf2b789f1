// ping: ICMP echo to many targets at once from one socket per address family, fping-style. Each run
// resolves the targets, sends `count` requests to each on a shared schedule, and emits one result
// per target: loss, duplicates, round-trip statistics, jitter, reply TTL, and the per-packet round
// trips in the result document.
#pragma once

#include "ping/ping_options.hpp"
#include "ping/ping_report.hpp"
#include "ping/ping_transport.hpp"

#include <streamswarm/plugin.hpp>

#include <functional>
#include <memory>
#include <random>
#include <span>

namespace streamswarm::ping {

class PingProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = kPingDocumentSchema;
  // A run compares nothing with earlier runs (the open sockets only save their set-up), so the agent
  // may stop an idle host between runs.
  static constexpr bool kIndependentRuns = true;
  static std::span<const ss_config_key> configKeys() { return pingConfigKeys(); }
  static std::span<const ss_metric_def> metrics() { return pingMetrics(); }

  // Makes the transport on the first run; tests pass one that simulates the network.
  using TransportFactory = std::function<std::unique_ptr<PingTransport>(const PingOptions&)>;

  explicit PingProbe(const Options& options);
  PingProbe(const Options& options, TransportFactory factory);

  void run(Host& host);

 private:
  PingOptions options_;
  TransportFactory factory_;
  std::unique_ptr<PingTransport> transport_;  // kept between runs: its sockets stay open
  std::mt19937 random_;
};

}  // namespace streamswarm::ping

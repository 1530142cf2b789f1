// traceroute: the path to each target, hop by hop, with mtr's per-hop statistics from one run, and
// the path compared with the previous run's. Probes of every TTL are in flight at once; flow
// identifiers stay constant across probes and runs (Paris traceroute), so load balancers do not
// mix paths. The instance remembers each target's last path between runs.
#pragma once

#include "traceroute/path_fingerprint.hpp"
#include "traceroute/trace_report.hpp"
#include "traceroute/trace_transport.hpp"
#include "traceroute/traceroute_options.hpp"

#include <streamswarm/plugin.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace streamswarm::traceroute {

// Source ports picked for UDP and TCP probes lie above Linux's ephemeral range (32768-60999), so
// they do not collide with the host's own connections.
constexpr std::uint16_t kSourcePortLow = 61000;
constexpr std::uint16_t kSourcePortHigh = 65535;

class TracerouteProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = kTraceDocumentSchema;
  static std::span<const ss_config_key> configKeys() { return traceConfigKeys(); }
  static std::span<const ss_metric_def> metrics() { return traceMetrics(); }

  // Makes the transport on the first run; tests pass one that simulates a network.
  using TransportFactory =
      std::function<std::unique_ptr<TraceTransport>(const TraceOptions& options, std::uint16_t icmpIdentifier)>;

  explicit TracerouteProbe(const Options& options);
  TracerouteProbe(const Options& options, TransportFactory factory);

  void run(Host& host);

  const TraceOptions& options() const { return options_; }

 private:
  TraceOptions options_;  // with the source port filled in for UDP and TCP
  TransportFactory factory_;
  std::unique_ptr<TraceTransport> transport_;  // kept between runs: its sockets stay open
  std::uint16_t icmpIdentifier_;
  std::uint32_t tcpSequenceBase_;
  std::map<std::string, TracePath> previous_;  // each target's last path that had an answer
};

}  // namespace streamswarm::traceroute

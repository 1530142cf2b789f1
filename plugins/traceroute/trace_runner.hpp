// One traceroute run over a transport: rounds of probes, every TTL of a round in flight at once;
// later rounds go out at least `interval` apart and stop at the TTL where the destination (or an
// unreachable) answered. Answers are matched to probes as they arrive, until every probe is
// answered or timed out (or the run is cancelled).
#pragma once

#include "traceroute/trace_ledger.hpp"
#include "traceroute/trace_probe_codec.hpp"
#include "traceroute/trace_transport.hpp"
#include "traceroute/traceroute_options.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace streamswarm::traceroute {

// Longest the loop waits without looking at cancellation.
constexpr std::chrono::milliseconds kPollSlice{50};
// Probes sent back to back before the sockets are read again.
constexpr std::size_t kSendBurst = 64;
// How soon to retry a send the kernel had no buffer for.
constexpr std::chrono::milliseconds kSendRetry{1};

struct TraceRunStats {
  std::size_t foreign = 0;    // answers that were not about this run's probes
  std::size_t malformed = 0;  // packets that did not parse
  bool cancelled = false;
};

// Traces every destination of `ledger`, whose flows (ports, identifiers, source address) are
// `flows[t]`, with the rounds, TTLs and timing of `options`.
TraceRunStats runTrace(TraceTransport& transport, TraceLedger& ledger, const std::vector<FlowIdentity>& flows,
                       const FlowMatch& match, const TraceOptions& options, const std::function<bool()>& cancelled);

}  // namespace streamswarm::traceroute

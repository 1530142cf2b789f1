// The mtr report of one traceroute run: per hop the addresses that answered, probes sent and
// answered, loss, and best/average/worst/standard deviation of the round trips; plus whether the
// destination answered and at which TTL. Pure, over the ledger's records.
#pragma once

#include "common/rtt_statistics.hpp"
#include "traceroute/trace_ledger.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::traceroute {

struct HopAddress {
  IpAddress address;
  std::size_t replies = 0;
};

struct HopStats {
  int ttl = 0;
  std::size_t sent = 0;
  std::size_t received = 0;  // answered within the timeout
  double lossPercent = 0;
  netprobe::RttSummary rtt;                 // best = min, worst = max, stddev = sample (as mtr)
  std::vector<std::optional<double>> rtts;  // per round; empty where not sent or not answered
  std::vector<HopAddress> addresses;        // most replies first, then by address
  bool destination = false;                 // the destination answered at this TTL
  std::optional<std::string> unreachable;   // "host", "net", "prohibited", ... when this hop said so
};

struct TraceSummary {
  std::vector<HopStats> hops;  // first_ttl up to the destination, an unreachable, or the last hop that answered
  bool reached = false;
  std::optional<int> destinationTtl;
  std::optional<std::string> stoppedBy;  // unreachable reason that ended the trace before the destination
  std::size_t probesSent = 0;            // over the listed hops
  std::size_t probesSentTotal = 0;       // over every TTL probed
  std::size_t probesAnswered = 0;
  std::size_t kernelTimestamped = 0;  // answers timed with kernel stamps at both ends
  std::size_t sendErrors = 0;
  int sendError = 0;  // errno of one of them
};

TraceSummary summarizeTrace(const TraceLedger& ledger, std::size_t target, std::chrono::nanoseconds timeout);

}  // namespace streamswarm::traceroute

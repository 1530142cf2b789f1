// Turns one target's packet records into its result: the summary statistics, the metrics the
// plugin declares, the result document (schema 1) and, when nothing came back, the error.
#pragma once

#include "common/rtt_statistics.hpp"
#include "ping/ping_ledger.hpp"

#include <streamswarm/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::ping {

// The result document's schema version (see README.md, "Result document").
constexpr std::uint32_t kPingDocumentSchema = 1;

std::span<const ss_metric_def> pingMetrics();

struct PingSummary {
  std::size_t sent = 0;  // requests handed to the kernel or refused by it
  std::size_t received = 0;
  std::size_t duplicates = 0;
  std::size_t late = 0;  // replies after the timeout: not received
  std::size_t sendErrors = 0;
  std::size_t icmpErrors = 0;
  std::size_t kernelTimestamped = 0;  // replies timed by kernel stamps at both ends
  double lossPercent = 0;
  netprobe::RttSummary rtt;
  netprobe::JitterSummary jitter;
  std::optional<int> replyTtl;              // of the last reply
  std::vector<std::optional<double>> rtts;  // per request, in order; empty when unanswered
  std::vector<std::optional<int>> ttls;
};

PingSummary summarize(const PingLedger& ledger, std::size_t target, std::chrono::nanoseconds timeout);

// What the report needs to know about one target besides its packets.
struct TargetReport {
  std::string name;
  std::optional<IpAddress> address;
  double resolveMs = 0;
  std::string socketKind;  // "raw" / "datagram"
  std::string problem;     // resolution or socket failure: no requests were sent
};

struct ReportSettings {
  int count = 0;
  std::size_t size = 0;
  std::chrono::nanoseconds interval{};
  std::chrono::nanoseconds timeout{};
};

// `ledger` is null when the target never got to send (see TargetReport::problem).
Result buildPingResult(const TargetReport& target, const PingLedger* ledger, std::size_t ledgerIndex,
                       const ReportSettings& settings, bool cancelled);

}  // namespace streamswarm::ping

// Turns one target's trace into its result: the metrics the plugin declares (per trace and per hop),
// the result document (schema 1) with the mtr-style hop table and the path fingerprint and changes,
// and the error when nothing answered.
#pragma once

#include "traceroute/hop_aggregator.hpp"
#include "traceroute/path_fingerprint.hpp"
#include "traceroute/traceroute_options.hpp"

#include <streamswarm/plugin.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::traceroute {

// The result document's schema version (see README.md, "Result document").
constexpr std::uint32_t kTraceDocumentSchema = 1;

std::span<const ss_metric_def> traceMetrics();

struct TraceTarget {
  std::string name;
  std::optional<IpAddress> address;
  double resolveMs = 0;
  std::string socketKind;  // "raw" / "datagram"
  std::string problem;     // resolution or socket failure: nothing was sent
};

// The comparison with the previous run's path of the same target.
struct PathComparison {
  std::optional<std::string> previousFingerprint;  // none on the first run
  std::vector<PathChange> changes;
  bool changed = false;
};

// `summary`, `path` and `comparison` are null when the target never got to send.
Result buildTraceResult(const TraceTarget& target, const TraceSummary* summary, const TracePath* path,
                        const PathComparison* comparison, const TraceOptions& options, bool cancelled);

}  // namespace streamswarm::traceroute

#include "traceroute/trace_report.hpp"

#include <streamswarm/config_values.hpp>
#include <streamswarm/document.hpp>

#include <cstring>

namespace streamswarm::traceroute {
namespace {

constexpr auto kGauge = SS_METRIC_GAUGE;
constexpr auto kCounter = SS_METRIC_COUNTER;

constexpr ss_metric_def kMetrics[] = {
    metric("reached", "bool", kGauge, "1 when the destination answered, else 0"),
    metric("hop_count", "hops", kGauge, "TTL of the destination when reached, else of the last hop listed"),
    metric("probes_sent", "count", kCounter, "Probes sent to the hops listed"),
    metric("probes_received", "count", kCounter, "Of those, answered within the timeout"),
    metric("destination_loss_percent", "percent", kGauge, "Loss at the destination's hop"),
    metric("destination_rtt_best_ms", "ms", kGauge, "Best round trip to the destination"),
    metric("destination_rtt_avg_ms", "ms", kGauge, "Mean round trip to the destination"),
    metric("destination_rtt_worst_ms", "ms", kGauge, "Worst round trip to the destination"),
    metric("destination_rtt_stddev_ms", "ms", kGauge, "Sample standard deviation of those round trips (as mtr)"),
    metric("path_changed", "bool", kGauge, "1 when the path fingerprint differs from the previous run's"),
    metric("path_hops_added", "hops", kGauge, "Hops present now and not in the previous run"),
    metric("path_hops_removed", "hops", kGauge, "Hops of the previous run gone now"),
    metric("path_hops_changed", "hops", kGauge, "Hops answering from other addresses than in the previous run"),
    metric("resolve_ms", "ms", kGauge, "Time to resolve the target's name (0 for an address)"),
    metric("hop.{ttl}.sent", "count", kCounter, "Probes sent with this TTL"),
    metric("hop.{ttl}.received", "count", kCounter, "Of those, answered within the timeout"),
    metric("hop.{ttl}.loss_percent", "percent", kGauge, "Loss at this hop (mtr Loss%)"),
    metric("hop.{ttl}.rtt_best_ms", "ms", kGauge, "Best round trip to this hop (mtr Best)"),
    metric("hop.{ttl}.rtt_avg_ms", "ms", kGauge, "Mean round trip to this hop (mtr Avg)"),
    metric("hop.{ttl}.rtt_worst_ms", "ms", kGauge, "Worst round trip to this hop (mtr Wrst)"),
    metric("hop.{ttl}.rtt_stddev_ms", "ms", kGauge, "Sample standard deviation at this hop (mtr StDev)"),
};

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

void addresses(JsonWriter& doc, const std::vector<IpAddress>& list) {
  doc.beginArray();
  for (const auto& a : list) doc.value(a.toString());
  doc.endArray();
}

void writeHop(JsonWriter& doc, const HopStats& hop) {
  doc.beginObject().field("ttl", hop.ttl);
  doc.key("addresses").beginArray();
  for (const auto& a : hop.addresses)
    doc.beginObject()
        .field("address", a.address.toString())
        .field("replies", static_cast<std::int64_t>(a.replies))
        .endObject();
  doc.endArray();
  doc.field("sent", static_cast<std::int64_t>(hop.sent)).field("received", static_cast<std::int64_t>(hop.received));
  doc.field("loss_percent", hop.lossPercent);
  if (hop.received > 0) {
    doc.key("rtt_ms").beginObject().field("best", hop.rtt.min).field("avg", hop.rtt.mean).field("worst", hop.rtt.max);
    doc.field("stddev", hop.rtt.stddevSample).field("last", hop.rtt.last).endObject();
  }
  doc.key("rtts_ms").beginArray();
  for (const auto& v : hop.rtts) v ? doc.value(*v) : doc.null();
  doc.endArray();
  if (hop.destination) doc.field("destination", true);
  if (hop.unreachable) doc.field("unreachable", *hop.unreachable);
  doc.endObject();
}

void addHopMetrics(Result& r, const HopStats& hop) {
  const auto prefix = "hop." + values::labelSegment(std::to_string(hop.ttl)) + ".";
  r.metric(prefix + "sent", static_cast<double>(hop.sent));
  r.metric(prefix + "received", static_cast<double>(hop.received));
  r.metric(prefix + "loss_percent", hop.lossPercent);
  if (hop.received == 0) return;
  r.metric(prefix + "rtt_best_ms", hop.rtt.min).metric(prefix + "rtt_avg_ms", hop.rtt.mean);
  r.metric(prefix + "rtt_worst_ms", hop.rtt.max).metric(prefix + "rtt_stddev_ms", hop.rtt.stddevSample);
}

}  // namespace

std::span<const ss_metric_def> traceMetrics() {
  return kMetrics;
}

Result buildTraceResult(const TraceTarget& target, const TraceSummary* summary, const TracePath* path,
                        const PathComparison* comparison, const TraceOptions& options, bool cancelled) {
  Result r;
  r.target = target.name;
  r.metric("resolve_ms", target.resolveMs);
  JsonWriter doc;
  doc.beginObject().field("target", target.name);
  if (target.address)
    doc.field("address", target.address->toString()).field("family", netprobe::familyName(target.address->family()));
  else
    doc.key("address").null();
  doc.field("resolve_ms", target.resolveMs).field("mode", modeName(options.mode));
  if (!target.socketKind.empty()) doc.field("socket", target.socketKind);
  doc.field("first_ttl", options.firstTtl).field("max_hops", options.maxHops).field("probes", options.probes);
  doc.field("interval_ms", ms(options.interval)).field("timeout_ms", ms(options.timeout));
  if (options.mode != TraceMode::Icmp) {
    doc.field("destination_port", static_cast<int>(options.port));
    if (options.sourcePort) doc.field("source_port", static_cast<int>(*options.sourcePort));
  }
  if (!summary || !path || !comparison) {
    r.error = target.problem;
    doc.field("error", target.problem).endObject();
    r.document = doc.str();
    return r;
  }

  r.metric("reached", summary->reached ? 1 : 0);
  r.metric("hop_count", summary->hops.empty() ? 0 : summary->hops.back().ttl);
  r.metric("probes_sent", static_cast<double>(summary->probesSent));
  r.metric("probes_received", static_cast<double>(summary->probesAnswered));
  if (summary->reached) {
    const auto& d = summary->hops.back();
    r.metric("destination_loss_percent", d.lossPercent);
    if (d.received > 0) {
      r.metric("destination_rtt_best_ms", d.rtt.min).metric("destination_rtt_avg_ms", d.rtt.mean);
      r.metric("destination_rtt_worst_ms", d.rtt.max).metric("destination_rtt_stddev_ms", d.rtt.stddevSample);
    }
  }
  std::size_t added = 0;
  std::size_t removed = 0;
  std::size_t changed = 0;
  for (const auto& c : comparison->changes) {
    added += c.kind == PathChange::Kind::Added;
    removed += c.kind == PathChange::Kind::Removed;
    changed += c.kind == PathChange::Kind::Changed;
  }
  r.metric("path_changed", comparison->changed ? 1 : 0);
  r.metric("path_hops_added", static_cast<double>(added));
  r.metric("path_hops_removed", static_cast<double>(removed));
  r.metric("path_hops_changed", static_cast<double>(changed));
  for (const auto& hop : summary->hops) addHopMetrics(r, hop);

  doc.field("reached", summary->reached);
  if (summary->destinationTtl) doc.field("destination_ttl", *summary->destinationTtl);
  if (summary->stoppedBy) doc.field("stopped_by", *summary->stoppedBy);
  doc.field("probes_sent", static_cast<std::int64_t>(summary->probesSent));
  doc.field("probes_received", static_cast<std::int64_t>(summary->probesAnswered));
  doc.field("kernel_timestamps", static_cast<std::int64_t>(summary->kernelTimestamped));
  doc.key("hops").beginArray();
  for (const auto& hop : summary->hops) writeHop(doc, hop);
  doc.endArray();
  doc.key("path").beginObject().field("fingerprint", path->fingerprint()).field("canonical", path->canonical());
  if (comparison->previousFingerprint)
    doc.field("previous_fingerprint", *comparison->previousFingerprint);
  else
    doc.key("previous_fingerprint").null();
  doc.field("changed", comparison->changed);
  doc.key("changes").beginArray();
  for (const auto& c : comparison->changes) {
    doc.beginObject().field("ttl", c.ttl).field("kind", changeKindName(c.kind));
    doc.key("before");
    addresses(doc, c.before);
    doc.key("after");
    addresses(doc, c.after);
    doc.endObject();
  }
  doc.endArray().endObject();
  doc.endObject();
  r.document = doc.str();

  if (summary->probesAnswered == 0) {
    if (summary->probesSentTotal == 0 && summary->sendErrors > 0)
      r.error = "cannot send to " + target.address->toString() + ": " + std::strerror(summary->sendError);
    else if (summary->probesSentTotal == 0)
      r.error = "cancelled before any probe was sent";
    else
      r.error = "no hop answered any of " + std::to_string(summary->probesSentTotal) + " probes";
  }
  if (cancelled) r.error += std::string(r.error.empty() ? "" : "; ") + "run cancelled before every probe was sent";
  return r;
}

}  // namespace streamswarm::traceroute

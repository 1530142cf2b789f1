#include "ping/ping_report.hpp"

#include <streamswarm/document.hpp>

#include <cstring>

namespace streamswarm::ping {
namespace {

constexpr auto kGauge = SS_METRIC_GAUGE;
constexpr auto kCounter = SS_METRIC_COUNTER;

constexpr ss_metric_def kMetrics[] = {
    metric("packets_sent", "count", kCounter, "Echo requests sent to the target in the run (refused sends included)"),
    metric("packets_received", "count", kCounter, "Requests answered within the timeout (duplicates not counted)"),
    metric("loss_percent", "percent", kGauge, "100 * (sent - received) / sent"),
    metric("duplicates", "count", kCounter, "Extra replies to requests already answered"),
    metric("late_replies", "count", kCounter, "Replies that came after the timeout (counted as lost)"),
    metric("icmp_errors", "count", kCounter, "Requests answered by an ICMP error (unreachable, time exceeded)"),
    metric("send_errors", "count", kCounter, "Requests the kernel refused to send (no route, ...)"),
    metric("rtt_min_ms", "ms", kGauge, "Shortest round trip"),
    metric("rtt_avg_ms", "ms", kGauge, "Mean round trip"),
    metric("rtt_max_ms", "ms", kGauge, "Longest round trip"),
    metric("rtt_stddev_ms", "ms", kGauge, "Population standard deviation of the round trips (ping's mdev)"),
    metric("jitter_ms", "ms", kGauge, "RFC 3550 interarrival jitter over consecutive replies"),
    metric("jitter_mad_ms", "ms", kGauge, "Mean absolute difference of consecutive round trips"),
    metric("reply_ttl", "hops", kGauge, "TTL / hop limit of the last reply as it arrived"),
    metric("resolve_ms", "ms", kGauge, "Time to resolve the target's name (0 for an address)"),
};

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string firstSendError(const PingLedger& ledger, std::size_t target) {
  for (int i = 0; i < ledger.count(); ++i)
    if (const auto& r = ledger.record(target, i); r.state == PacketRecord::State::SendFailed)
      return std::strerror(r.sendError);
  return {};
}

const IcmpErrorInfo* firstIcmpError(const PingLedger& ledger, std::size_t target) {
  for (int i = 0; i < ledger.count(); ++i)
    if (const auto& r = ledger.record(target, i); r.icmp) return &*r.icmp;
  return nullptr;
}

void writeEvents(JsonWriter& doc, const PingLedger& ledger, std::size_t target, std::chrono::nanoseconds timeout) {
  doc.key("events").beginArray();
  for (int i = 0; i < ledger.count(); ++i) {
    const auto& r = ledger.record(target, i);
    if (r.state == PacketRecord::State::SendFailed) {
      doc.beginObject().field("packet", i).field("kind", "send_error").field("error", std::strerror(r.sendError));
      doc.endObject();
    } else if (r.state == PacketRecord::State::IcmpError && r.icmp) {
      doc.beginObject().field("packet", i).field("kind", "icmp_error");
      doc.field("type", static_cast<int>(r.icmp->type)).field("code", static_cast<int>(r.icmp->code));
      doc.field("description", r.icmp->description);
      if (r.icmp->from)
        doc.field("from", r.icmp->from->toString());
      else
        doc.key("from").null();
      doc.endObject();
    }
    if (r.state == PacketRecord::State::Replied) {
      const auto timing = timingOf(r);
      if (timing.rttMs && *timing.rttMs > ms(timeout))
        doc.beginObject().field("packet", i).field("kind", "late").field("rtt_ms", *timing.rttMs).endObject();
    }
    if (r.duplicates > 0) {
      doc.beginObject().field("packet", i).field("kind", "duplicate");
      doc.field("count", static_cast<std::int64_t>(r.duplicates)).endObject();
    }
  }
  doc.endArray();
}

}  // namespace

std::span<const ss_metric_def> pingMetrics() {
  return kMetrics;
}

PingSummary summarize(const PingLedger& ledger, std::size_t target, std::chrono::nanoseconds timeout) {
  PingSummary s;
  netprobe::RttAccumulator rtt;
  for (int i = 0; i < ledger.count(); ++i) {
    const auto& r = ledger.record(target, i);
    std::optional<double> answered;
    std::optional<int> ttl;
    switch (r.state) {
      case PacketRecord::State::Unsent: break;
      case PacketRecord::State::SendFailed:
        ++s.sent;
        ++s.sendErrors;
        break;
      case PacketRecord::State::IcmpError:
        ++s.sent;
        ++s.icmpErrors;
        break;
      case PacketRecord::State::Pending: ++s.sent; break;
      case PacketRecord::State::Replied: {
        ++s.sent;
        const auto timing = timingOf(r);
        if (timing.rttMs && *timing.rttMs <= ms(timeout)) {
          answered = timing.rttMs;
          ttl = r.ttl;
          ++s.received;
          if (timing.kernelBothEnds) ++s.kernelTimestamped;
          rtt.add(*timing.rttMs);
          if (r.ttl) s.replyTtl = r.ttl;
        } else {
          ++s.late;
        }
        break;
      }
    }
    s.duplicates += r.duplicates;
    if (r.state != PacketRecord::State::Unsent) {
      s.rtts.push_back(answered);
      s.ttls.push_back(ttl);
    }
  }
  s.lossPercent = netprobe::lossPercent(s.sent, s.received);
  s.rtt = rtt.summary();
  s.jitter = netprobe::jitterOf(s.rtts);
  return s;
}

Result buildPingResult(const TargetReport& target, const PingLedger* ledger, std::size_t ledgerIndex,
                       const ReportSettings& settings, bool cancelled) {
  Result r;
  r.target = target.name;
  r.metric("resolve_ms", target.resolveMs);
  JsonWriter doc;
  doc.beginObject().field("target", target.name);
  if (target.address)
    doc.field("address", target.address->toString()).field("family", netprobe::familyName(target.address->family()));
  else
    doc.key("address").null();
  doc.field("resolve_ms", target.resolveMs);
  if (!target.socketKind.empty()) doc.field("socket", target.socketKind);
  doc.field("count", settings.count).field("size", static_cast<std::int64_t>(settings.size));
  doc.field("interval_ms", ms(settings.interval)).field("timeout_ms", ms(settings.timeout));
  if (!ledger) {
    r.error = target.problem;
    doc.field("error", target.problem).endObject();
    r.document = doc.str();
    return r;
  }
  const auto s = summarize(*ledger, ledgerIndex, settings.timeout);
  r.metric("packets_sent", static_cast<double>(s.sent));
  r.metric("packets_received", static_cast<double>(s.received));
  r.metric("loss_percent", s.lossPercent);
  r.metric("duplicates", static_cast<double>(s.duplicates));
  r.metric("late_replies", static_cast<double>(s.late));
  r.metric("icmp_errors", static_cast<double>(s.icmpErrors));
  r.metric("send_errors", static_cast<double>(s.sendErrors));
  if (s.received > 0) {
    r.metric("rtt_min_ms", s.rtt.min).metric("rtt_avg_ms", s.rtt.mean).metric("rtt_max_ms", s.rtt.max);
    r.metric("rtt_stddev_ms", s.rtt.stddevPopulation);
  }
  if (s.jitter.pairs > 0)
    r.metric("jitter_ms", s.jitter.rfc3550).metric("jitter_mad_ms", s.jitter.meanAbsoluteDifference);
  if (s.replyTtl) r.metric("reply_ttl", *s.replyTtl);

  doc.field("sent", static_cast<std::int64_t>(s.sent)).field("received", static_cast<std::int64_t>(s.received));
  doc.field("loss_percent", s.lossPercent).field("duplicates", static_cast<std::int64_t>(s.duplicates));
  doc.field("late", static_cast<std::int64_t>(s.late)).field("send_errors", static_cast<std::int64_t>(s.sendErrors));
  doc.field("icmp_errors", static_cast<std::int64_t>(s.icmpErrors));
  doc.field("kernel_timestamps", static_cast<std::int64_t>(s.kernelTimestamped));
  if (s.received > 0) {
    doc.key("rtt_ms").beginObject().field("min", s.rtt.min).field("avg", s.rtt.mean).field("max", s.rtt.max);
    doc.field("stddev", s.rtt.stddevPopulation).endObject();
  }
  if (s.jitter.pairs > 0) {
    doc.key("jitter_ms").beginObject().field("rfc3550", s.jitter.rfc3550);
    doc.field("mean_abs_diff", s.jitter.meanAbsoluteDifference).endObject();
  }
  if (s.replyTtl) doc.field("reply_ttl", *s.replyTtl);
  doc.key("rtts_ms").beginArray();
  for (const auto& v : s.rtts) v ? doc.value(*v) : doc.null();
  doc.endArray().key("ttls").beginArray();
  for (const auto& v : s.ttls) v ? doc.value(*v) : doc.null();
  doc.endArray();
  writeEvents(doc, *ledger, ledgerIndex, settings.timeout);
  doc.endObject();
  r.document = doc.str();

  const auto planned = static_cast<std::size_t>(settings.count);
  if (s.received == 0) {
    if (s.sent == 0) {
      r.error = "cancelled before any request was sent";
    } else if (s.sendErrors == s.sent) {
      r.error = "cannot send to " + target.address->toString() + ": " + firstSendError(*ledger, ledgerIndex);
    } else if (const auto* icmp = firstIcmpError(*ledger, ledgerIndex)) {
      r.error = "no reply: " + icmp->description + (icmp->from ? " from " + icmp->from->toString() : std::string());
    } else {
      r.error = "no reply: " + std::to_string(s.sent) + " of " + std::to_string(s.sent) + " requests lost";
      if (s.late > 0) r.error += " (" + std::to_string(s.late) + " answered after the timeout)";
    }
  }
  if (cancelled && s.sent < planned) {
    const auto note = "run cancelled after " + std::to_string(s.sent) + " of " + std::to_string(planned) + " requests";
    r.error = r.error.empty() ? note : r.error + "; " + note;
  }
  return r;
}

}  // namespace streamswarm::ping

#include "traceroute/hop_aggregator.hpp"

#include "common/icmp_codec.hpp"

#include <algorithm>
#include <map>

namespace streamswarm::traceroute {
namespace {

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// What a hop's answer says beyond "here I am": an unreachable's reason (traceroute's !H, !N, !X ...),
// except the port unreachable with which a destination answers UDP probes.
std::optional<std::string> annotation(Family family, const ProbeRecord::Answer& a) {
  switch (netprobe::icmpKind(family, a.icmpType)) {
    case netprobe::IcmpKind::DestinationUnreachable:
      if (a.kind == ProbeAnswer::Kind::Reached && netprobe::isPortUnreachable(family, a.icmpCode)) return std::nullopt;
      return netprobe::unreachableReason(family, a.icmpCode);
    case netprobe::IcmpKind::PacketTooBig: return "packet_too_big";
    case netprobe::IcmpKind::ParameterProblem: return "parameter_problem";
    default: return std::nullopt;
  }
}

}  // namespace

TraceSummary summarizeTrace(const TraceLedger& ledger, std::size_t target, std::chrono::nanoseconds timeout) {
  TraceSummary s;
  const auto family = ledger.destination(target).family();
  const double limitMs = ms(timeout);
  // An answer counts when it came within the timeout: a later one is a loss, as in ping.
  auto inTime = [&](const ProbeRecord& r) -> std::optional<netprobe::RoundTrip> {
    if (!r.sent || r.sendError || !r.answer) return std::nullopt;
    const auto trip = netprobe::roundTrip(r.sentWall, r.sentKernel, r.answer->when);
    if (trip.ms > limitMs) return std::nullopt;
    return trip;
  };
  // Where the trace ends: the destination's TTL, else the first unreachable, else the last answer.
  int reachedTtl = 0;
  int unreachableTtl = 0;
  int lastAnswered = 0;
  for (int ttl = ledger.firstTtl(); ttl <= ledger.maxHops(); ++ttl)
    for (int round = 0; round < ledger.rounds(); ++round) {
      const auto& r = ledger.record(target, round, ttl);
      if (r.sendError) {
        ++s.sendErrors;
        s.sendError = r.sendError;
      } else if (r.sent) {
        ++s.probesSentTotal;
      }
      if (!inTime(r)) continue;
      lastAnswered = std::max(lastAnswered, ttl);
      if (r.answer->kind == ProbeAnswer::Kind::Reached && !reachedTtl) reachedTtl = ttl;
      if (r.answer->kind == ProbeAnswer::Kind::Unreachable && !unreachableTtl) unreachableTtl = ttl;
    }
  const int last = reachedTtl ? reachedTtl : unreachableTtl ? unreachableTtl : lastAnswered;
  s.reached = reachedTtl != 0;
  if (s.reached) s.destinationTtl = reachedTtl;

  for (int ttl = ledger.firstTtl(); ttl <= last; ++ttl) {
    HopStats hop;
    hop.ttl = ttl;
    netprobe::RttAccumulator rtt;
    std::map<IpAddress, std::size_t> seen;
    for (int round = 0; round < ledger.rounds(); ++round) {
      const auto& r = ledger.record(target, round, ttl);
      std::optional<double> answered;
      if (r.sent && !r.sendError) ++hop.sent;
      if (const auto trip = inTime(r)) {
        answered = trip->ms;
        ++hop.received;
        rtt.add(trip->ms);
        ++seen[r.answer->from];
        if (trip->kernelSend && r.answer->kernelStamped) ++s.kernelTimestamped;
        if (r.answer->kind == ProbeAnswer::Kind::Reached) hop.destination = true;
        if (auto note = annotation(family, *r.answer)) hop.unreachable = std::move(note);
      }
      if (r.sent) hop.rtts.push_back(answered);
    }
    hop.lossPercent = netprobe::lossPercent(hop.sent, hop.received);
    hop.rtt = rtt.summary();
    for (const auto& [address, replies] : seen) hop.addresses.push_back({address, replies});
    std::stable_sort(hop.addresses.begin(), hop.addresses.end(),
                     [](const HopAddress& a, const HopAddress& b) { return a.replies > b.replies; });
    s.probesSent += hop.sent;
    s.probesAnswered += hop.received;
    s.hops.push_back(std::move(hop));
  }
  if (!s.reached && unreachableTtl && unreachableTtl == last && !s.hops.empty() && s.hops.back().unreachable)
    s.stoppedBy = s.hops.back().unreachable;
  return s;
}

}  // namespace streamswarm::traceroute

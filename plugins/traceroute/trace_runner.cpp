#include "traceroute/trace_runner.hpp"

#include "common/icmp_codec.hpp"
#include "common/ip_header.hpp"

#include <algorithm>
#include <cerrno>

namespace streamswarm::traceroute {
namespace {

class AnswerHandler final : public netprobe::ReceiveSink {
 public:
  AnswerHandler(TraceLedger& ledger, const FlowMatch& match, TraceRunStats& stats)
      : ledger_(ledger), match_(match), stats_(stats) {}

  void datagram(const netprobe::ReceivedDatagram& d) override {
    const auto when = d.kernelTime.value_or(d.userTime);
    const bool kernel = d.kernelTime.has_value();
    if (d.protocol == netprobe::kProtocolTcp) {
      auto segment = d.bytes;
      if (d.withIpHeader) {
        const auto ip = netprobe::parseIpHeader(d.bytes);
        if (!ip) {
          ++stats_.malformed;
          return;
        }
        segment = segment.subspan(ip->headerLength);
      }
      record(classifyTcp(match_, segment, d.from), when, kernel, d.ttl);
      return;
    }
    const auto parsed = netprobe::parseIcmp(d.family, d.bytes, d.withIpHeader);
    if (!parsed.message) {
      ++stats_.malformed;
      return;
    }
    record(classifyIcmp(match_, *parsed.message, d.from), when, kernel, d.ttl);
  }

  void error(const netprobe::ReceivedError& e) override {
    record(classifyQueuedError(match_, e.family, e.destination, e.offender, e.type, e.code, e.original),
           e.kernelTime.value_or(e.userTime), e.kernelTime.has_value(), std::nullopt);
  }

  void txTimestamp(const netprobe::TxTimestamp& stamp) override { ledger_.recordTxTimestamp(stamp); }

 private:
  void record(const std::optional<ProbeAnswer>& answer, netprobe::WallTime when, bool kernel, std::optional<int> ttl) {
    if (!answer || !ledger_.recordAnswer(*answer, when, kernel, ttl)) ++stats_.foreign;
  }

  TraceLedger& ledger_;
  const FlowMatch& match_;
  TraceRunStats& stats_;
};

bool retryable(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS;
}

}  // namespace

TraceRunStats runTrace(TraceTransport& transport, TraceLedger& ledger, const std::vector<FlowIdentity>& flows,
                       const FlowMatch& match, const TraceOptions& options, const std::function<bool()>& cancelled) {
  TraceRunStats stats;
  AnswerHandler handler(ledger, match, stats);
  std::vector<std::uint8_t> probe;
  int round = 0;  // the round being sent, or the next one
  bool sending = false;
  auto roundStart = transport.now();
  // Round r goes out `interval` after round r-1 began, once round r-1 showed where each destination
  // is (or settled), but after kDistanceWait at the latest: so rounds after the first stop at the
  // destination instead of probing every TTL beyond it again.
  auto ready = [&](netprobe::MonoTime now) {
    if (round == 0) return true;
    if (now < roundStart + options.interval) return false;
    if (now >= roundStart + kDistanceWait) return true;
    for (std::size_t t = 0; t < ledger.targets(); ++t)
      if (!ledger.distanceKnown(t) && !ledger.roundSettled(t, round - 1, now)) return false;
    return true;
  };
  // Where the current round has got to: target, then TTL (a burst or a full buffer may pause it).
  std::size_t target = 0;
  int ttl = options.firstTtl;
  while (true) {
    if (cancelled()) {
      stats.cancelled = round < options.probes;
      break;
    }
    auto now = transport.now();
    auto retryAt = netprobe::MonoTime::max();
    if (!sending && round < options.probes && ready(now)) {
      sending = true;
      roundStart = now;
      target = 0;
      ttl = options.firstTtl;
    }
    for (std::size_t burst = 0; sending && burst < kSendBurst;) {
      if (target == ledger.targets()) {
        sending = false;
        ++round;
        break;
      }
      if (ttl > ledger.ttlLimit(target)) {
        ++target;
        ttl = options.firstTtl;
        continue;
      }
      const auto& flow = flows[target];
      buildProbe(flow, probeIndex(round, ttl), probe);
      const auto family = flow.destination.family();
      const auto sent = transport.send(family, flow.destination, probe, ttl);
      if (retryable(sent.error)) {
        retryAt = now + kSendRetry;
        break;
      }
      ledger.recordSend(target, round, ttl, now, family, sent);
      ++ttl;
      ++burst;
      now = transport.now();
    }
    transport.drain(handler);
    now = transport.now();
    // settled() also moves past expired probes, so nextDeadline() below lies ahead of `now`.
    const bool settled = ledger.settled(now);
    if (round >= options.probes && !sending && settled) break;
    if (sending && retryAt == netprobe::MonoTime::max()) continue;   // more of this round to send
    if (!sending && round < options.probes && ready(now)) continue;  // what was just read lets the next round go
    auto wake = std::min(now + kPollSlice, retryAt);
    if (!sending && round < options.probes) {
      const auto earliest = roundStart + options.interval;
      wake = std::min(wake, earliest > now ? earliest : roundStart + kDistanceWait);
    }
    if (const auto deadline = ledger.nextDeadline()) wake = std::min(wake, *deadline);
    if (wake > now) transport.wait(wake);
    transport.drain(handler);
  }
  return stats;
}

}  // namespace streamswarm::traceroute

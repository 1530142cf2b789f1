#include "ping/ping_runner.hpp"

#include "common/icmp_codec.hpp"
#include "ping/ping_payload.hpp"
#include "ping/ping_schedule.hpp"

#include <algorithm>
#include <cerrno>

namespace streamswarm::ping {
namespace {

using netprobe::IcmpKind;

class ReplyHandler final : public netprobe::ReceiveSink {
 public:
  ReplyHandler(PingLedger& ledger, PingTransport& transport, RunnerStats& stats)
      : ledger_(ledger), transport_(transport), stats_(stats) {}

  void datagram(const netprobe::ReceivedDatagram& d) override {
    const auto parsed = netprobe::parseIcmp(d.family, d.bytes, d.withIpHeader);
    if (!parsed.message) {
      ++stats_.malformed;
      return;
    }
    const auto& m = *parsed.message;
    const auto id = transport_.identifier(d.family);
    if (m.kind == IcmpKind::EchoReply) {
      const auto match = m.identifier == id
                             ? ledger_.recordReply(d.from, m.sequence, m.payload, d.kernelTime.value_or(d.userTime),
                                                   d.kernelTime.has_value(), d.ttl)
                             : PingLedger::Match::NotOurs;
      if (match == PingLedger::Match::NotOurs) ++stats_.foreign;
      return;
    }
    if (!netprobe::isIcmpError(m.kind) || !m.quoted) return;  // raw sockets see all ICMP traffic
    // An error about one of our requests quotes its IP header and (the start of) our ICMP header.
    const auto& q = *m.quoted;
    const auto echo = netprobe::parseQuotedEcho(d.family, q.transport);
    const bool ours = echo && echo->kind == IcmpKind::EchoRequest && echo->identifier == id;
    if (!ours || !ledger_.recordIcmpError(q.ip.destination, echo->sequence, echo->payload,
                                          {m.type, m.code, d.from, netprobe::describeIcmp(d.family, m.type, m.code)}))
      ++stats_.foreign;
  }

  // Ping sockets report errors about our requests on the error queue, quoting what we sent.
  void error(const netprobe::ReceivedError& e) override {
    const auto echo = netprobe::parseQuotedEcho(e.family, e.original);
    if (!echo || echo->kind != IcmpKind::EchoRequest ||
        !ledger_.recordIcmpError(e.destination, echo->sequence, echo->payload,
                                 {e.type, e.code, e.offender, netprobe::describeIcmp(e.family, e.type, e.code)}))
      ++stats_.foreign;
  }

  void txTimestamp(const netprobe::TxTimestamp& stamp) override { ledger_.recordTxTimestamp(stamp); }

 private:
  PingLedger& ledger_;
  PingTransport& transport_;
  RunnerStats& stats_;
};

bool retryable(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS;
}

}  // namespace

RunnerStats runPing(PingTransport& transport, PingLedger& ledger, const std::vector<netprobe::Family>& families,
                    const PingOptions& options, const std::function<bool()>& cancelled) {
  RunnerStats stats;
  ReplyHandler handler(ledger, transport, stats);
  PingSchedule schedule(ledger.targets(), ledger.count(), options.interval, options.sendRate, transport.now());
  std::vector<std::uint8_t> payload;
  std::vector<std::uint8_t> packet;
  while (true) {
    if (cancelled()) {
      stats.cancelled = true;
      break;
    }
    auto now = transport.now();
    auto retryAt = netprobe::MonoTime::max();
    for (std::size_t burst = 0; burst < kSendBurst && !schedule.done() && schedule.nextTime() <= now; ++burst) {
      const auto slot = schedule.peek();
      const auto family = families[slot.target];
      const auto number = ledger.nextPacket();
      writePayload(ledger.nonce(), number, ledger.payloadSize(), payload);
      netprobe::buildEchoRequest(family, transport.identifier(family), PingLedger::sequenceOf(number), payload, packet);
      const auto sent = transport.send(family, ledger.addressOf(slot.target), packet);
      if (retryable(sent.error)) {
        retryAt = now + kSendRetry;
        break;
      }
      ledger.recordSend(slot.target, slot.index, now, family, sent);
      schedule.commit(now);
      now = transport.now();
    }
    transport.drain(handler);
    now = transport.now();
    // settled() also moves past expired requests, so nextDeadline() below lies ahead of `now`.
    const bool settled = ledger.settled(now);
    if (schedule.done() && settled) break;
    auto wake = std::min(now + kPollSlice, retryAt);
    if (!schedule.done()) wake = std::min(wake, schedule.nextTime());
    if (const auto deadline = ledger.nextDeadline()) wake = std::min(wake, *deadline);
    if (wake > now) transport.wait(wake);
    transport.drain(handler);
  }
  return stats;
}

}  // namespace streamswarm::ping

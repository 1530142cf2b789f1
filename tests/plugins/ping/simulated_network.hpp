// A PingTransport that simulates the network on a virtual clock: each target answers after a set
// round trip, or drops chosen requests, duplicates replies, answers with an ICMP error, or makes
// the send fail. Deterministic, instant, and no sockets: the unit tests drive the real runner,
// ledger and report through it.
#pragma once

#include "common/icmp_codec.hpp"
#include "common/inet_checksum.hpp"
#include "ping/ping_transport.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ping_test {

using namespace streamswarm::netprobe;

struct TargetBehaviour {
  std::chrono::microseconds rtt{1000};
  std::chrono::microseconds rttStep{0};      // added per request: request k answers after rtt + k * step
  std::set<int> drop;                        // request numbers (per target, from 0) that get no answer
  int duplicates = 0;                        // extra copies of every reply
  std::optional<std::string> icmpErrorFrom;  // answer with "destination unreachable (host)" from here
  int sendError = 0;                         // every send fails with this errno
  int ttl = 61;
};

class SimulatedNetwork final : public streamswarm::ping::PingTransport {
 public:
  // `raw`: deliver like a raw socket (IPv4 header included, ICMP errors as packets); otherwise like
  // a ping socket (errors on the error queue).
  explicit SimulatedNetwork(bool raw = true) : raw_(raw) {}

  std::map<IpAddress, TargetBehaviour> targets;
  std::string problem[2];  // what prepare() reports per family
  int prepares = 0;
  int freshPrepares = 0;
  std::vector<std::pair<MonoTime, IpAddress>> sends;
  bool stampTransmit = true;

  std::string prepare(Family family) override {
    ++prepares;
    if (!problem[index(family)].empty()) return problem[index(family)];
    if (!opened_[index(family)]) ++freshPrepares;
    opened_[index(family)] = true;
    txKey_[index(family)] = 0;
    return {};
  }
  std::string socketKind(Family) const override { return raw_ ? "raw" : "datagram"; }
  std::uint16_t identifier(Family family) const override { return family == Family::V4 ? 0x1234 : 0x5678; }
  MonoTime now() override { return now_; }

  SendOutcome send(Family family, const IpAddress& to, Bytes icmp) override {
    SendOutcome out;
    out.userTime = wall(now_);
    auto& behaviour = targets[to];
    if (behaviour.sendError) {
      out.error = behaviour.sendError;
      return out;
    }
    sends.emplace_back(now_, to);
    const int k = requests_[to]++;
    if (stampTransmit) {
      out.txKey = txKey_[index(family)]++;
      const TxTimestamp stamp{family, *out.txKey, wall(now_ + kWireDelay)};
      schedule(now_ + kWireDelay, [this, stamp](ReceiveSink& sink) { sink.txTimestamp(stamp); });
    }
    if (behaviour.drop.count(k)) return out;
    const std::vector<std::uint8_t> request(icmp.begin(), icmp.end());
    const auto at = now_ + behaviour.rtt + k * behaviour.rttStep;
    if (behaviour.icmpErrorFrom) {
      const auto from = *IpAddress::parse(*behaviour.icmpErrorFrom);
      schedule(at, [=, this](ReceiveSink& sink) { deliverError(sink, family, from, to, request, at); });
      return out;
    }
    for (int copy = 0; copy <= behaviour.duplicates; ++copy)
      schedule(at + copy * kWireDelay,
               [=, this](ReceiveSink& sink) { deliverReply(sink, family, to, request, behaviour.ttl, at); });
    return out;
  }

  void wait(MonoTime until) override {
    const auto next = events_.empty() ? until : std::min(until, events_.begin()->first);
    now_ = std::max(now_, next);
  }

  void drain(ReceiveSink& sink) override {
    while (!events_.empty() && events_.begin()->first <= now_) {
      auto deliver = std::move(events_.begin()->second);
      events_.erase(events_.begin());
      deliver(sink);
    }
  }

  // A stray reply from another program, delivered at the current time.
  void injectForeignReply(Family family, const IpAddress& from, std::uint16_t id, std::uint16_t seq) {
    std::vector<std::uint8_t> request;
    const std::vector<std::uint8_t> payload(56, 0xee);
    buildEchoRequest(family, id, seq, payload, request);
    schedule(now_, [=, this](ReceiveSink& sink) { deliverReply(sink, family, from, request, 64, now_); });
  }

  static constexpr std::chrono::microseconds kWireDelay{5};

 private:
  static std::size_t index(Family f) { return f == Family::V4 ? 0 : 1; }
  // The virtual clocks: monotonic from an arbitrary origin, wall = monotonic + a fixed offset.
  static WallTime wall(MonoTime t) { return WallTime(std::chrono::seconds(1'700'000'000)) + t.time_since_epoch(); }

  void schedule(MonoTime at, std::function<void(ReceiveSink&)> deliver) { events_.emplace(at, std::move(deliver)); }

  // IPv4 raw sockets deliver the IP header first; the simulated one is minimal but valid.
  std::vector<std::uint8_t> withIpv4Header(const IpAddress& from, std::vector<std::uint8_t> icmp, int ttl) const {
    std::vector<std::uint8_t> packet(20, 0);
    packet[0] = 0x45;
    store16(packet, 2, static_cast<std::uint16_t>(20 + icmp.size()));
    packet[8] = static_cast<std::uint8_t>(ttl);
    packet[9] = 1;
    std::copy(from.bytes().begin(), from.bytes().end(), packet.begin() + 12);
    packet.insert(packet.end(), icmp.begin(), icmp.end());
    return packet;
  }

  void deliverReply(ReceiveSink& sink, Family family, const IpAddress& from, std::vector<std::uint8_t> icmp, int ttl,
                    MonoTime at) {
    icmp[0] = family == Family::V4 ? icmp4::kEchoReply : icmp6::kEchoReply;
    store16(icmp, 2, 0);
    if (family == Family::V4) store16(icmp, 2, inetChecksum(icmp));
    const bool header = raw_ && family == Family::V4;
    const auto bytes = header ? withIpv4Header(from, icmp, ttl) : icmp;
    ReceivedDatagram d;
    d.family = family;
    d.protocol = family == Family::V4 ? 1 : 58;
    d.from = from;
    d.withIpHeader = header;
    d.bytes = bytes;
    d.kernelTime = wall(at);
    d.userTime = wall(now_);
    d.ttl = ttl;
    sink.datagram(d);
  }

  void deliverError(ReceiveSink& sink, Family family, const IpAddress& router, const IpAddress& target,
                    const std::vector<std::uint8_t>& request, MonoTime at) {
    const std::uint8_t type = family == Family::V4 ? icmp4::kDestinationUnreachable : icmp6::kDestinationUnreachable;
    const std::uint8_t code = family == Family::V4 ? 1 : 3;  // host / address unreachable
    if (!raw_) {
      ReceivedError e;
      e.family = family;
      e.offender = router;
      e.destination = target;
      e.type = type;
      e.code = code;
      e.original = request;
      e.kernelTime = wall(at);
      e.userTime = wall(now_);
      sink.error(e);
      return;
    }
    // The quoted datagram: our request's IP header (source left 0) and the first 28 bytes of ICMP.
    std::vector<std::uint8_t> quote;
    if (family == Family::V4) {
      quote.assign(20, 0);
      quote[0] = 0x45;
      store16(quote, 2, static_cast<std::uint16_t>(20 + request.size()));
      quote[9] = 1;
      std::copy(target.bytes().begin(), target.bytes().end(), quote.begin() + 16);
    } else {
      quote.assign(40, 0);
      quote[0] = 0x60;
      store16(quote, 4, static_cast<std::uint16_t>(request.size()));
      quote[6] = 58;
      std::copy(target.bytes().begin(), target.bytes().end(), quote.begin() + 24);
    }
    quote.insert(quote.end(), request.begin(), request.begin() + std::min<std::size_t>(request.size(), 28));
    std::vector<std::uint8_t> icmp(8, 0);
    icmp[0] = type;
    icmp[1] = code;
    icmp.insert(icmp.end(), quote.begin(), quote.end());
    if (family == Family::V4) store16(icmp, 2, inetChecksum(icmp));
    const auto bytes = family == Family::V4 ? withIpv4Header(router, icmp, 62) : icmp;
    ReceivedDatagram d;
    d.family = family;
    d.from = router;
    d.withIpHeader = family == Family::V4;
    d.bytes = bytes;
    d.kernelTime = wall(at);
    d.userTime = wall(now_);
    sink.datagram(d);
  }

  bool raw_;
  MonoTime now_{std::chrono::seconds(100)};
  bool opened_[2] = {false, false};
  std::uint32_t txKey_[2] = {0, 0};
  std::map<IpAddress, int> requests_;
  std::multimap<MonoTime, std::function<void(ReceiveSink&)>> events_;
};

}  // namespace ping_test

// A TraceTransport that simulates paths on a virtual clock: per destination, the routers at each
// TTL (one, several answering in turn like a per-packet balancer, or none), rounds they drop, and
// how the destination answers. Answers are real packets built around the probe the plugin sent
// (ICMP errors quoting it, echo replies, port unreachables, TCP RSTs), so the plugin's own codec
// reads them. Deterministic and instant: no sockets, no waiting.
#pragma once

#include "common/icmp_codec.hpp"
#include "common/inet_checksum.hpp"
#include "common/transport_codec.hpp"
#include "traceroute/trace_transport.hpp"
#include "traceroute/traceroute_options.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace traceroute_test {

using namespace streamswarm::netprobe;
using streamswarm::traceroute::TraceMode;

struct SimHop {
  std::vector<std::string> routers;  // answer in turn, round by round; empty: the hop never answers
  std::set<int> dropRounds;          // rounds whose probe (or answer) is lost
  std::chrono::microseconds rtt{1000};
};

struct SimPath {
  std::vector<SimHop> hops;  // TTL 1, 2, ... before the destination
  enum class End { Answers, Silent, Unreachable } end = End::Answers;
  std::string unreachableFrom;  // End::Unreachable: the last router says "host unreachable"
  std::chrono::microseconds rtt{5000};
};

class SimulatedPathNetwork final : public streamswarm::traceroute::TraceTransport {
 public:
  SimulatedPathNetwork(TraceMode mode, bool raw) : mode_(mode), raw_(raw) {}

  std::map<IpAddress, SimPath> paths;
  std::string problem[2];
  int freshPrepares = 0;
  std::size_t sent = 0;

  std::string prepare(Family family) override {
    if (!problem[index(family)].empty()) return problem[index(family)];
    if (!opened_[index(family)]) ++freshPrepares;
    opened_[index(family)] = true;
    return {};
  }
  std::string socketKind(Family) const override { return raw_ ? "raw" : "datagram"; }
  std::uint16_t icmpIdentifier(Family family) const override { return family == Family::V4 ? 0x7001 : 0x7002; }
  std::optional<IpAddress> sourceFor(const IpAddress& destination, std::string&) override {
    return *IpAddress::parse(destination.family() == Family::V4 ? "10.0.0.1" : "fd00::1");
  }
  MonoTime now() override { return now_; }

  SendOutcome send(Family family, const IpAddress& to, Bytes probe, int ttl) override {
    ++sent;
    SendOutcome out;
    out.userTime = wall(now_);
    const auto it = paths.find(to);
    if (it == paths.end()) return out;
    const auto& path = it->second;
    const int round = sentAt_[{to, ttl}]++;
    const std::vector<std::uint8_t> bytes(probe.begin(), probe.end());
    std::string ignored;
    const auto source = *sourceFor(to, ignored);
    if (ttl <= static_cast<int>(path.hops.size())) {
      const auto& hop = path.hops[static_cast<std::size_t>(ttl - 1)];
      if (hop.routers.empty() || hop.dropRounds.count(round)) return out;
      const auto router = *IpAddress::parse(hop.routers[static_cast<std::size_t>(round) % hop.routers.size()]);
      const std::uint8_t type = family == Family::V4 ? icmp4::kTimeExceeded : icmp6::kTimeExceeded;
      at(now_ + hop.rtt, [=, this](ReceiveSink& s) { deliverError(s, family, router, source, to, type, 0, bytes); });
      return out;
    }
    switch (path.end) {
      case SimPath::End::Silent: return out;
      case SimPath::End::Unreachable: {
        const auto router = *IpAddress::parse(path.unreachableFrom);
        const std::uint8_t type =
            family == Family::V4 ? icmp4::kDestinationUnreachable : icmp6::kDestinationUnreachable;
        const std::uint8_t code = family == Family::V4 ? 1 : 3;
        at(now_ + path.rtt,
           [=, this](ReceiveSink& s) { deliverError(s, family, router, source, to, type, code, bytes); });
        return out;
      }
      case SimPath::End::Answers: break;
    }
    at(now_ + path.rtt, [=, this](ReceiveSink& s) { deliverDestination(s, family, to, source, bytes); });
    return out;
  }

  void wait(MonoTime until) override {
    now_ = std::max(now_, events_.empty() ? until : std::min(until, events_.begin()->first));
  }
  void drain(ReceiveSink& sink) override {
    while (!events_.empty() && events_.begin()->first <= now_) {
      auto deliver = std::move(events_.begin()->second);
      events_.erase(events_.begin());
      deliver(sink);
    }
  }

 private:
  static std::size_t index(Family f) { return f == Family::V4 ? 0 : 1; }
  static WallTime wall(MonoTime t) { return WallTime(std::chrono::seconds(1'700'000'000)) + t.time_since_epoch(); }
  void at(MonoTime when, std::function<void(ReceiveSink&)> f) { events_.emplace(when, std::move(f)); }

  std::uint8_t protocol(Family family) const {
    if (mode_ == TraceMode::Udp) return 17;
    if (mode_ == TraceMode::Tcp) return 6;
    return family == Family::V4 ? 1 : 58;
  }

  static std::vector<std::uint8_t> ipHeader(Family family, std::uint8_t proto, const IpAddress& src,
                                            const IpAddress& dst, std::size_t payload, int ttl) {
    std::vector<std::uint8_t> h(family == Family::V4 ? 20 : 40, 0);
    if (family == Family::V4) {
      h[0] = 0x45;
      store16(h, 2, static_cast<std::uint16_t>(20 + payload));
      h[8] = static_cast<std::uint8_t>(ttl);
      h[9] = proto;
      std::copy(src.bytes().begin(), src.bytes().end(), h.begin() + 12);
      std::copy(dst.bytes().begin(), dst.bytes().end(), h.begin() + 16);
    } else {
      h[0] = 0x60;
      store16(h, 4, static_cast<std::uint16_t>(payload));
      h[6] = proto;
      h[7] = static_cast<std::uint8_t>(ttl);
      std::copy(src.bytes().begin(), src.bytes().end(), h.begin() + 8);
      std::copy(dst.bytes().begin(), dst.bytes().end(), h.begin() + 24);
    }
    return h;
  }

  // Raw IPv4 sockets deliver the IP header; everything else starts at the ICMP or TCP header.
  void deliverPacket(ReceiveSink& sink, Family family, std::uint8_t proto, const IpAddress& from, const IpAddress& to,
                     const std::vector<std::uint8_t>& l4) {
    const bool header = family == Family::V4 && (raw_ || proto == 6);
    std::vector<std::uint8_t> bytes;
    if (header) bytes = ipHeader(family, proto, from, to, l4.size(), 60);
    bytes.insert(bytes.end(), l4.begin(), l4.end());
    ReceivedDatagram d;
    d.family = family;
    d.protocol = proto == 6 ? 6 : (family == Family::V4 ? 1 : 58);
    d.from = from;
    d.withIpHeader = header;
    d.bytes = bytes;
    d.kernelTime = wall(now_);
    d.userTime = wall(now_);
    d.ttl = 60;
    sink.datagram(d);
  }

  void deliverError(ReceiveSink& sink, Family family, const IpAddress& router, const IpAddress& source,
                    const IpAddress& destination, std::uint8_t type, std::uint8_t code,
                    const std::vector<std::uint8_t>& probe) {
    if (!raw_) {  // a ping socket queues it, quoting our ICMP header and data
      ReceivedError e;
      e.family = family;
      e.offender = router;
      e.destination = destination;
      e.type = type;
      e.code = code;
      e.original = probe;
      e.kernelTime = wall(now_);
      e.userTime = wall(now_);
      sink.error(e);
      return;
    }
    std::vector<std::uint8_t> icmp(8, 0);
    icmp[0] = type;
    icmp[1] = code;
    const auto quoted = ipHeader(family, protocol(family), source, destination, probe.size(), 1);
    icmp.insert(icmp.end(), quoted.begin(), quoted.end());
    icmp.insert(icmp.end(), probe.begin(), probe.end());
    if (family == Family::V4) store16(icmp, 2, inetChecksum(icmp));
    deliverPacket(sink, family, family == Family::V4 ? 1 : 58, router, source, icmp);
  }

  void deliverDestination(ReceiveSink& sink, Family family, const IpAddress& destination, const IpAddress& source,
                          std::vector<std::uint8_t> probe) {
    if (mode_ == TraceMode::Icmp) {
      probe[0] = family == Family::V4 ? icmp4::kEchoReply : icmp6::kEchoReply;
      store16(probe, 2, 0);
      if (family == Family::V4) store16(probe, 2, inetChecksum(probe));
      deliverPacket(sink, family, family == Family::V4 ? 1 : 58, destination, source, probe);
    } else if (mode_ == TraceMode::Udp) {
      deliverError(sink, family, destination, source, destination,
                   family == Family::V4 ? icmp4::kDestinationUnreachable : icmp6::kDestinationUnreachable,
                   family == Family::V4 ? icmp4::kPortUnreachable : icmp6::kPortUnreachable, probe);
    } else {
      const auto syn = parseTcpHeader(probe);
      std::vector<std::uint8_t> rst(20, 0);
      store16(rst, 0, syn->destinationPort);
      store16(rst, 2, syn->sourcePort);
      store32(rst, 8, syn->sequence + 1);
      rst[12] = 0x50;
      rst[13] = tcpflag::kRst | tcpflag::kAck;
      deliverPacket(sink, family, 6, destination, source, rst);
    }
  }

  TraceMode mode_;
  bool raw_;
  MonoTime now_{std::chrono::seconds(100)};
  bool opened_[2] = {false, false};
  std::map<std::pair<IpAddress, int>, int> sentAt_;
  std::multimap<MonoTime, std::function<void(ReceiveSink&)>> events_;
};

}  // namespace traceroute_test

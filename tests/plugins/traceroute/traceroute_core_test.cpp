#define BOOST_TEST_MODULE traceroute_core
// The pure parts of traceroute: options, Paris probes (constant flow fields, the probe number where
// balancers do not look), recognising answers (also on captured packets and random bytes), the
// ledger, hop aggregation (mtr statistics), path fingerprints and diffs, and the report.
#include "common/inet_checksum.hpp"
#include "common/ip_header.hpp"
#include "common/transport_codec.hpp"
#include "tests/support/hex_fixture.hpp"
#include "traceroute/hop_aggregator.hpp"
#include "traceroute/path_fingerprint.hpp"
#include "traceroute/trace_ledger.hpp"
#include "traceroute/trace_probe_codec.hpp"
#include "traceroute/trace_report.hpp"
#include "traceroute/traceroute_options.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>

using namespace streamswarm;
using namespace streamswarm::traceroute;
using namespace std::chrono_literals;
using streamswarm::testsupport::hexFixture;
namespace json = boost::json;
namespace tt = boost::test_tools;

namespace {

TraceOptions options(std::map<std::string, std::string> given) {
  return parseTraceOptions(Options::validated(traceConfigKeys(), given));
}

std::string configError(std::map<std::string, std::string> given) {
  try {
    options(std::move(given));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return {};
}

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

FlowIdentity flow(TraceMode mode, const char* source, const char* destination) {
  FlowIdentity f;
  f.mode = mode;
  f.source = ip(source);
  f.destination = ip(destination);
  f.sourcePort = 61234;
  f.destinationPort = mode == TraceMode::Tcp ? 443 : 33434;
  f.icmpIdentifier = 0xbeef;
  f.tcpSequenceBase = 0xfffffff0;  // wraps: the arithmetic is modulo 2^32
  return f;
}

FlowMatch matchFor(const FlowIdentity& f, int probes = 3, int maxHops = 30) {
  FlowMatch m;
  m.mode = f.mode;
  m.sourcePort = f.sourcePort;
  m.destinationPort = f.destinationPort;
  m.icmpIdentifier[0] = m.icmpIdentifier[1] = f.icmpIdentifier;
  m.tcpSequenceBase = f.tcpSequenceBase;
  m.maxIndex = probeIndex(probes - 1, maxHops);
  return m;
}

// What a router sends back: ICMP error of `type` quoting an IP header and `probe`.
std::vector<std::uint8_t> errorQuoting(const FlowIdentity& f, std::uint8_t type, std::uint8_t code,
                                       const std::vector<std::uint8_t>& probe, std::size_t quoteBytes = 8) {
  const bool v4 = f.destination.family() == Family::V4;
  const std::uint8_t proto = f.mode == TraceMode::Icmp ? (v4 ? 1 : 58) : f.mode == TraceMode::Udp ? 17 : 6;
  std::vector<std::uint8_t> icmp(8, 0);
  icmp[0] = type;
  icmp[1] = code;
  std::vector<std::uint8_t> ipHeader(v4 ? 20 : 40, 0);
  if (v4) {
    ipHeader[0] = 0x45;
    ipHeader[9] = proto;
    std::copy(f.source.bytes().begin(), f.source.bytes().end(), ipHeader.begin() + 12);
    std::copy(f.destination.bytes().begin(), f.destination.bytes().end(), ipHeader.begin() + 16);
  } else {
    ipHeader[0] = 0x60;
    ipHeader[6] = proto;
    std::copy(f.source.bytes().begin(), f.source.bytes().end(), ipHeader.begin() + 8);
    std::copy(f.destination.bytes().begin(), f.destination.bytes().end(), ipHeader.begin() + 24);
  }
  icmp.insert(icmp.end(), ipHeader.begin(), ipHeader.end());
  icmp.insert(icmp.end(), probe.begin(),
              probe.begin() + static_cast<std::ptrdiff_t>(std::min(quoteBytes, probe.size())));
  if (v4) netprobe::store16(icmp, 2, netprobe::inetChecksum(icmp));
  return icmp;
}

std::optional<ProbeAnswer> classify(const FlowMatch& m, Family family, const std::vector<std::uint8_t>& icmp,
                                    const char* from) {
  const auto parsed = netprobe::parseIcmp(family, icmp, false);
  if (!parsed.message) return std::nullopt;
  return classifyIcmp(m, *parsed.message, ip(from));
}

WallTime wallAt(std::chrono::nanoseconds d) {
  return WallTime(std::chrono::seconds(1'700'000'000) + d);
}

netprobe::SendOutcome sentAt(std::chrono::nanoseconds d) {
  netprobe::SendOutcome s;
  s.userTime = wallAt(d);
  return s;
}

ProbeAnswer answer(ProbeAnswer::Kind kind, const char* destination, int round, int ttl, const char* from,
                   std::uint8_t type = 11, std::uint8_t code = 0) {
  return {kind, ip(destination), probeIndex(round, ttl), ip(from), type, code};
}

// dst 10.9.9.9 at TTL 4; hop 2 silent; hop 3 balanced over two routers and losing round 1.
TraceLedger sampleLedger() {
  TraceLedger l({ip("10.9.9.9")}, 1, 6, 3, 1s);
  for (int round = 0; round < 3; ++round) {
    const auto base = std::chrono::seconds(round);
    const int limit = round == 0 ? 6 : 4;
    for (int ttl = 1; ttl <= limit; ++ttl) l.recordSend(0, round, ttl, MonoTime(base), Family::V4, sentAt(base));
    using K = ProbeAnswer::Kind;
    l.recordAnswer(answer(K::TimeExceeded, "10.9.9.9", round, 1, "10.0.1.1"), wallAt(base + 1ms), true, 255);
    if (round != 1)
      l.recordAnswer(answer(K::TimeExceeded, "10.9.9.9", round, 3, round == 0 ? "10.0.3.1" : "10.0.3.9"),
                     wallAt(base + 3ms), true, 253);
    l.recordAnswer(answer(K::Reached, "10.9.9.9", round, 4, "10.9.9.9", 0, 0), wallAt(base + 4ms + round * 1ms), true,
                   60);
    if (round == 0) {
      l.recordAnswer(answer(K::Reached, "10.9.9.9", 0, 5, "10.9.9.9", 0, 0), wallAt(base + 4ms), true, 60);
      l.recordAnswer(answer(K::Reached, "10.9.9.9", 0, 6, "10.9.9.9", 0, 0), wallAt(base + 4ms), true, 60);
    }
  }
  return l;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_per_mode) {
  const auto icmp = options({{"targets", "192.0.2.1"}});
  BOOST_TEST((icmp.mode == TraceMode::Icmp));
  BOOST_TEST(icmp.maxHops == 30);
  BOOST_TEST(icmp.probes == 3);
  BOOST_TEST(icmp.interval.count() == 0);  // 3 rounds fit a router's burst of ICMP errors
  BOOST_TEST(options({{"targets", "192.0.2.1"}, {"probes", "10"}}).interval.count() == 500'000'000);
  BOOST_TEST(!icmp.sourcePort.has_value());
  const auto udp = options({{"targets", "192.0.2.1"}, {"mode", "udp"}});
  BOOST_TEST(udp.port == 33434);
  BOOST_TEST(udp.interval.count() == 1'000'000'000);
  const auto tcp = options({{"targets", "192.0.2.1"}, {"mode", "tcp"}, {"source_port", "40000"}, {"interval", "0"}});
  BOOST_TEST(tcp.port == 80);
  BOOST_TEST(*tcp.sourcePort == 40000);
  BOOST_TEST(tcp.interval.count() == 0);
}

BOOST_AUTO_TEST_CASE(errors_name_the_option) {
  BOOST_TEST(configError({}).find("'targets'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"first_ttl", "9"}, {"max_hops", "8"}}).find("'first_ttl'") !=
             std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"port", "53"}}).find("'port'") != std::string::npos);  // icmp
  BOOST_TEST(configError({{"targets", "a"}, {"source_port", "53"}}).find("'source_port'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"probes", "101"}}).find("'probes'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"max_hops", "256"}}).find("'max_hops'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"mode", "sctp"}}).find("'mode'") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a,a"}}).find("twice") != std::string::npos);
  BOOST_TEST(configError({{"targets", "a"}, {"source", "::1"}, {"family", "ipv4"}}).find("'source'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paris_probes)

BOOST_AUTO_TEST_CASE(icmp_probes_keep_identifier_and_checksum_constant) {
  const auto f = flow(TraceMode::Icmp, "10.0.0.1", "10.9.9.9");
  std::set<std::vector<std::uint8_t>> headers;
  for (int round = 0; round < 3; ++round)
    for (int ttl = 1; ttl <= 30; ++ttl) {
      std::vector<std::uint8_t> probe;
      buildProbe(f, probeIndex(round, ttl), probe);
      BOOST_TEST_REQUIRE(netprobe::inetChecksum(probe) == 0);  // valid
      BOOST_TEST_REQUIRE(netprobe::load16(probe, 2) == kIcmpFlowChecksum);
      BOOST_TEST_REQUIRE(netprobe::load16(probe, 4) == 0xbeef);
      BOOST_TEST_REQUIRE(netprobe::load16(probe, 6) == probeIndex(round, ttl));
      BOOST_TEST_REQUIRE(probe.size() == netprobe::kIcmpHeaderSize + kProbePayloadBytes);
      headers.insert(std::vector<std::uint8_t>(probe.begin(), probe.begin() + 4));  // type, code, checksum
    }
  BOOST_TEST(headers.size() == 1u);  // what an ICMP-hashing balancer sees never changes
}

BOOST_AUTO_TEST_CASE(icmpv6_probes_aim_the_kernels_checksum_at_the_constant) {
  const auto f = flow(TraceMode::Icmp, "fd00::1", "fd00:9::9");
  for (int ttl = 1; ttl <= 30; ++ttl) {
    std::vector<std::uint8_t> probe;
    buildProbe(f, probeIndex(1, ttl), probe);
    BOOST_TEST_REQUIRE(netprobe::load16(probe, 2) == 0);  // the kernel fills it in...
    // ...with the checksum over the pseudo-header, which the filler word makes our constant.
    BOOST_TEST_REQUIRE(netprobe::pseudoHeaderChecksum(f.source, f.destination, netprobe::kProtocolIcmpv6, probe) ==
                       kIcmpFlowChecksum);
  }
}

BOOST_AUTO_TEST_CASE(udp_probes_carry_their_number_in_a_valid_checksum) {
  for (const auto& [source, destination] : {std::pair{"10.0.0.1", "10.9.9.9"}, std::pair{"fd00::1", "fd00:9::9"}}) {
    const auto f = flow(TraceMode::Udp, source, destination);
    for (int round = 0; round < 100; round += 33)
      for (int ttl = 1; ttl <= 255; ttl += 50) {
        std::vector<std::uint8_t> probe;
        const auto index = probeIndex(round, ttl);
        buildProbe(f, index, probe);
        const auto udp = netprobe::parseUdpHeader(probe);
        BOOST_TEST_REQUIRE(udp->sourcePort == 61234);
        BOOST_TEST_REQUIRE(udp->destinationPort == 33434);
        BOOST_TEST_REQUIRE(udp->checksum == index + 1);
        // Summed with its checksum field, a valid datagram gives 0.
        BOOST_TEST_REQUIRE(netprobe::pseudoHeaderChecksum(f.source, f.destination, netprobe::kProtocolUdp, probe) == 0);
      }
  }
}

BOOST_AUTO_TEST_CASE(tcp_probes_number_the_sequence) {
  const auto f = flow(TraceMode::Tcp, "10.0.0.1", "10.9.9.9");
  std::vector<std::uint8_t> probe;
  buildProbe(f, probeIndex(2, 7), probe);
  const auto tcp = netprobe::parseTcpHeader(probe);
  BOOST_TEST(tcp->flags == netprobe::tcpflag::kSyn);
  BOOST_TEST(tcp->sequence == f.tcpSequenceBase + probeIndex(2, 7));
  BOOST_TEST(tcp->sourcePort == 61234);
  BOOST_TEST(netprobe::pseudoHeaderChecksum(f.source, f.destination, netprobe::kProtocolTcp, probe) == 0);
}

BOOST_AUTO_TEST_CASE(index_encoding) {
  BOOST_TEST(roundOf(probeIndex(99, 255)) == 99);
  BOOST_TEST(ttlOf(probeIndex(99, 255)) == 255);
  BOOST_TEST(probeIndex(99, 255) + 1 < 0xffff);  // fits the UDP checksum, never 0 nor 0xffff
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(answers)

BOOST_AUTO_TEST_CASE(time_exceeded_and_destination_answers_for_each_mode) {
  for (const auto mode : {TraceMode::Icmp, TraceMode::Udp, TraceMode::Tcp})
    for (const auto& [source, destination, router] :
         {std::tuple{"10.0.0.1", "10.9.9.9", "10.0.5.1"}, std::tuple{"fd00::1", "fd00:9::9", "fd00:5::1"}}) {
      const auto f = flow(mode, source, destination);
      const auto m = matchFor(f);
      const auto family = f.destination.family();
      const bool v4 = family == Family::V4;
      std::vector<std::uint8_t> probe;
      buildProbe(f, probeIndex(1, 5), probe);

      const auto te = classify(m, family, errorQuoting(f, v4 ? 11 : 3, 0, probe), router);
      BOOST_TEST_REQUIRE(te.has_value());
      BOOST_TEST((te->kind == ProbeAnswer::Kind::TimeExceeded));
      BOOST_TEST(te->index == probeIndex(1, 5));
      BOOST_TEST(te->from.toString() == router);
      BOOST_TEST(te->destination.toString() == destination);

      // Someone else's probe to the same place: another source port / identifier.
      auto other = f;
      other.sourcePort = 1;
      other.icmpIdentifier = 1;
      other.tcpSequenceBase = 12345;
      std::vector<std::uint8_t> foreign;
      buildProbe(other, probeIndex(1, 5), foreign);
      if (mode != TraceMode::Tcp)
        BOOST_TEST(!classify(m, family, errorQuoting(other, v4 ? 11 : 3, 0, foreign), router));

      // Unreachable from a router: the trace ends there.
      const auto unreach = classify(m, family, errorQuoting(f, v4 ? 3 : 1, v4 ? 1 : 3, probe), router);
      BOOST_TEST_REQUIRE(unreach.has_value());
      BOOST_TEST((unreach->kind == ProbeAnswer::Kind::Unreachable));

      if (mode == TraceMode::Udp) {
        const auto port = classify(m, family, errorQuoting(f, v4 ? 3 : 1, v4 ? 3 : 4, probe), destination);
        BOOST_TEST_REQUIRE(port.has_value());
        BOOST_TEST((port->kind == ProbeAnswer::Kind::Reached));
      }
      if (mode == TraceMode::Icmp) {
        auto reply = probe;
        reply[0] = v4 ? 0 : 129;
        netprobe::store16(reply, 2, 0);
        if (v4) netprobe::store16(reply, 2, netprobe::inetChecksum(reply));
        const auto echo = classify(m, family, reply, destination);
        BOOST_TEST_REQUIRE(echo.has_value());
        BOOST_TEST((echo->kind == ProbeAnswer::Kind::Reached));
        BOOST_TEST(echo->index == probeIndex(1, 5));
        auto wrongId = m;
        wrongId.icmpIdentifier[0] = wrongId.icmpIdentifier[1] = 7;
        BOOST_TEST(!classify(wrongId, family, reply, destination));
      }
      if (mode == TraceMode::Tcp) {
        for (const std::uint8_t flags : {std::uint8_t(0x12), std::uint8_t(0x14)}) {  // SYN-ACK, RST-ACK
          std::vector<std::uint8_t> seg(20, 0);
          netprobe::store16(seg, 0, f.destinationPort);
          netprobe::store16(seg, 2, f.sourcePort);
          netprobe::store32(seg, 8, f.tcpSequenceBase + probeIndex(1, 5) + 1);
          seg[12] = 0x50;
          seg[13] = flags;
          const auto a = classifyTcp(m, seg, ip(destination));
          BOOST_TEST_REQUIRE(a.has_value());
          BOOST_TEST((a->kind == ProbeAnswer::Kind::Reached));
          BOOST_TEST(a->index == probeIndex(1, 5));
          seg[13] = 0x04;  // a RST without ACK says nothing about which probe
          BOOST_TEST(!classifyTcp(m, seg, ip(destination)));
        }
      }
    }
}

BOOST_AUTO_TEST_CASE(probe_numbers_beyond_the_run_are_rejected) {
  const auto f = flow(TraceMode::Icmp, "10.0.0.1", "10.9.9.9");
  const auto m = matchFor(f, 2, 5);  // at most round 1, TTL 5
  std::vector<std::uint8_t> probe;
  buildProbe(f, probeIndex(2, 1), probe);
  BOOST_TEST(!classify(m, Family::V4, errorQuoting(f, 11, 0, probe), "10.0.5.1"));
}

BOOST_AUTO_TEST_CASE(queued_errors_of_ping_sockets) {
  const auto f = flow(TraceMode::Icmp, "10.0.0.1", "10.9.9.9");
  const auto m = matchFor(f);
  std::vector<std::uint8_t> probe;
  buildProbe(f, probeIndex(0, 3), probe);
  const auto a = classifyQueuedError(m, Family::V4, f.destination, ip("10.0.3.1"), 11, 0, probe);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST((a->kind == ProbeAnswer::Kind::TimeExceeded));
  BOOST_TEST(a->index == probeIndex(0, 3));
  const auto unreach = classifyQueuedError(m, Family::V4, f.destination, ip("10.0.3.1"), 3, 1, probe);
  BOOST_TEST((unreach->kind == ProbeAnswer::Kind::Unreachable));
  BOOST_TEST(!classifyQueuedError(m, Family::V4, f.destination, std::nullopt, 11, 0, probe));
}

BOOST_AUTO_TEST_CASE(captured_answers_to_traceroute_probes) {
  // Real routers' time-exceeded quoting `traceroute -T` and a real RST, matched as if they were
  // our flow (the capture's ports and sequence numbers).
  FlowMatch m;
  m.mode = TraceMode::Tcp;
  m.sourcePort = 49611;
  m.destinationPort = 80;
  m.tcpSequenceBase = 0x267b0685 - 5;
  m.maxIndex = 0xffff;
  const auto teBytes = hexFixture("traceroute/ipv4_time_exceeded_tcp.hex");
  const auto te = netprobe::parseIcmp(Family::V4, teBytes, true);
  const auto a = classifyIcmp(m, *te.message, te.message->ip->source);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->index == 5);
  BOOST_TEST(a->from.toString() == "10.200.1.2");
  BOOST_TEST(a->destination.toString() == "10.200.2.2");

  m.sourcePort = 52255;
  m.tcpSequenceBase = 0xae640b5d - 9;
  const auto te6Bytes = hexFixture("traceroute/ipv6_time_exceeded_tcp.hex");
  const auto te6 = netprobe::parseIcmp(Family::V6, te6Bytes, false);
  BOOST_TEST(classifyIcmp(m, *te6.message, ip("fd00:200:1::2"))->index == 9);

  const auto rst = hexFixture("traceroute/ipv4_tcp_rst.hex");
  const auto header = netprobe::parseIpHeader(rst);
  m.sourcePort = 47621;
  m.tcpSequenceBase = 0x543ab1ba - 1 - 4;
  const auto r = classifyTcp(m, netprobe::Bytes(rst).subspan(header->headerLength), header->source);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST((r->kind == ProbeAnswer::Kind::Reached));
  BOOST_TEST(r->index == 4);

  // traceroute's UDP probe: its quoted checksum (0x18cc, the veth partial sum) reads as probe 0x18cb.
  m.mode = TraceMode::Udp;
  m.sourcePort = 55550;
  m.destinationPort = 33434;
  const auto puBytes = hexFixture("traceroute/ipv4_port_unreachable_udp.hex");
  const auto pu = netprobe::parseIcmp(Family::V4, puBytes, true);
  const auto p = classifyIcmp(m, *pu.message, pu.message->ip->source);
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST((p->kind == ProbeAnswer::Kind::Reached));  // port unreachable from the destination
  BOOST_TEST(p->index == 0x18cb);
  m.maxIndex = 0x18ca;
  BOOST_TEST(!classifyIcmp(m, *pu.message, pu.message->ip->source));
}

BOOST_AUTO_TEST_CASE(random_bytes_never_break_the_classifiers) {
  // Mutations of captured answers, classified against the flow of the captured TCP probe: no input
  // may crash a classifier (ASan watches in the sanitizer build) or yield a probe number outside the run.
  std::mt19937 random(4242);
  const std::vector<std::vector<std::uint8_t>> seeds = {
      hexFixture("traceroute/ipv4_time_exceeded_udp.hex"), hexFixture("traceroute/ipv4_time_exceeded_tcp.hex"),
      hexFixture("traceroute/ipv6_time_exceeded_tcp.hex"), hexFixture("traceroute/ipv4_tcp_rst.hex")};
  FlowMatch m;
  m.mode = TraceMode::Tcp;
  m.sourcePort = 49611;
  m.destinationPort = 80;
  m.tcpSequenceBase = 0x267b0685 - 5;
  m.maxIndex = probeIndex(2, 30);
  std::size_t classified = 0;
  auto check = [&](const std::optional<ProbeAnswer>& a) {
    if (!a) return;
    ++classified;
    BOOST_TEST_REQUIRE(a->index <= m.maxIndex);
  };
  for (int round = 0; round < 20000; ++round) {
    auto bytes = seeds[random() % seeds.size()];
    if (round % 4 != 0)
      for (int f = 0; f < 1 + static_cast<int>(random() % 3); ++f)
        bytes[20 + random() % (bytes.size() - 20)] = static_cast<std::uint8_t>(random());
    bytes.resize(random() % (bytes.size() + 1));
    for (const auto family : {Family::V4, Family::V6}) {
      const auto parsed = netprobe::parseIcmp(family, bytes, family == Family::V4);
      if (parsed.message) check(classifyIcmp(m, *parsed.message, ip("10.0.0.1")));
      check(classifyTcp(m, bytes, ip("10.0.0.1")));
      check(classifyQueuedError(m, family, ip("10.0.0.2"), ip("10.0.0.1"), 11, 0, bytes));
    }
  }
  BOOST_TEST(classified > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(aggregation)

BOOST_AUTO_TEST_CASE(ledger_limits_later_rounds_and_settles) {
  TraceLedger l({ip("10.9.9.9"), ip("fd00::9")}, 1, 30, 2, 1s);
  BOOST_TEST(l.ttlLimit(0) == 30);
  l.recordSend(0, 0, 5, MonoTime(0s), Family::V4, sentAt(0s));
  l.recordSend(0, 0, 7, MonoTime(0s), Family::V4, sentAt(0s));
  BOOST_TEST(l.recordAnswer(answer(ProbeAnswer::Kind::Reached, "10.9.9.9", 0, 7, "10.9.9.9"), wallAt(1ms), true, 60));
  BOOST_TEST(l.ttlLimit(0) == 7);
  BOOST_TEST(!l.recordAnswer(answer(ProbeAnswer::Kind::Reached, "10.9.9.9", 0, 7, "10.9.9.9"), wallAt(1ms), true, 60));
  BOOST_TEST(!l.recordAnswer(answer(ProbeAnswer::Kind::Reached, "10.9.9.9", 0, 8, "10.9.9.9"), wallAt(1ms), true, 60));
  BOOST_TEST(!l.recordAnswer(answer(ProbeAnswer::Kind::Reached, "10.1.1.1", 0, 5, "10.1.1.1"), wallAt(1ms), true, 60));
  BOOST_TEST(l.recordAnswer(answer(ProbeAnswer::Kind::Unreachable, "10.9.9.9", 0, 5, "10.0.5.1", 3, 1), wallAt(1ms),
                            true, 60));
  BOOST_TEST(l.ttlLimit(0) == 5);
  BOOST_TEST(l.ttlLimit(1) == 30);
  BOOST_TEST(l.settled(MonoTime(0s)));
  l.recordSend(1, 0, 1, MonoTime(0s), Family::V6, sentAt(0s));
  BOOST_TEST(!l.settled(MonoTime(999ms)));
  BOOST_TEST((*l.nextDeadline() == MonoTime(1s)));
  BOOST_TEST(l.settled(MonoTime(1s)));
}

BOOST_AUTO_TEST_CASE(mtr_statistics_per_hop) {
  const auto l = sampleLedger();
  const auto s = summarizeTrace(l, 0, 1s);
  BOOST_TEST(s.reached);
  BOOST_TEST(*s.destinationTtl == 4);
  BOOST_TEST_REQUIRE(s.hops.size() == 4u);  // TTL 5 and 6 were beyond the destination
  const auto& h1 = s.hops[0];
  BOOST_TEST(h1.sent == 3u);
  BOOST_TEST(h1.received == 3u);
  BOOST_TEST(h1.lossPercent == 0.0);
  BOOST_TEST(h1.rtt.mean == 1.0, tt::tolerance(1e-9));
  BOOST_TEST(h1.addresses.size() == 1u);
  const auto& h2 = s.hops[1];  // silent
  BOOST_TEST(h2.received == 0u);
  BOOST_TEST(h2.lossPercent == 100.0);
  BOOST_TEST(h2.addresses.empty());
  const auto& h3 = s.hops[2];
  BOOST_TEST(h3.received == 2u);
  BOOST_TEST(h3.lossPercent == 100.0 / 3, tt::tolerance(1e-9));
  BOOST_TEST(h3.addresses.size() == 2u);  // a per-packet balancer shows both routers
  BOOST_TEST(!h3.rtts[1].has_value());
  const auto& h4 = s.hops[3];
  BOOST_TEST(h4.destination);
  BOOST_TEST(h4.rtt.min == 4.0, tt::tolerance(1e-9));
  BOOST_TEST(h4.rtt.max == 6.0, tt::tolerance(1e-9));
  BOOST_TEST(h4.rtt.mean == 5.0, tt::tolerance(1e-9));
  BOOST_TEST(h4.rtt.stddevSample == 1.0, tt::tolerance(1e-9));  // mtr's StDev: n - 1
  BOOST_TEST(h4.rtt.last == 6.0, tt::tolerance(1e-9));
  BOOST_TEST(s.probesSent == 12u);
  BOOST_TEST(s.probesSentTotal == 14u);
  BOOST_TEST(s.probesAnswered == 8u);
}

BOOST_AUTO_TEST_CASE(unreached_and_unreachable_traces) {
  TraceLedger l({ip("10.9.9.9")}, 2, 8, 1, 1s);
  for (int ttl = 2; ttl <= 8; ++ttl) l.recordSend(0, 0, ttl, MonoTime(0s), Family::V4, sentAt(0s));
  l.recordAnswer(answer(ProbeAnswer::Kind::TimeExceeded, "10.9.9.9", 0, 3, "10.0.3.1"), wallAt(1ms), false, 1);
  // An answer after the timeout does not count, nor extend the trace.
  l.recordAnswer(answer(ProbeAnswer::Kind::TimeExceeded, "10.9.9.9", 0, 6, "10.0.6.1"), wallAt(1500ms), false, 1);
  const auto s = summarizeTrace(l, 0, 1s);
  BOOST_TEST(!s.reached);
  BOOST_TEST_REQUIRE(s.hops.size() == 2u);  // TTL 2 (silent) and 3: the last one that answered
  BOOST_TEST(s.hops[0].ttl == 2);
  BOOST_TEST(s.kernelTimestamped == 0u);

  l.recordAnswer(answer(ProbeAnswer::Kind::Unreachable, "10.9.9.9", 0, 4, "10.0.4.1", 3, 13), wallAt(1ms), false, 1);
  const auto u = summarizeTrace(l, 0, 1s);
  BOOST_TEST(u.hops.size() == 3u);
  BOOST_TEST(*u.stoppedBy == "prohibited");
  BOOST_TEST(*u.hops.back().unreachable == "prohibited");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paths)

BOOST_AUTO_TEST_CASE(fingerprint_is_stable_and_canonical) {
  const auto s = summarizeTrace(sampleLedger(), 0, 1s);
  const auto p = pathOf(s);
  BOOST_TEST(p.canonical() == "1:10.0.1.1,2:*,3:10.0.3.1|10.0.3.9,4:10.9.9.9;reached");
  // FNV-1a 64 of that text: a fixed value, the same on every machine and build.
  BOOST_TEST(p.fingerprint() == [] {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(fnv1a64("1:10.0.1.1,2:*,3:10.0.3.1|10.0.3.9,4:10.9.9.9;reached")));
    return std::string(hex);
  }());
  BOOST_TEST(fnv1a64("") == 0xcbf29ce484222325ull);
  BOOST_TEST(fnv1a64("a") == 0xaf63dc4c8601ec8cull);  // the published FNV-1a test vector
  BOOST_TEST(p.fingerprint().size() == 16u);
}

BOOST_AUTO_TEST_CASE(diff_names_added_removed_and_changed_hops) {
  TracePath before{{{1, {ip("10.0.1.1")}}, {2, {ip("10.0.2.1")}}, {3, {ip("10.9.9.9")}}}, true};
  TracePath after{{{1, {ip("10.0.1.1")}}, {2, {ip("10.0.7.1")}}, {3, {ip("10.0.8.1")}}, {4, {ip("10.9.9.9")}}}, true};
  const auto changes = diffPaths(before, after);
  BOOST_TEST_REQUIRE(changes.size() == 3u);
  BOOST_TEST(changes[0].ttl == 2);
  BOOST_TEST((changes[0].kind == PathChange::Kind::Changed));
  BOOST_TEST(changes[0].before[0].toString() == "10.0.2.1");
  BOOST_TEST((changes[2].kind == PathChange::Kind::Added));
  const auto back = diffPaths(after, before);
  BOOST_TEST((back[2].kind == PathChange::Kind::Removed));
  BOOST_TEST(diffPaths(before, before).empty());
  BOOST_TEST(before.fingerprint() != after.fingerprint());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(metrics_document_and_declarations) {
  const auto s = summarizeTrace(sampleLedger(), 0, 1s);
  const auto path = pathOf(s);
  PathComparison comparison;
  comparison.previousFingerprint = "0123456789abcdef";
  comparison.changes = {{2, PathChange::Kind::Changed, {ip("10.0.2.1")}, {}}};
  comparison.changed = true;
  const auto o = options({{"targets", "dest"}, {"max_hops", "6"}});
  const auto r = buildTraceResult({"dest", ip("10.9.9.9"), 0.25, "raw", ""}, &s, &path, &comparison, o, false);
  BOOST_TEST(r.error == "");
  std::map<std::string, double> m(r.metrics.begin(), r.metrics.end());
  BOOST_TEST(m.at("reached") == 1.0);
  BOOST_TEST(m.at("hop_count") == 4.0);
  BOOST_TEST(m.at("destination_rtt_avg_ms") == 5.0, tt::tolerance(1e-9));
  BOOST_TEST(m.at("hop.3.loss_percent") == 100.0 / 3, tt::tolerance(1e-9));
  BOOST_TEST(m.count("hop.2.rtt_avg_ms") == 0u);  // silent hop: no RTT
  BOOST_TEST(m.at("hop.2.loss_percent") == 100.0);
  BOOST_TEST(m.at("path_changed") == 1.0);
  BOOST_TEST(m.at("path_hops_changed") == 1.0);
  for (const auto& [name, value] : r.metrics) {
    bool declared = false;
    for (const auto& d : traceMetrics()) declared = declared || values::metricMatches(d.name, name);
    BOOST_TEST(declared, name);
  }
  const auto doc = json::parse(r.document).as_object();
  BOOST_TEST(doc.at("mode").as_string() == "icmp");
  BOOST_TEST(doc.at("hops").as_array().size() == 4u);
  BOOST_TEST(doc.at("hops").as_array()[1].as_object().at("addresses").as_array().empty());
  BOOST_TEST(doc.at("path").as_object().at("fingerprint").as_string() == path.fingerprint());
  BOOST_TEST(doc.at("path").as_object().at("changes").as_array().size() == 1u);
  BOOST_TEST(doc.at("hops").as_array()[3].as_object().at("destination").as_bool());
}

BOOST_AUTO_TEST_CASE(errors) {
  const auto o = options({{"targets", "dest"}});
  const auto problem =
      buildTraceResult({"dest", std::nullopt, 3, "", "cannot resolve 'dest'"}, nullptr, nullptr, nullptr, o, false);
  BOOST_TEST(problem.error == "cannot resolve 'dest'");
  TraceLedger l({ip("10.9.9.9")}, 1, 3, 1, 1s);
  for (int ttl = 1; ttl <= 3; ++ttl) l.recordSend(0, 0, ttl, MonoTime(0s), Family::V4, sentAt(0s));
  const auto s = summarizeTrace(l, 0, 1s);
  const auto path = pathOf(s);
  const PathComparison none;
  const auto silent = buildTraceResult({"dest", ip("10.9.9.9"), 0, "raw", ""}, &s, &path, &none, o, false);
  BOOST_TEST(silent.error == "no hop answered any of 3 probes");
}

BOOST_AUTO_TEST_SUITE_END()

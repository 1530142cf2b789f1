#define BOOST_TEST_MODULE netprobe_codec
#include "common/icmp_codec.hpp"
#include "common/inet_checksum.hpp"
#include "common/ip_address.hpp"
#include "common/ip_header.hpp"
#include "common/transport_codec.hpp"
#include "tests/support/hex_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <random>

using namespace streamswarm::netprobe;
using streamswarm::testsupport::hexFixture;
using streamswarm::testsupport::parseHex;

namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checksum)

BOOST_AUTO_TEST_CASE(rfc1071_example) {
  // The worked example of RFC 1071 section 3: the sum of these words is 0xddf2.
  const auto bytes = parseHex("00 01 f2 03 f4 f5 f6 f7");
  BOOST_TEST(inetChecksum(bytes) == static_cast<std::uint16_t>(~0xddf2));
}

BOOST_AUTO_TEST_CASE(odd_length_pads_with_zero_and_pieces_add_up) {
  const auto bytes = parseHex("45 00 00 1c 12 34 ab");
  auto padded = bytes;
  padded.push_back(0);
  BOOST_TEST(inetChecksum(bytes) == inetChecksum(padded));
  const Bytes all(bytes);
  for (std::size_t split = 0; split <= bytes.size(); ++split)
    BOOST_TEST(InetChecksum().add(all.first(split)).add(all.subspan(split)).value() == inetChecksum(bytes));
}

BOOST_AUTO_TEST_CASE(pieces_of_any_length_add_up_to_the_word_sum) {
  std::mt19937 random(11);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::uint8_t> data(random() % 300);
    for (auto& b : data) b = static_cast<std::uint8_t>(random());
    // RFC 1071 by the letter: big-endian 16-bit words, an odd last byte padded with zero.
    std::uint64_t words = 0;
    for (std::size_t i = 0; i < data.size(); i += 2)
      words += std::uint64_t{data[i]} << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
    while (words >> 16) words = (words & 0xffff) + (words >> 16);
    InetChecksum pieces;
    for (std::size_t at = 0; at < data.size();) {
      const auto n = std::min<std::size_t>(data.size() - at, random() % 7);
      pieces.add(Bytes(data).subspan(at, n));
      at += n;
    }
    BOOST_TEST_REQUIRE(pieces.value() == static_cast<std::uint16_t>(~words));
  }
}

BOOST_AUTO_TEST_CASE(a_packet_with_its_checksum_sums_to_zero) {
  const auto reply = hexFixture("ping/ipv4_echo_reply.hex");
  BOOST_TEST(inetChecksum(Bytes(reply).first(20)) == 0);    // the IPv4 header
  BOOST_TEST(inetChecksum(Bytes(reply).subspan(20)) == 0);  // the ICMP message
}

BOOST_AUTO_TEST_CASE(filler_makes_any_wanted_checksum) {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::uint8_t> packet(8 + random() % 64, 0);
    for (auto& b : packet) b = static_cast<std::uint8_t>(random());
    packet[0] = 8;  // never all zero
    const std::size_t at = 2 * (random() % (packet.size() / 2));
    packet[at] = packet[at + 1] = 0;
    const auto wanted = static_cast<std::uint16_t>(1 + random() % 0xfffe);
    const auto filler = checksumFiller(inetChecksum(packet), wanted);
    store16(packet, at, filler);
    BOOST_TEST_REQUIRE(inetChecksum(packet) == wanted);
  }
}

BOOST_AUTO_TEST_CASE(pseudo_header_checksum_verifies_a_kernel_built_segment) {
  // The kernel computed this RST's checksum in full: summed with it, the segment checks out.
  const auto rst = hexFixture("traceroute/ipv4_tcp_rst.hex");
  const auto header = parseIpHeader(rst);
  BOOST_TEST_REQUIRE(header.has_value());
  BOOST_TEST(pseudoHeaderChecksum(header->source, header->destination, kProtocolTcp,
                                  Bytes(rst).subspan(header->headerLength)) == 0);
}

BOOST_AUTO_TEST_CASE(offloaded_checksums_in_quotes_hold_the_pseudo_header_sum) {
  // traceroute's UDP probes crossed veth links with checksum offload pending, so the routers
  // quoted a checksum field holding only the pseudo-header sum (what a NIC would complete). Raw
  // probes carry the checksum they were built with; this is why the traceroute plugin builds
  // its own. Recomputing that partial sum checks the pseudo-header words for both families.
  for (const auto& [file, family, withIp] : {std::tuple{"traceroute/ipv4_time_exceeded_udp.hex", Family::V4, true},
                                             std::tuple{"traceroute/ipv6_time_exceeded_udp.hex", Family::V6, false}}) {
    const auto bytes = hexFixture(file);
    const auto parsed = parseIcmp(family, bytes, withIp);
    BOOST_TEST_REQUIRE(parsed.message.has_value());
    const auto& q = *parsed.message->quoted;
    const auto udp = parseUdpHeader(q.transport);
    BOOST_TEST_REQUIRE(udp.has_value());
    const auto pseudoOnly = InetChecksum()
                                .add(q.ip.source.bytes())
                                .add(q.ip.destination.bytes())
                                .add32(udp->length)
                                .add16(kProtocolUdp)
                                .value();
    BOOST_TEST(udp->checksum == static_cast<std::uint16_t>(~pseudoOnly));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(parse_print_and_compare) {
  BOOST_TEST(ip("192.0.2.1").toString() == "192.0.2.1");
  BOOST_TEST(ip("2001:db8::1").toString() == "2001:db8::1");
  BOOST_TEST(ip("2001:DB8:0::1").toString() == "2001:db8::1");
  BOOST_TEST((ip("192.0.2.1").family() == Family::V4));
  BOOST_TEST((ip("::1").family() == Family::V6));
  BOOST_TEST(!IpAddress::parse("example.org"));
  BOOST_TEST(!IpAddress::parse(""));
  BOOST_TEST(!IpAddress::parse("1.2.3.4.5"));
  BOOST_TEST(!IpAddress::parse(std::string(200, '1')));
  BOOST_TEST((ip("10.0.0.1") < ip("10.0.0.2")));
  BOOST_TEST((ip("10.0.0.1") != ip("::ffff:10.0.0.1")));
  BOOST_TEST(IpAddress().isUnspecified());
}

BOOST_AUTO_TEST_CASE(sockaddr_round_trip) {
  for (const char* text : {"127.0.0.1", "fd00:77:1::2"}) {
    sockaddr_storage storage{};
    const auto length = ip(text).toSockaddr(storage, 33434);
    const auto back = IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&storage), length);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(back->toString() == text);
  }
  BOOST_TEST(!IpAddress::fromSockaddr(nullptr, 0));
  sockaddr_storage small{};
  small.ss_family = AF_INET6;
  BOOST_TEST(!IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&small), 8));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(icmp)

BOOST_AUTO_TEST_CASE(ipv4_echo_reply_with_ip_header) {
  const auto bytes = hexFixture("ping/ipv4_echo_reply.hex");
  const auto parsed = parseIcmp(Family::V4, bytes, true);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  const auto& m = *parsed.message;
  BOOST_TEST((m.kind == IcmpKind::EchoReply));
  BOOST_TEST(m.identifier == 0x676d);
  BOOST_TEST(m.sequence == 1);
  BOOST_TEST(m.payload.size() == 24u);
  BOOST_TEST_REQUIRE(m.ip.has_value());
  BOOST_TEST(m.ip->ttl == 63);
  BOOST_TEST(m.ip->source.toString() == "10.200.2.2");
  BOOST_TEST(m.ip->destination.toString() == "10.200.1.1");
  BOOST_TEST(!m.quoted.has_value());
}

BOOST_AUTO_TEST_CASE(ipv4_time_exceeded_quotes_the_echo_request) {
  const auto bytes = hexFixture("ping/ipv4_time_exceeded_echo.hex");
  const auto parsed = parseIcmp(Family::V4, bytes, true);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  const auto& m = *parsed.message;
  BOOST_TEST((m.kind == IcmpKind::TimeExceeded));
  BOOST_TEST(m.code == 0);
  BOOST_TEST(m.ip->source.toString() == "10.200.1.2");
  BOOST_TEST_REQUIRE(m.quoted.has_value());
  BOOST_TEST(m.quoted->ip.protocol == kProtocolIcmp);
  BOOST_TEST(m.quoted->ip.ttl == 1);
  BOOST_TEST(m.quoted->ip.destination.toString() == "10.200.2.2");
  // The quoted echo request parses like any ICMP message (its own checksum is intact).
  const auto inner = parseIcmp(Family::V4, m.quoted->transport, false);
  BOOST_TEST_REQUIRE(inner.message.has_value());
  BOOST_TEST((inner.message->kind == IcmpKind::EchoRequest));
  BOOST_TEST(inner.message->identifier == 0x676c);
  BOOST_TEST(inner.message->sequence == 1);
}

BOOST_AUTO_TEST_CASE(ipv6_messages_without_ip_header) {
  const auto replyBytes = hexFixture("ping/ipv6_echo_reply.hex");
  const auto reply = parseIcmp(Family::V6, replyBytes, false);
  BOOST_TEST_REQUIRE(reply.message.has_value());
  BOOST_TEST((reply.message->kind == IcmpKind::EchoReply));
  BOOST_TEST(reply.message->identifier == 0x6773);
  BOOST_TEST(reply.message->payload.size() == 24u);

  const auto te = hexFixture("ping/ipv6_time_exceeded_echo.hex");
  const auto parsed = parseIcmp(Family::V6, te, false);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  BOOST_TEST((parsed.message->kind == IcmpKind::TimeExceeded));
  BOOST_TEST_REQUIRE(parsed.message->quoted.has_value());
  BOOST_TEST(parsed.message->quoted->ip.protocol == kProtocolIcmpv6);
  BOOST_TEST(parsed.message->quoted->ip.destination.toString() == "fd00:200:2::2");
  const auto inner = parseIcmp(Family::V6, parsed.message->quoted->transport, false);
  BOOST_TEST(inner.message->identifier == 0x6772);

  const auto otherBytes = hexFixture("ping/ipv6_neighbor_advertisement.hex");
  const auto other = parseIcmp(Family::V6, otherBytes, false);
  BOOST_TEST_REQUIRE(other.message.has_value());
  BOOST_TEST((other.message->kind == IcmpKind::Other));
  BOOST_TEST(other.message->type == 136);
}

BOOST_AUTO_TEST_CASE(errors_quoting_udp_and_tcp_probes) {
  const auto puBytes = hexFixture("traceroute/ipv4_port_unreachable_udp.hex");
  const auto pu = parseIcmp(Family::V4, puBytes, true);
  BOOST_TEST_REQUIRE(pu.message.has_value());
  BOOST_TEST((pu.message->kind == IcmpKind::DestinationUnreachable));
  BOOST_TEST(isPortUnreachable(Family::V4, pu.message->code));
  BOOST_TEST(std::string(unreachableReason(Family::V4, pu.message->code)) == "port");
  const auto udp = parseUdpHeader(pu.message->quoted->transport);
  BOOST_TEST_REQUIRE(udp.has_value());
  BOOST_TEST(udp->sourcePort == 55550);
  BOOST_TEST(udp->destinationPort == 33434);

  const auto teBytes = hexFixture("traceroute/ipv4_time_exceeded_tcp.hex");
  const auto te = parseIcmp(Family::V4, teBytes, true);
  const auto tcp = parseTcpHeader(te.message->quoted->transport);
  BOOST_TEST_REQUIRE(tcp.has_value());
  BOOST_TEST(tcp->sourcePort == 49611);
  BOOST_TEST(tcp->destinationPort == 80);
  BOOST_TEST(tcp->sequence == 0x267b0685u);

  const auto pu6Bytes = hexFixture("traceroute/ipv6_port_unreachable_udp.hex");
  const auto pu6 = parseIcmp(Family::V6, pu6Bytes, false);
  BOOST_TEST(isPortUnreachable(Family::V6, pu6.message->code));
  BOOST_TEST(parseUdpHeader(pu6.message->quoted->transport)->sourcePort == 54021);
  const auto te6Bytes = hexFixture("traceroute/ipv6_time_exceeded_tcp.hex");
  const auto te6 = parseIcmp(Family::V6, te6Bytes, false);
  BOOST_TEST(parseTcpHeader(te6.message->quoted->transport)->sequence == 0xae640b5du);
}

BOOST_AUTO_TEST_CASE(tcp_replies_from_raw_sockets) {
  const auto v4 = hexFixture("traceroute/ipv4_tcp_rst.hex");
  const auto header = parseIpHeader(v4);
  BOOST_TEST_REQUIRE(header.has_value());
  BOOST_TEST(header->protocol == kProtocolTcp);
  const auto tcp = parseTcpHeader(Bytes(v4).subspan(header->headerLength));
  BOOST_TEST_REQUIRE(tcp.has_value());
  BOOST_TEST(tcp->complete);
  BOOST_TEST(tcp->flags == (tcpflag::kRst | tcpflag::kAck));
  BOOST_TEST(tcp->acknowledgment == 0x543ab1bau);
  BOOST_TEST(tcp->destinationPort == 47621);

  const auto v6 = parseTcpHeader(hexFixture("traceroute/ipv6_tcp_rst.hex"));
  BOOST_TEST(v6->complete);
  BOOST_TEST(v6->acknowledgment == 0x8f0af06bu);
}

BOOST_AUTO_TEST_CASE(bad_checksum_and_truncation_are_reported_not_read) {
  auto bytes = hexFixture("ping/ipv4_echo_reply.hex");
  bytes[30] ^= 0xff;
  BOOST_TEST(!parseIcmp(Family::V4, bytes, true).message);
  BOOST_TEST(std::string(parseIcmp(Family::V4, bytes, true).error) == "bad ICMP checksum");
  const auto good = hexFixture("ping/ipv4_echo_reply.hex");
  for (std::size_t n = 0; n < 28; ++n) BOOST_TEST(!parseIcmp(Family::V4, Bytes(good).first(n), true).message);
  BOOST_TEST(!parseIcmp(Family::V6, good, true).message);  // an IPv4 header on an IPv6 socket
}

BOOST_AUTO_TEST_CASE(rfc4884_length_bounds_the_quote) {
  auto bytes = hexFixture("traceroute/ipv4_time_exceeded_udp.hex");
  // Say the quote is 7 words (28 bytes: IPv4 header + 8 bytes of UDP) and fix the checksum.
  bytes[20 + 5] = 7;
  store16(bytes, 22, 0);
  store16(bytes, 22, inetChecksum(Bytes(bytes).subspan(20)));
  const auto parsed = parseIcmp(Family::V4, bytes, true);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  BOOST_TEST(parsed.message->quoted->transport.size() == 8u);
}

BOOST_AUTO_TEST_CASE(quoted_echo_requests_are_read_without_their_checksum) {
  // Routers quote only part of the request, so its checksum cannot be checked: the header is read as is.
  const auto bytes = hexFixture("ping/ipv4_time_exceeded_echo.hex");
  const auto parsed = parseIcmp(Family::V4, bytes, true);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  const auto quote = parsed.message->quoted->transport;
  for (const std::size_t cut : {std::size_t{8}, std::size_t{12}, quote.size()}) {
    const auto echo = parseQuotedEcho(Family::V4, quote.first(cut));
    BOOST_TEST_REQUIRE(echo.has_value());
    BOOST_TEST((echo->kind == IcmpKind::EchoRequest));
    BOOST_TEST(echo->identifier == 0x676c);
    BOOST_TEST(echo->sequence == 1);
    BOOST_TEST(echo->payload.size() == cut - 8);
  }
  BOOST_TEST(!parseQuotedEcho(Family::V4, quote.first(7)));
  BOOST_TEST(!parseQuotedEcho(Family::V6, quote));  // type 8 is not an ICMPv6 echo
  const auto te6Bytes = hexFixture("ping/ipv6_time_exceeded_echo.hex");
  const auto te6 = parseIcmp(Family::V6, te6Bytes, false);
  BOOST_TEST(parseQuotedEcho(Family::V6, te6.message->quoted->transport)->identifier == 0x6772);
  BOOST_TEST(describeIcmp(Family::V4, 3, 1) == "destination unreachable (host)");
  BOOST_TEST(describeIcmp(Family::V6, 3, 0) == "time exceeded");
  BOOST_TEST(describeIcmp(Family::V4, 5, 1) == "ICMP type 5 code 1");
}

BOOST_AUTO_TEST_CASE(echo_requests_round_trip) {
  const std::vector<std::uint8_t> payload = {1, 2, 3, 4, 5};
  std::vector<std::uint8_t> out;
  buildEchoRequest(Family::V4, 0xbeef, 513, payload, out);
  BOOST_TEST(out.size() == 13u);
  BOOST_TEST(inetChecksum(out) == 0);
  const auto parsed = parseIcmp(Family::V4, out, false);
  BOOST_TEST_REQUIRE(parsed.message.has_value());
  BOOST_TEST((parsed.message->kind == IcmpKind::EchoRequest));
  BOOST_TEST(parsed.message->identifier == 0xbeef);
  BOOST_TEST(parsed.message->sequence == 513);
  BOOST_TEST(parsed.message->payload.size() == 5u);

  buildEchoRequest(Family::V6, 1, 2, payload, out);
  BOOST_TEST(out[0] == icmp6::kEchoRequest);
  BOOST_TEST(load16(out, 2) == 0);  // the kernel fills ICMPv6 checksums
}

BOOST_AUTO_TEST_CASE(ipv6_extension_headers_are_skipped) {
  // A quoted IPv6 header followed by a destination-options header (8 bytes) and then UDP.
  std::vector<std::uint8_t> packet(40 + 8 + 8, 0);
  packet[0] = 0x60;
  packet[6] = 60;  // next header: destination options
  packet[7] = 1;
  store16(packet, 4, 16);
  packet[40] = kProtocolUdp;
  packet[41] = 0;  // (0 + 1) * 8 bytes
  store16(packet, 48, 4242);
  const auto h = parseIpHeader(packet);
  BOOST_TEST_REQUIRE(h.has_value());
  BOOST_TEST(h->protocol == kProtocolUdp);
  BOOST_TEST(h->headerLength == 48u);
  BOOST_TEST(parseUdpHeader(Bytes(packet).subspan(48))->sourcePort == 4242);
  packet[41] = 200;  // claims to run past the end
  BOOST_TEST(!parseIpHeader(packet));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_CASE(udp_and_tcp_builders) {
  const auto src = ip("10.1.0.1");
  const auto dst = ip("10.2.0.2");
  const std::vector<std::uint8_t> payload(12, 0x40);
  std::vector<std::uint8_t> udp;
  buildUdp(src, dst, 40000, 33434, payload, udp);
  BOOST_TEST(udp.size() == 20u);
  BOOST_TEST(pseudoHeaderChecksum(src, dst, kProtocolUdp, udp) == 0);  // checksum field included: sums to 0
  const auto h = parseUdpHeader(udp);
  BOOST_TEST(h->length == 20);
  BOOST_TEST(h->destinationPort == 33434);

  std::vector<std::uint8_t> syn;
  buildTcpSyn(ip("fd00::1"), ip("fd00::2"), 40001, 443, 0x01020304, syn);
  BOOST_TEST(pseudoHeaderChecksum(ip("fd00::1"), ip("fd00::2"), kProtocolTcp, syn) == 0);
  const auto t = parseTcpHeader(syn);
  BOOST_TEST(t->flags == tcpflag::kSyn);
  BOOST_TEST(t->sequence == 0x01020304u);
  BOOST_TEST(!parseTcpHeader(Bytes(syn).first(7)));
  BOOST_TEST(!parseTcpHeader(Bytes(syn).first(8))->complete);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(robustness)

// The fuzzer's property, on a fixed seed so it runs in every CI build: no input makes a parser read
// outside its span (ASan would say so), and whatever parses points inside the input.
BOOST_AUTO_TEST_CASE(random_and_mutated_bytes_never_break_the_parsers) {
  std::mt19937 random(20240601);
  const std::vector<std::vector<std::uint8_t>> seeds = {
      hexFixture("ping/ipv4_echo_reply.hex"), hexFixture("ping/ipv4_time_exceeded_echo.hex"),
      hexFixture("ping/ipv6_time_exceeded_echo.hex"), hexFixture("traceroute/ipv4_port_unreachable_udp.hex"),
      hexFixture("traceroute/ipv6_time_exceeded_tcp.hex")};
  auto inside = [](Bytes outer, Bytes inner) {
    return inner.empty() ||
           (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
  };
  std::size_t parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> bytes;
    if (round % 2 == 0) {
      bytes.resize(random() % 120);
      for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
      if (!bytes.empty() && round % 4 == 0) bytes[0] = (random() % 2) ? 0x45 : 0x60;
    } else {
      bytes = seeds[random() % seeds.size()];
      const int flips = 1 + random() % 4;
      for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<std::uint8_t>(random());
      bytes.resize(random() % (bytes.size() + 1));
    }
    for (const auto family : {Family::V4, Family::V6})
      for (const bool withIp : {false, true}) {
        const auto r = parseIcmp(family, bytes, withIp);
        BOOST_TEST_REQUIRE((r.message.has_value() != (r.error != nullptr)));
        if (!r.message) continue;
        ++parsed;
        BOOST_TEST_REQUIRE(inside(bytes, r.message->payload));
        if (r.message->quoted) {
          BOOST_TEST_REQUIRE(inside(bytes, r.message->quoted->transport));
          (void)parseUdpHeader(r.message->quoted->transport);
          (void)parseTcpHeader(r.message->quoted->transport);
        }
      }
    (void)parseIpHeader(bytes);
  }
  BOOST_TEST(parsed > 100u);  // mutated captures keep parsing often enough to reach deep code
}

BOOST_AUTO_TEST_SUITE_END()

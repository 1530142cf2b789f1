// ICMP and ICMPv6 messages: building echo requests and parsing whatever arrives on an ICMP socket
// (echo replies, and errors that quote the datagram which caused them). Pure functions on bytes,
// so they are tested on canned packets and fuzzed; a parse never reads past its input.
#pragma once

#include "common/ip_address.hpp"
#include "common/ip_header.hpp"
#include "common/packet_bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::netprobe {

constexpr std::size_t kIcmpHeaderSize = 8;

namespace icmp4 {
constexpr std::uint8_t kEchoReply = 0;
constexpr std::uint8_t kDestinationUnreachable = 3;
constexpr std::uint8_t kEchoRequest = 8;
constexpr std::uint8_t kTimeExceeded = 11;
constexpr std::uint8_t kParameterProblem = 12;
constexpr std::uint8_t kPortUnreachable = 3;      // code
constexpr std::uint8_t kFragmentationNeeded = 4;  // code
}  // namespace icmp4

namespace icmp6 {
constexpr std::uint8_t kDestinationUnreachable = 1;
constexpr std::uint8_t kPacketTooBig = 2;
constexpr std::uint8_t kTimeExceeded = 3;
constexpr std::uint8_t kParameterProblem = 4;
constexpr std::uint8_t kEchoRequest = 128;
constexpr std::uint8_t kEchoReply = 129;
constexpr std::uint8_t kPortUnreachable = 4;  // code
}  // namespace icmp6

enum class IcmpKind : std::uint8_t {
  EchoReply,
  EchoRequest,
  TimeExceeded,
  DestinationUnreachable,
  PacketTooBig,
  ParameterProblem,
  Other
};

// The start of the datagram an ICMP error is about, as the router quoted it.
struct QuotedDatagram {
  IpHeader ip;
  Bytes transport;  // what the quote holds from the transport header on (often just 8 bytes)
};

struct IcmpMessage {
  Family family = Family::V4;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  IcmpKind kind = IcmpKind::Other;
  std::uint16_t identifier = 0;          // echo request and reply
  std::uint16_t sequence = 0;            // echo request and reply
  Bytes payload;                         // echo data
  std::uint32_t mtu = 0;                 // packet too big / fragmentation needed
  std::optional<QuotedDatagram> quoted;  // errors whose quote could be read
  std::optional<IpHeader> ip;            // the outer header, when the input started with it
};

struct IcmpParse {
  std::optional<IcmpMessage> message;
  const char* error = nullptr;  // why not, when there is no message
};

// Parses one ICMP (family V4) or ICMPv6 (V6) message. `startsWithIpHeader`: the bytes begin with
// the IPv4 header, as raw IPv4 sockets deliver them. ICMPv4 checksums are verified here; the
// kernel verifies ICMPv6 ones before a socket sees them. The message borrows from `bytes`.
IcmpParse parseIcmp(Family family, Bytes bytes, bool startsWithIpHeader);

// The echo request (or reply) at the start of a quote: an ICMP error quotes our request's header
// and as much of its data as the router chose, so the checksum is not checked.
struct QuotedEcho {
  IcmpKind kind = IcmpKind::Other;
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  Bytes payload;  // the part of the data the quote holds
};
std::optional<QuotedEcho> parseQuotedEcho(Family family, Bytes quote);

// Writes an echo request (header, then payload) into `out`. The ICMPv4 checksum is filled in; the
// ICMPv6 one is left zero for the kernel, which computes it on raw ICMPv6 and ping sockets.
void buildEchoRequest(Family family, std::uint16_t identifier, std::uint16_t sequence, Bytes payload,
                      std::vector<std::uint8_t>& out);

IcmpKind icmpKind(Family family, std::uint8_t type);

// The ICMP types a raw probe socket lets through: echo replies and the errors that can be about a
// probe (the kernel filter drops the rest).
std::vector<std::uint8_t> probeReplyTypes(Family family);

// Whether `kind` is an error that quotes the offending datagram.
bool isIcmpError(IcmpKind kind);

// traceroute's short names for destination-unreachable codes: "net", "host", "protocol", "port",
// "fragmentation_needed", "prohibited", "other".
const char* unreachableReason(Family family, std::uint8_t code);
bool isPortUnreachable(Family family, std::uint8_t code);

// "time exceeded", "destination unreachable (host)", "packet too big", "parameter problem", or
// "ICMP type T code C" for the rest.
std::string describeIcmp(Family family, std::uint8_t type, std::uint8_t code);

}  // namespace streamswarm::netprobe

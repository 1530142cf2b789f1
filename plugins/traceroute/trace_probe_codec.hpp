// Traceroute probes on the wire, Paris-style: every probe of a trace carries the same flow
// identifiers (addresses, ports, ICMP identifier and checksum), so a per-flow load balancer sends
// them all down one path; what tells probes apart sits where balancers do not look. ICMP: the
// sequence number, with a payload word that keeps the checksum constant. UDP: the checksum itself
// (a payload word makes it equal the probe number). TCP: the sequence number. Pure, so building
// and recognising probes is tested on canned bytes.
#pragma once

#include "common/icmp_codec.hpp"
#include "common/ip_address.hpp"
#include "common/packet_bytes.hpp"
#include "traceroute/traceroute_options.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace streamswarm::traceroute {

using netprobe::Bytes;
using netprobe::Family;
using netprobe::IpAddress;

// A probe's number encodes its round and TTL: round * kTtlSlots + ttl (at most 100 * 256, which
// leaves the UDP checksum room to carry it + 1 without ever being 0 or 0xffff).
constexpr int kTtlSlots = 256;
// ICMP and UDP probe data: traceroute's default 60-byte IPv4 packet less the headers.
constexpr std::size_t kProbePayloadBytes = 32;
// The checksum every ICMP probe carries.
constexpr std::uint16_t kIcmpFlowChecksum = 0x5053;

constexpr std::uint16_t probeIndex(int round, int ttl) {
  return static_cast<std::uint16_t>(round * kTtlSlots + ttl);
}
constexpr int roundOf(std::uint16_t index) {
  return index / kTtlSlots;
}
constexpr int ttlOf(std::uint16_t index) {
  return index % kTtlSlots;
}

// What stays the same for every probe toward one destination.
struct FlowIdentity {
  TraceMode mode = TraceMode::Icmp;
  IpAddress source;  // needed for the UDP, TCP and ICMPv6 checksums
  IpAddress destination;
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
  std::uint16_t icmpIdentifier = 0;
  std::uint32_t tcpSequenceBase = 0;
};

// The probe with number `index`: an ICMP message, a UDP datagram or a TCP segment (no IP header;
// the socket adds it). ICMPv6 checksums are left for the kernel, which computes the value we aimed
// the payload word at.
void buildProbe(const FlowIdentity& flow, std::uint16_t index, std::vector<std::uint8_t>& out);

struct ProbeAnswer {
  enum class Kind : std::uint8_t {
    TimeExceeded,  // a router on the way
    Reached,       // the destination itself answered (echo reply, port unreachable, SYN-ACK, RST, ...)
    Unreachable    // someone else said the destination cannot be reached
  };
  Kind kind = Kind::TimeExceeded;
  IpAddress destination;  // the probe's
  std::uint16_t index = 0;
  IpAddress from;
  std::uint8_t icmpType = 0;  // 0 for TCP answers
  std::uint8_t icmpCode = 0;
};

// The flow fields answers must match, for all destinations of a run.
struct FlowMatch {
  TraceMode mode = TraceMode::Icmp;
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
  std::uint16_t icmpIdentifier[2] = {0, 0};  // per family (ping sockets get theirs from the kernel)
  std::uint32_t tcpSequenceBase = 0;
  std::uint16_t maxIndex = 0;  // highest probe number in use
};

// A message from a raw ICMP socket: an echo reply (ICMP mode) or an error quoting one of our probes.
std::optional<ProbeAnswer> classifyIcmp(const FlowMatch& match, const netprobe::IcmpMessage& message,
                                        const IpAddress& from);
// A segment from a raw TCP socket (after any IP header): the destination's SYN-ACK or RST.
std::optional<ProbeAnswer> classifyTcp(const FlowMatch& match, Bytes segment, const IpAddress& from);
// An ICMP error a ping socket queued about one of our echo probes (`original` starts at our ICMP header).
std::optional<ProbeAnswer> classifyQueuedError(const FlowMatch& match, Family family, const IpAddress& destination,
                                               const std::optional<IpAddress>& offender, std::uint8_t type,
                                               std::uint8_t code, Bytes original);

}  // namespace streamswarm::traceroute

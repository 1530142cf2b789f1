// UDP and TCP headers for probes: building a UDP datagram or a TCP SYN with its checksum, and
// reading the headers of replies and of quoted probes. Pure, bounds-checked.
#pragma once

#include "common/ip_address.hpp"
#include "common/packet_bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace streamswarm::netprobe {

constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::size_t kTcpHeaderSize = 20;
// ICMP errors are only sure to quote this much of a transport header (RFC 792).
constexpr std::size_t kQuotedTransportMinimum = 8;

namespace tcpflag {
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kAck = 0x10;
}  // namespace tcpflag

struct UdpHeader {
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
  std::uint16_t length = 0;
  std::uint16_t checksum = 0;
};

// The first 8 bytes of a TCP header (what a quote holds) and, when present, the rest.
struct TcpHeader {
  std::uint16_t sourcePort = 0;
  std::uint16_t destinationPort = 0;
  std::uint32_t sequence = 0;
  std::uint32_t acknowledgment = 0;  // only when `complete`
  std::uint8_t flags = 0;            // only when `complete`
  bool complete = false;             // the full 20-byte header was there
};

std::optional<UdpHeader> parseUdpHeader(Bytes bytes);
std::optional<TcpHeader> parseTcpHeader(Bytes bytes);

// A UDP datagram with its checksum over the pseudo-header of `source` and `destination`.
void buildUdp(const IpAddress& source, const IpAddress& destination, std::uint16_t sourcePort,
              std::uint16_t destinationPort, Bytes payload, std::vector<std::uint8_t>& out);

// A bare TCP SYN (no options) with its checksum, as tcptraceroute sends.
void buildTcpSyn(const IpAddress& source, const IpAddress& destination, std::uint16_t sourcePort,
                 std::uint16_t destinationPort, std::uint32_t sequence, std::vector<std::uint8_t>& out);

}  // namespace streamswarm::netprobe

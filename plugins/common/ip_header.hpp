// IPv4 and IPv6 header parsing: the outer header a raw IPv4 socket delivers, and the header of the
// datagram an ICMP error quotes. Pure; never reads past the span.
#pragma once

#include "common/ip_address.hpp"
#include "common/packet_bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace streamswarm::netprobe {

constexpr std::size_t kIpv4MinHeaderSize = 20;
constexpr std::size_t kIpv6HeaderSize = 40;
// IPv6 extension headers skipped before giving up on finding the transport header; real packets
// carry one or two.
constexpr std::size_t kMaxIpv6ExtensionHeaders = 8;

constexpr std::uint8_t kProtocolIcmp = 1;
constexpr std::uint8_t kProtocolTcp = 6;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::uint8_t kProtocolIcmpv6 = 58;

struct IpHeader {
  Family family = Family::V4;
  IpAddress source;
  IpAddress destination;
  std::uint8_t protocol = 0;         // upper-layer protocol, after any IPv6 extension headers
  std::uint8_t ttl = 0;              // TTL or hop limit
  std::uint16_t identification = 0;  // IPv4 only
  std::size_t headerLength = 0;      // bytes before the upper-layer header
  std::size_t totalLength = 0;       // as the header states; a quote may hold less
};

// Reads the header at the start of `bytes`, IPv4 or IPv6 by its version nibble. The stated total
// length is not checked against the span, since ICMP errors quote truncated datagrams.
std::optional<IpHeader> parseIpHeader(Bytes bytes);

}  // namespace streamswarm::netprobe

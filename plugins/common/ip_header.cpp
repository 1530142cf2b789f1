#include "common/ip_header.hpp"

namespace streamswarm::netprobe {
namespace {

std::optional<IpHeader> parseIpv4(Bytes b) {
  if (b.size() < kIpv4MinHeaderSize) return std::nullopt;
  const std::size_t ihl = static_cast<std::size_t>(b[0] & 0x0f) * 4;
  if (ihl < kIpv4MinHeaderSize || ihl > b.size()) return std::nullopt;
  IpHeader h;
  h.family = Family::V4;
  h.totalLength = load16(b, 2);
  h.identification = load16(b, 4);
  h.ttl = b[8];
  h.protocol = b[9];
  h.source = *IpAddress::fromBytes(Family::V4, b.subspan(12, 4));
  h.destination = *IpAddress::fromBytes(Family::V4, b.subspan(16, 4));
  h.headerLength = ihl;
  return h;
}

bool isExtensionHeader(std::uint8_t next) {
  // Hop-by-hop options, routing, fragment, authentication, destination options.
  return next == 0 || next == 43 || next == 44 || next == 51 || next == 60;
}

std::optional<IpHeader> parseIpv6(Bytes b) {
  if (b.size() < kIpv6HeaderSize) return std::nullopt;
  IpHeader h;
  h.family = Family::V6;
  h.totalLength = kIpv6HeaderSize + load16(b, 4);
  h.ttl = b[7];
  h.source = *IpAddress::fromBytes(Family::V6, b.subspan(8, 16));
  h.destination = *IpAddress::fromBytes(Family::V6, b.subspan(24, 16));
  std::uint8_t next = b[6];
  std::size_t offset = kIpv6HeaderSize;
  for (std::size_t i = 0; isExtensionHeader(next); ++i) {
    if (i == kMaxIpv6ExtensionHeaders || offset + 8 > b.size()) return std::nullopt;
    const std::uint8_t following = b[offset];
    std::size_t length = 0;
    if (next == 44)
      length = 8;  // fragment header: fixed size
    else if (next == 51)
      length = (static_cast<std::size_t>(b[offset + 1]) + 2) * 4;
    else
      length = (static_cast<std::size_t>(b[offset + 1]) + 1) * 8;
    offset += length;
    next = following;
  }
  if (offset > b.size()) return std::nullopt;
  h.protocol = next;
  h.headerLength = offset;
  return h;
}

}  // namespace

std::optional<IpHeader> parseIpHeader(Bytes bytes) {
  if (bytes.empty()) return std::nullopt;
  switch (bytes[0] >> 4) {
    case 4: return parseIpv4(bytes);
    case 6: return parseIpv6(bytes);
    default: return std::nullopt;
  }
}

}  // namespace streamswarm::netprobe

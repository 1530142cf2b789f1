// The Internet checksum (RFC 1071): the one's-complement of the one's-complement sum of 16-bit
// words. Kept as an unfolded running sum so a pseudo-header, a header and a payload can be added
// piece by piece.
#pragma once

#include "common/ip_address.hpp"
#include "common/packet_bytes.hpp"

#include <cstdint>

namespace streamswarm::netprobe {

class InetChecksum {
 public:
  // Adds bytes as if they followed what was added before (an odd length carries over).
  InetChecksum& add(Bytes bytes);
  InetChecksum& add16(std::uint16_t word);
  InetChecksum& add32(std::uint32_t word);
  // The value to write into a header's checksum field.
  std::uint16_t value() const;

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // an odd number of bytes so far: the next byte is the low half of a word
};

std::uint16_t inetChecksum(Bytes bytes);

// The 16-bit word that, written at an even offset where the packet had zero, turns the packet's
// checksum from `current` into `wanted`. Paris traceroute uses it to keep a checksum constant (or
// to make it carry a probe number) while other fields change.
std::uint16_t checksumFiller(std::uint16_t current, std::uint16_t wanted);

// Checksum of a transport segment (UDP, TCP, ICMPv6) with the IPv4 or IPv6 pseudo-header of
// `source` and `destination`; the segment's own checksum field must be zero.
std::uint16_t pseudoHeaderChecksum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                   Bytes segment);

}  // namespace streamswarm::netprobe

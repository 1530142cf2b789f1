#include "common/inet_checksum.hpp"

namespace streamswarm::netprobe {
namespace {

std::uint16_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// One's-complement addition of two 16-bit words.
std::uint16_t onesAdd(std::uint16_t a, std::uint16_t b) {
  return fold(std::uint64_t{a} + b);
}

}  // namespace

InetChecksum& InetChecksum::add(Bytes bytes) {
  std::size_t i = 0;
  if (odd_ && !bytes.empty()) {  // the low byte of the word the last piece began
    sum_ += bytes[0];
    odd_ = false;
    i = 1;
  }
  // Whole 16-bit words, big-endian: the sum cannot overflow 64 bits before fold().
  for (; i + 1 < bytes.size(); i += 2) sum_ += static_cast<std::uint64_t>(bytes[i]) << 8 | bytes[i + 1];
  if (i < bytes.size()) {
    sum_ += static_cast<std::uint64_t>(bytes[i]) << 8;
    odd_ = true;
  }
  return *this;
}

InetChecksum& InetChecksum::add16(std::uint16_t word) {
  const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word & 0xff)};
  return add(bytes);
}

InetChecksum& InetChecksum::add32(std::uint32_t word) {
  add16(static_cast<std::uint16_t>(word >> 16));
  return add16(static_cast<std::uint16_t>(word & 0xffff));
}

std::uint16_t InetChecksum::value() const {
  return static_cast<std::uint16_t>(~fold(sum_));
}

std::uint16_t inetChecksum(Bytes bytes) {
  return InetChecksum().add(bytes).value();
}

std::uint16_t checksumFiller(std::uint16_t current, std::uint16_t wanted) {
  // current = ~S, where S is the folded sum without the word; the packet then sums to S + W, and
  // its checksum is ~(S + W). Solving ~(S + W) = wanted gives W = ~wanted - S = ~wanted + ~S.
  return onesAdd(static_cast<std::uint16_t>(~wanted), current);
}

std::uint16_t pseudoHeaderChecksum(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                   Bytes segment) {
  InetChecksum sum;
  sum.add(source.bytes()).add(destination.bytes());
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zero bytes, next header. Both
  // sum to the same words when the length fits 16 bits.
  sum.add32(static_cast<std::uint32_t>(segment.size())).add16(protocol);
  return sum.add(segment).value();
}

}  // namespace streamswarm::netprobe

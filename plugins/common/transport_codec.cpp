#include "common/transport_codec.hpp"

#include "common/inet_checksum.hpp"
#include "common/ip_header.hpp"

#include <algorithm>

namespace streamswarm::netprobe {
namespace {
// A SYN's advertised window; any plausible value will do, this is what Linux starts with.
constexpr std::uint16_t kSynWindow = 64240;
}  // namespace

std::optional<UdpHeader> parseUdpHeader(Bytes bytes) {
  if (bytes.size() < kUdpHeaderSize) return std::nullopt;
  return UdpHeader{load16(bytes, 0), load16(bytes, 2), load16(bytes, 4), load16(bytes, 6)};
}

std::optional<TcpHeader> parseTcpHeader(Bytes bytes) {
  if (bytes.size() < kQuotedTransportMinimum) return std::nullopt;
  TcpHeader h;
  h.sourcePort = load16(bytes, 0);
  h.destinationPort = load16(bytes, 2);
  h.sequence = load32(bytes, 4);
  if (bytes.size() >= kTcpHeaderSize) {
    h.acknowledgment = load32(bytes, 8);
    h.flags = bytes[13];
    h.complete = true;
  }
  return h;
}

void buildUdp(const IpAddress& source, const IpAddress& destination, std::uint16_t sourcePort,
              std::uint16_t destinationPort, Bytes payload, std::vector<std::uint8_t>& out) {
  out.assign(kUdpHeaderSize + payload.size(), 0);
  store16(out, 0, sourcePort);
  store16(out, 2, destinationPort);
  store16(out, 4, static_cast<std::uint16_t>(out.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + kUdpHeaderSize);
  std::uint16_t checksum = pseudoHeaderChecksum(source, destination, kProtocolUdp, out);
  if (checksum == 0) checksum = 0xffff;  // zero on the wire means "no checksum" (RFC 768)
  store16(out, 6, checksum);
}

void buildTcpSyn(const IpAddress& source, const IpAddress& destination, std::uint16_t sourcePort,
                 std::uint16_t destinationPort, std::uint32_t sequence, std::vector<std::uint8_t>& out) {
  out.assign(kTcpHeaderSize, 0);
  store16(out, 0, sourcePort);
  store16(out, 2, destinationPort);
  store32(out, 4, sequence);
  out[12] = static_cast<std::uint8_t>((kTcpHeaderSize / 4) << 4);
  out[13] = tcpflag::kSyn;
  store16(out, 14, kSynWindow);
  store16(out, 16, pseudoHeaderChecksum(source, destination, kProtocolTcp, out));
}

}  // namespace streamswarm::netprobe

#include "common/icmp_codec.hpp"

#include "common/inet_checksum.hpp"

#include <algorithm>

namespace streamswarm::netprobe {
namespace {

IcmpKind kindOfType(Family family, std::uint8_t type) {
  if (family == Family::V4) {
    switch (type) {
      case icmp4::kEchoReply: return IcmpKind::EchoReply;
      case icmp4::kEchoRequest: return IcmpKind::EchoRequest;
      case icmp4::kTimeExceeded: return IcmpKind::TimeExceeded;
      case icmp4::kDestinationUnreachable: return IcmpKind::DestinationUnreachable;
      case icmp4::kParameterProblem: return IcmpKind::ParameterProblem;
      default: return IcmpKind::Other;
    }
  }
  switch (type) {
    case icmp6::kEchoReply: return IcmpKind::EchoReply;
    case icmp6::kEchoRequest: return IcmpKind::EchoRequest;
    case icmp6::kTimeExceeded: return IcmpKind::TimeExceeded;
    case icmp6::kDestinationUnreachable: return IcmpKind::DestinationUnreachable;
    case icmp6::kPacketTooBig: return IcmpKind::PacketTooBig;
    case icmp6::kParameterProblem: return IcmpKind::ParameterProblem;
    default: return IcmpKind::Other;
  }
}

// RFC 4884: errors carrying extension objects state the quote's length (ICMPv4 in 32-bit words at
// byte 5, ICMPv6 in 64-bit words at byte 4); zero means the quote runs to the end.
std::size_t quoteLength(const IcmpMessage& m, Bytes icmp) {
  const std::size_t available = icmp.size() - kIcmpHeaderSize;
  std::size_t stated = 0;
  if (m.family == Family::V4 && m.kind != IcmpKind::Other)
    stated = static_cast<std::size_t>(icmp[5]) * 4;
  else if (m.family == Family::V6 && (m.kind == IcmpKind::DestinationUnreachable || m.kind == IcmpKind::TimeExceeded))
    stated = static_cast<std::size_t>(icmp[4]) * 8;
  return stated == 0 ? available : std::min(stated, available);
}

}  // namespace

std::vector<std::uint8_t> probeReplyTypes(Family family) {
  if (family == Family::V4)
    return {icmp4::kEchoReply, icmp4::kDestinationUnreachable, icmp4::kTimeExceeded, icmp4::kParameterProblem};
  return {icmp6::kEchoReply, icmp6::kDestinationUnreachable, icmp6::kPacketTooBig, icmp6::kTimeExceeded,
          icmp6::kParameterProblem};
}

IcmpKind icmpKind(Family family, std::uint8_t type) {
  return kindOfType(family, type);
}

bool isIcmpError(IcmpKind kind) {
  return kind == IcmpKind::TimeExceeded || kind == IcmpKind::DestinationUnreachable || kind == IcmpKind::PacketTooBig ||
         kind == IcmpKind::ParameterProblem;
}

IcmpParse parseIcmp(Family family, Bytes bytes, bool startsWithIpHeader) {
  IcmpMessage m;
  m.family = family;
  Bytes icmp = bytes;
  if (startsWithIpHeader) {
    const auto ip = parseIpHeader(bytes);
    if (!ip) return {std::nullopt, "truncated or malformed IP header"};
    if (ip->family != family) return {std::nullopt, "IP version does not match the socket"};
    const std::size_t end = std::min(bytes.size(), std::max(ip->totalLength, ip->headerLength));
    icmp = bytes.subspan(ip->headerLength, end - ip->headerLength);
    m.ip = ip;
  }
  if (icmp.size() < kIcmpHeaderSize) return {std::nullopt, "shorter than an ICMP header"};
  if (family == Family::V4 && inetChecksum(icmp) != 0) return {std::nullopt, "bad ICMP checksum"};
  m.type = icmp[0];
  m.code = icmp[1];
  m.kind = kindOfType(family, m.type);
  switch (m.kind) {
    case IcmpKind::EchoReply:
    case IcmpKind::EchoRequest:
      m.identifier = load16(icmp, 4);
      m.sequence = load16(icmp, 6);
      m.payload = icmp.subspan(kIcmpHeaderSize);
      return {m, nullptr};
    case IcmpKind::Other: return {m, nullptr};
    default: break;
  }
  if (m.kind == IcmpKind::PacketTooBig) m.mtu = load32(icmp, 4);
  if (family == Family::V4 && m.kind == IcmpKind::DestinationUnreachable && m.code == icmp4::kFragmentationNeeded)
    m.mtu = load16(icmp, 6);
  const Bytes quote = icmp.subspan(kIcmpHeaderSize, quoteLength(m, icmp));
  if (const auto inner = parseIpHeader(quote); inner && inner->family == family)
    m.quoted = QuotedDatagram{*inner, quote.subspan(inner->headerLength)};
  return {m, nullptr};
}

std::optional<QuotedEcho> parseQuotedEcho(Family family, Bytes quote) {
  if (quote.size() < kIcmpHeaderSize) return std::nullopt;
  const auto kind = kindOfType(family, quote[0]);
  if (kind != IcmpKind::EchoRequest && kind != IcmpKind::EchoReply) return std::nullopt;
  return QuotedEcho{kind, load16(quote, 4), load16(quote, 6), quote.subspan(kIcmpHeaderSize)};
}

void buildEchoRequest(Family family, std::uint16_t identifier, std::uint16_t sequence, Bytes payload,
                      std::vector<std::uint8_t>& out) {
  out.assign(kIcmpHeaderSize + payload.size(), 0);
  out[0] = family == Family::V4 ? icmp4::kEchoRequest : icmp6::kEchoRequest;
  store16(out, 4, identifier);
  store16(out, 6, sequence);
  std::copy(payload.begin(), payload.end(), out.begin() + kIcmpHeaderSize);
  if (family == Family::V4) store16(out, 2, inetChecksum(out));
}

const char* unreachableReason(Family family, std::uint8_t code) {
  if (family == Family::V4) {
    switch (code) {
      case 0:
      case 6:
      case 11: return "net";
      case 1:
      case 7:
      case 12: return "host";
      case 2: return "protocol";
      case 3: return "port";
      case 4: return "fragmentation_needed";
      case 9:
      case 10:
      case 13: return "prohibited";
      default: return "other";
    }
  }
  switch (code) {
    case 0: return "net";
    case 1:
    case 5:
    case 6: return "prohibited";
    case 3: return "host";
    case 4: return "port";
    default: return "other";
  }
}

std::string describeIcmp(Family family, std::uint8_t type, std::uint8_t code) {
  switch (kindOfType(family, type)) {
    case IcmpKind::TimeExceeded: return "time exceeded";
    case IcmpKind::DestinationUnreachable:
      return std::string("destination unreachable (") + unreachableReason(family, code) + ")";
    case IcmpKind::PacketTooBig: return "packet too big";
    case IcmpKind::ParameterProblem: return "parameter problem";
    default: return "ICMP type " + std::to_string(type) + " code " + std::to_string(code);
  }
}

bool isPortUnreachable(Family family, std::uint8_t code) {
  return code == (family == Family::V4 ? icmp4::kPortUnreachable : icmp6::kPortUnreachable);
}

}  // namespace streamswarm::netprobe

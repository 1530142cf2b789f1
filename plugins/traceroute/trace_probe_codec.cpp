#include "traceroute/trace_probe_codec.hpp"

#include "common/inet_checksum.hpp"
#include "common/ip_header.hpp"
#include "common/transport_codec.hpp"

#include <algorithm>

namespace streamswarm::traceroute {
namespace {

using netprobe::IcmpKind;
using netprobe::load16;
using netprobe::store16;

std::size_t familyIndex(Family f) {
  return f == Family::V4 ? 0 : 1;
}

// The data after the first (filler) word: a fixed pattern, the same in every probe.
void fillPattern(std::vector<std::uint8_t>& out, std::size_t from) {
  for (std::size_t i = from; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x40 + (i - from) % 64);
}

void buildIcmp(const FlowIdentity& flow, std::uint16_t index, std::vector<std::uint8_t>& out) {
  const auto family = flow.destination.family();
  std::vector<std::uint8_t> payload(kProbePayloadBytes, 0);
  fillPattern(payload, 2);
  netprobe::buildEchoRequest(family, flow.icmpIdentifier, index, payload, out);
  // The checksum as the wire will have it with a zero filler word; then the filler that makes it
  // the flow's constant.
  store16(out, 2, 0);
  const auto current = family == Family::V4 ? netprobe::inetChecksum(out)
                                            : netprobe::pseudoHeaderChecksum(flow.source, flow.destination,
                                                                             netprobe::kProtocolIcmpv6, out);
  store16(out, netprobe::kIcmpHeaderSize, netprobe::checksumFiller(current, kIcmpFlowChecksum));
  store16(out, 2, family == Family::V4 ? kIcmpFlowChecksum : 0);
}

void buildUdpProbe(const FlowIdentity& flow, std::uint16_t index, std::vector<std::uint8_t>& out) {
  std::vector<std::uint8_t> payload(kProbePayloadBytes, 0);
  fillPattern(payload, 2);
  netprobe::buildUdp(flow.source, flow.destination, flow.sourcePort, flow.destinationPort, payload, out);
  store16(out, 6, 0);
  const auto current = netprobe::pseudoHeaderChecksum(flow.source, flow.destination, netprobe::kProtocolUdp, out);
  const auto id = static_cast<std::uint16_t>(index + 1);
  store16(out, netprobe::kUdpHeaderSize, netprobe::checksumFiller(current, id));
  store16(out, 6, id);
}

std::optional<std::uint16_t> indexFrom(std::uint32_t value, const FlowMatch& match) {
  if (value > match.maxIndex) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Which probe a quoted transport header belongs to, if it is one of ours.
std::optional<std::uint16_t> quotedProbe(const FlowMatch& match, Family family, const netprobe::QuotedDatagram& q) {
  switch (match.mode) {
    case TraceMode::Icmp: {
      const auto echo = netprobe::parseQuotedEcho(family, q.transport);
      if (!echo || echo->kind != IcmpKind::EchoRequest || echo->identifier != match.icmpIdentifier[familyIndex(family)])
        return std::nullopt;
      return indexFrom(echo->sequence, match);
    }
    case TraceMode::Udp: {
      const auto udp = netprobe::parseUdpHeader(q.transport);
      if (q.ip.protocol != netprobe::kProtocolUdp || !udp || udp->sourcePort != match.sourcePort ||
          udp->destinationPort != match.destinationPort || udp->checksum == 0)
        return std::nullopt;
      return indexFrom(udp->checksum - 1u, match);
    }
    case TraceMode::Tcp: {
      const auto tcp = netprobe::parseTcpHeader(q.transport);
      if (q.ip.protocol != netprobe::kProtocolTcp || !tcp || tcp->sourcePort != match.sourcePort ||
          tcp->destinationPort != match.destinationPort)
        return std::nullopt;
      return indexFrom(tcp->sequence - match.tcpSequenceBase, match);
    }
  }
  return std::nullopt;
}

ProbeAnswer::Kind errorKind(IcmpKind kind, const IpAddress& from, const IpAddress& destination) {
  if (kind == IcmpKind::TimeExceeded) return ProbeAnswer::Kind::TimeExceeded;
  // Any error from the destination itself (port unreachable to a UDP probe, a host firewall's
  // "prohibited") shows the probe got there.
  return from == destination ? ProbeAnswer::Kind::Reached : ProbeAnswer::Kind::Unreachable;
}

}  // namespace

void buildProbe(const FlowIdentity& flow, std::uint16_t index, std::vector<std::uint8_t>& out) {
  switch (flow.mode) {
    case TraceMode::Icmp: buildIcmp(flow, index, out); return;
    case TraceMode::Udp: buildUdpProbe(flow, index, out); return;
    case TraceMode::Tcp:
      netprobe::buildTcpSyn(flow.source, flow.destination, flow.sourcePort, flow.destinationPort,
                            flow.tcpSequenceBase + index, out);
      return;
  }
}

std::optional<ProbeAnswer> classifyIcmp(const FlowMatch& match, const netprobe::IcmpMessage& m, const IpAddress& from) {
  if (m.kind == IcmpKind::EchoReply) {
    if (match.mode != TraceMode::Icmp || m.identifier != match.icmpIdentifier[familyIndex(m.family)])
      return std::nullopt;
    const auto index = indexFrom(m.sequence, match);
    if (!index) return std::nullopt;
    return ProbeAnswer{ProbeAnswer::Kind::Reached, from, *index, from, m.type, m.code};
  }
  if (!netprobe::isIcmpError(m.kind) || !m.quoted) return std::nullopt;
  const auto index = quotedProbe(match, m.family, *m.quoted);
  if (!index) return std::nullopt;
  const auto& destination = m.quoted->ip.destination;
  return ProbeAnswer{errorKind(m.kind, from, destination), destination, *index, from, m.type, m.code};
}

std::optional<ProbeAnswer> classifyTcp(const FlowMatch& match, Bytes segment, const IpAddress& from) {
  if (match.mode != TraceMode::Tcp) return std::nullopt;
  const auto tcp = netprobe::parseTcpHeader(segment);
  if (!tcp || !tcp->complete || tcp->sourcePort != match.destinationPort || tcp->destinationPort != match.sourcePort)
    return std::nullopt;
  // A SYN-ACK (open port) or a RST (closed) acknowledges our SYN's sequence number + 1.
  const bool synAck = (tcp->flags & (netprobe::tcpflag::kSyn | netprobe::tcpflag::kAck)) ==
                      (netprobe::tcpflag::kSyn | netprobe::tcpflag::kAck);
  const bool rstAck = (tcp->flags & (netprobe::tcpflag::kRst | netprobe::tcpflag::kAck)) ==
                      (netprobe::tcpflag::kRst | netprobe::tcpflag::kAck);
  if (!synAck && !rstAck) return std::nullopt;
  const auto index = indexFrom(tcp->acknowledgment - 1u - match.tcpSequenceBase, match);
  if (!index) return std::nullopt;
  return ProbeAnswer{ProbeAnswer::Kind::Reached, from, *index, from, 0, 0};
}

std::optional<ProbeAnswer> classifyQueuedError(const FlowMatch& match, Family family, const IpAddress& destination,
                                               const std::optional<IpAddress>& offender, std::uint8_t type,
                                               std::uint8_t code, Bytes original) {
  if (match.mode != TraceMode::Icmp || !offender) return std::nullopt;
  const auto echo = netprobe::parseQuotedEcho(family, original);
  if (!echo || echo->kind != IcmpKind::EchoRequest) return std::nullopt;
  const auto index = indexFrom(echo->sequence, match);
  if (!index) return std::nullopt;
  // The kernel only queues errors about this socket's own packets: the identifier is ours.
  const std::uint8_t timeExceeded =
      family == Family::V4 ? netprobe::icmp4::kTimeExceeded : netprobe::icmp6::kTimeExceeded;
  const auto kind = type == timeExceeded       ? ProbeAnswer::Kind::TimeExceeded
                    : *offender == destination ? ProbeAnswer::Kind::Reached
                                               : ProbeAnswer::Kind::Unreachable;
  return ProbeAnswer{kind, destination, *index, *offender, type, code};
}

}  // namespace streamswarm::traceroute

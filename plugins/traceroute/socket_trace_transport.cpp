#include "traceroute/socket_trace_transport.hpp"

#include "common/icmp_codec.hpp"
#include "common/icmp_privilege.hpp"
#include "common/name_resolver.hpp"

#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <vector>

namespace streamswarm::traceroute {
namespace {

using netprobe::Family;

void discardPending(netprobe::ProbeSocket* socket) {
  if (!socket) return;
  socket->discardPending(kDrainLimit);
}

}  // namespace

SocketTraceTransport::SocketTraceTransport(const TraceOptions& options, std::uint16_t icmpIdentifier)
    : options_(options), rawIdentifier_(icmpIdentifier) {}

std::string SocketTraceTransport::prepare(Family family) {
  auto& e = endpoint(family);
  if (e.icmp) {
    discardPending(e.icmp.get());
    discardPending(e.sender.get());
    (void)e.sending().resetTxKeys();
    return {};
  }
  auto problem = open(family, e);
  if (!problem.empty())
    e = Endpoint{};
  else
    (void)netprobe::awaitReceiveTimestamps();
  return problem;
}

std::string SocketTraceTransport::configure(netprobe::ProbeSocket& s, bool sends) {
  (void)s.setReceiveBuffer(netprobe::kReceiveBufferBytes);
  (void)s.enableKernelTimestamps(sends);
  (void)s.receiveTtl();
  if (!options_.interface.empty())
    if (auto p = s.bindToDevice(options_.interface); !p.empty()) return p;
  if (!sends) return {};
  if (options_.tos)
    if (auto p = s.setTos(*options_.tos); !p.empty()) return p;
  if (options_.source) return s.bindTo(*options_.source);
  return {};
}

std::string SocketTraceTransport::open(Family family, Endpoint& e) {
  if (options_.source && options_.source->family() != family)
    return "source address " + options_.source->toString() + " cannot send to " + netprobe::familyName(family) +
           " targets";
  const bool icmpMode = options_.mode == TraceMode::Icmp;
  // UDP and TCP probes are built here, so they go out on raw sockets, and their ICMP errors can only
  // be read on a raw ICMP socket: no unprivileged fallback for those modes.
  auto choice = netprobe::openIcmpSocket(
      family, icmpMode ? netprobe::IcmpSocketPreference::Auto : netprobe::IcmpSocketPreference::Raw, kReceiveSlot);
  if (!choice.socket) return std::string(modeName(options_.mode)) + " traceroute: " + choice.error;
  e.icmp = std::move(choice.socket);
  if (auto p = configure(*e.icmp, icmpMode); !p.empty()) return p;
  if (e.icmp->kind() == netprobe::SocketKind::Raw) {
    const auto types = netprobe::probeReplyTypes(family);
    (void)e.icmp->acceptIcmpTypes(types);
  } else {
    (void)e.icmp->receiveErrors();
    if (!options_.source) {
      // Binding gives the ping socket its identifier now: the Paris checksum depends on it.
      const auto any = family == Family::V4 ? netprobe::IpAddress() : *netprobe::IpAddress::parse("::");
      if (auto p = e.icmp->bindTo(any); !p.empty()) return p;
    }
  }
  e.identifier = e.icmp->kind() == netprobe::SocketKind::Raw ? rawIdentifier_ : e.icmp->localPort();
  if (icmpMode) return {};

  const int protocol = options_.mode == TraceMode::Udp ? int{IPPROTO_UDP} : int{IPPROTO_TCP};
  auto opened = netprobe::ProbeSocket::open(family, SOCK_RAW, protocol, kReceiveSlot);
  if (!opened.socket)
    return std::string(modeName(options_.mode)) +
           " traceroute: " + netprobe::icmpPrivilegeError(family, {true, opened.error}, {}, std::nullopt, {});
  e.sender = std::move(opened.socket);
  if (auto p = configure(*e.sender, true); !p.empty()) return p;
  // A raw UDP socket would get a copy of every UDP datagram the host receives; a raw TCP socket,
  // of every segment: keep only the answers to our probes (TCP) or nothing (UDP).
  return options_.mode == TraceMode::Udp ? e.sender->discardInput()
                                         : e.sender->acceptTcpToPort(options_.sourcePort.value_or(0));
}

std::string SocketTraceTransport::socketKind(Family family) const {
  const auto& e = endpoint(family);
  if (!e.icmp) return {};
  return e.icmp->kind() == netprobe::SocketKind::Raw ? "raw" : "datagram";
}

std::uint16_t SocketTraceTransport::icmpIdentifier(Family family) const {
  return endpoint(family).identifier;
}

std::optional<netprobe::IpAddress> SocketTraceTransport::sourceFor(const netprobe::IpAddress& destination,
                                                                   std::string& error) {
  if (options_.source) return options_.source;
  return netprobe::localAddressToward(destination, options_.interface, error);
}

netprobe::MonoTime SocketTraceTransport::now() {
  return std::chrono::steady_clock::now();
}

netprobe::SendOutcome SocketTraceTransport::send(Family family, const netprobe::IpAddress& to, netprobe::Bytes probe,
                                                 int ttl) {
  auto& e = endpoint(family);
  auto& s = e.sending();
  if (e.ttl != ttl) {
    if (auto p = s.setTtl(ttl); !p.empty()) {
      netprobe::SendOutcome failed;
      failed.userTime = std::chrono::system_clock::now();
      failed.error = EINVAL;
      return failed;
    }
    e.ttl = ttl;
  }
  return s.sendTo(to, probe);
}

void SocketTraceTransport::wait(netprobe::MonoTime until) {
  pollfd fds[4];
  nfds_t n = 0;
  for (const auto& e : endpoints_) {
    if (e.icmp) fds[n++] = {e.icmp->fd(), POLLIN, 0};
    if (e.sender) fds[n++] = {e.sender->fd(), POLLIN, 0};
  }
  const auto left = std::max(until - now(), netprobe::MonoTime::duration::zero());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // POLLERR (transmit timestamps, queued errors) is reported without being asked for.
  ::ppoll(fds, n, &timeout, nullptr);
}

void SocketTraceTransport::drain(netprobe::ReceiveSink& sink) {
  for (auto& e : endpoints_) {
    if (e.icmp) e.icmp->drain(sink, kDrainLimit);
    if (e.sender) e.sender->drain(sink, kDrainLimit);
  }
}

}  // namespace streamswarm::traceroute

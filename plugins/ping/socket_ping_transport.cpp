#include "ping/socket_ping_transport.hpp"

#include "common/icmp_codec.hpp"

#include <poll.h>

#include <algorithm>
#include <vector>

namespace streamswarm::ping {
namespace {

using netprobe::Family;

}  // namespace

SocketPingTransport::SocketPingTransport(const PingOptions& options)
    : options_(options), random_(std::random_device{}()) {}

std::string SocketPingTransport::prepare(Family family) {
  auto& e = endpoint(family);
  if (e.socket) {
    e.socket->discardPending(kDrainLimit);
    // Whatever a failed send did to the kernel's timestamp numbering, a new run starts it afresh.
    (void)e.socket->resetTxKeys();
    if (e.socket->kind() == netprobe::SocketKind::Raw) e.identifier = static_cast<std::uint16_t>(random_());
    return {};
  }
  auto problem = open(family, e);
  if (!problem.empty())
    e.socket.reset();
  else
    (void)netprobe::awaitReceiveTimestamps();
  return problem;
}

std::string SocketPingTransport::open(Family family, Endpoint& e) {
  if (options_.source && options_.source->family() != family)
    return "source address " + options_.source->toString() + " cannot send to " + netprobe::familyName(family) +
           " targets";
  const auto slot = std::max(options_.size + netprobe::kIcmpHeaderSize + kMaxIpv4HeaderBytes, kMinReceiveSlot);
  auto choice = netprobe::openIcmpSocket(family, options_.socket, slot);
  if (!choice.socket) return choice.error;
  e.socket = std::move(choice.socket);
  auto& s = *e.socket;
  // Best effort: without these the run still works, with user-space timestamps, no TTL, or a
  // socket that wakes for more traffic.
  (void)s.setReceiveBuffer(netprobe::kReceiveBufferBytes);
  (void)s.enableKernelTimestamps(true);
  (void)s.receiveTtl();
  if (s.kind() == netprobe::SocketKind::Raw) {
    const auto types = netprobe::probeReplyTypes(family);
    (void)s.acceptIcmpTypes(types);
  } else {
    (void)s.receiveErrors();
  }
  // These were asked for: failing them fails the family.
  if (options_.tos)
    if (auto p = s.setTos(*options_.tos); !p.empty()) return p;
  if (options_.ttl)
    if (auto p = s.setTtl(*options_.ttl); !p.empty()) return p;
  if (!options_.interface.empty())
    if (auto p = s.bindToDevice(options_.interface); !p.empty()) return p;
  if (options_.source) {
    if (auto p = s.bindTo(*options_.source); !p.empty()) return p;
  } else if (s.kind() == netprobe::SocketKind::Datagram) {
    // Binding gives a ping socket its identifier now rather than at the first send.
    const auto any = family == Family::V4 ? netprobe::IpAddress() : *netprobe::IpAddress::parse("::");
    if (auto p = s.bindTo(any); !p.empty()) return p;
  }
  e.identifier = s.kind() == netprobe::SocketKind::Raw ? static_cast<std::uint16_t>(random_()) : s.localPort();
  return {};
}

std::string SocketPingTransport::socketKind(Family family) const {
  const auto& e = endpoint(family);
  if (!e.socket) return {};
  return e.socket->kind() == netprobe::SocketKind::Raw ? "raw" : "datagram";
}

std::uint16_t SocketPingTransport::identifier(Family family) const {
  return endpoint(family).identifier;
}

netprobe::MonoTime SocketPingTransport::now() {
  return std::chrono::steady_clock::now();
}

netprobe::SendOutcome SocketPingTransport::send(Family family, const netprobe::IpAddress& to, netprobe::Bytes icmp) {
  return endpoint(family).socket->sendTo(to, icmp);
}

void SocketPingTransport::wait(netprobe::MonoTime until) {
  pollfd fds[2];
  nfds_t n = 0;
  for (const auto& e : endpoints_)
    if (e.socket) fds[n++] = {e.socket->fd(), POLLIN, 0};
  const auto left = std::max(until - now(), netprobe::MonoTime::duration::zero());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // POLLERR (queued errors, transmit timestamps) is reported without being asked for.
  ::ppoll(fds, n, &timeout, nullptr);
}

void SocketPingTransport::drain(netprobe::ReceiveSink& sink) {
  for (auto& e : endpoints_)
    if (e.socket) e.socket->drain(sink, kDrainLimit);
}

}  // namespace streamswarm::ping

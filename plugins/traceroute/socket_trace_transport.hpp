// The real TraceTransport. Per address family: an ICMP socket that reads time-exceeded and
// unreachable errors (and, in ICMP mode, sends the echo probes and reads the replies); in UDP and
// TCP modes a raw socket of that protocol that sends probes we built ourselves (so their checksums
// are ours) and, for TCP, reads the destination's SYN-ACK or RST. ICMP mode falls back to a ping
// socket without CAP_NET_RAW; UDP and TCP modes need it. Sockets live as long as the probe instance.
#pragma once

#include "common/probe_socket.hpp"
#include "traceroute/trace_transport.hpp"
#include "traceroute/traceroute_options.hpp"

#include <array>
#include <memory>
#include <string>

namespace streamswarm::traceroute {

// Messages read from one socket per drain() before the loop gets to send again.
constexpr std::size_t kDrainLimit = 4096;
// Big enough for any ICMP error (a router quotes at most 576 bytes in IPv4, 1280 in IPv6).
constexpr std::size_t kReceiveSlot = 1500;

class SocketTraceTransport final : public TraceTransport {
 public:
  // `icmpIdentifier`: what raw ICMP probes carry (ping sockets get one from the kernel). Both it
  // and the source port stay the same for the instance's life, so every run takes the same path.
  SocketTraceTransport(const TraceOptions& options, std::uint16_t icmpIdentifier);

  std::string prepare(netprobe::Family family) override;
  std::string socketKind(netprobe::Family family) const override;
  std::uint16_t icmpIdentifier(netprobe::Family family) const override;
  std::optional<netprobe::IpAddress> sourceFor(const netprobe::IpAddress& destination, std::string& error) override;
  netprobe::MonoTime now() override;
  netprobe::SendOutcome send(netprobe::Family family, const netprobe::IpAddress& to, netprobe::Bytes probe,
                             int ttl) override;
  void wait(netprobe::MonoTime until) override;
  void drain(netprobe::ReceiveSink& sink) override;

 private:
  struct Endpoint {
    std::unique_ptr<netprobe::ProbeSocket> icmp;    // errors, echo replies; sends in ICMP mode
    std::unique_ptr<netprobe::ProbeSocket> sender;  // UDP or TCP mode: raw socket of that protocol
    std::uint16_t identifier = 0;
    int ttl = -1;  // the TTL the sending socket is set to
    netprobe::ProbeSocket& sending() { return sender ? *sender : *icmp; }
  };
  std::string open(netprobe::Family family, Endpoint& endpoint);
  std::string configure(netprobe::ProbeSocket& socket, bool sends);
  Endpoint& endpoint(netprobe::Family family) { return endpoints_[family == netprobe::Family::V4 ? 0 : 1]; }
  const Endpoint& endpoint(netprobe::Family family) const { return endpoints_[family == netprobe::Family::V4 ? 0 : 1]; }

  TraceOptions options_;
  std::uint16_t rawIdentifier_;
  std::array<Endpoint, 2> endpoints_;
};

}  // namespace streamswarm::traceroute

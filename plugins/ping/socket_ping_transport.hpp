// The real PingTransport: one ICMP socket per address family, raw when privileged, else a ping
// socket. Sockets live as long as the probe instance, so the kernel's timestamping stays warm and
// a ping socket keeps its identifier; each run starts by discarding what arrived in between.
#pragma once

#include "common/probe_socket.hpp"
#include "ping/ping_options.hpp"
#include "ping/ping_transport.hpp"

#include <array>
#include <memory>
#include <random>
#include <string>

namespace streamswarm::ping {

// Messages read from one socket per drain() before the loop gets to send again.
constexpr std::size_t kDrainLimit = 4096;
// A receive slot holds the largest reply (payload + ICMP header + the longest IPv4 header) and at
// least a full-size ICMP error quote.
constexpr std::size_t kMaxIpv4HeaderBytes = 60;
constexpr std::size_t kMinReceiveSlot = 1500;

class SocketPingTransport final : public PingTransport {
 public:
  explicit SocketPingTransport(const PingOptions& options);

  std::string prepare(netprobe::Family family) override;
  std::string socketKind(netprobe::Family family) const override;
  std::uint16_t identifier(netprobe::Family family) const override;
  netprobe::MonoTime now() override;
  netprobe::SendOutcome send(netprobe::Family family, const netprobe::IpAddress& to, netprobe::Bytes icmp) override;
  void wait(netprobe::MonoTime until) override;
  void drain(netprobe::ReceiveSink& sink) override;

 private:
  struct Endpoint {
    std::unique_ptr<netprobe::ProbeSocket> socket;
    std::uint16_t identifier = 0;
  };
  std::string open(netprobe::Family family, Endpoint& endpoint);
  Endpoint& endpoint(netprobe::Family family) { return endpoints_[family == netprobe::Family::V4 ? 0 : 1]; }
  const Endpoint& endpoint(netprobe::Family family) const { return endpoints_[family == netprobe::Family::V4 ? 0 : 1]; }

  PingOptions options_;
  std::array<Endpoint, 2> endpoints_;
  std::mt19937 random_;
};

}  // namespace streamswarm::ping

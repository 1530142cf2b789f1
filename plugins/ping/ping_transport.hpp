// What the ping runner needs from the outside world: one ICMP socket per address family, a
// monotonic clock, and a way to wait for replies. SocketPingTransport is the real one; tests
// substitute a simulated network.
#pragma once

#include "common/ip_address.hpp"
#include "common/socket_events.hpp"

#include <cstdint>
#include <string>

namespace streamswarm::ping {

class PingTransport {
 public:
  virtual ~PingTransport() = default;

  // Makes the socket for `family` ready for a run (opening it if needed). Returns "" or why the
  // family cannot be used (a missing privilege, a bad source address).
  virtual std::string prepare(netprobe::Family family) = 0;
  virtual std::string socketKind(netprobe::Family family) const = 0;  // "raw" / "datagram"
  // The identifier our echo replies carry on that socket (ping sockets: chosen by the kernel).
  virtual std::uint16_t identifier(netprobe::Family family) const = 0;

  virtual netprobe::MonoTime now() = 0;
  virtual netprobe::SendOutcome send(netprobe::Family family, const netprobe::IpAddress& to, netprobe::Bytes icmp) = 0;
  // Returns when a socket has something to read, or at `until`.
  virtual void wait(netprobe::MonoTime until) = 0;
  virtual void drain(netprobe::ReceiveSink& sink) = 0;
};

}  // namespace streamswarm::ping

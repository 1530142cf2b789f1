// What the traceroute runner needs from the outside world: per address family, a way to send a
// probe with a given TTL and to read what answers (ICMP errors and echo replies, TCP segments), a
// monotonic clock, and waiting. SocketTraceTransport is the real one; tests simulate a network.
#pragma once

#include "common/ip_address.hpp"
#include "common/socket_events.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace streamswarm::traceroute {

class TraceTransport {
 public:
  virtual ~TraceTransport() = default;

  // Makes the sockets for `family` ready for a run (opening them if needed). Returns "" or why the
  // family cannot be traced (a missing privilege, a bad source address).
  virtual std::string prepare(netprobe::Family family) = 0;
  virtual std::string socketKind(netprobe::Family family) const = 0;  // "raw" / "datagram"
  // ICMP mode: the identifier our echo probes carry on that family's socket (ping sockets: the kernel's).
  virtual std::uint16_t icmpIdentifier(netprobe::Family family) const = 0;
  // The local address probes to `destination` leave from (for transport checksums).
  virtual std::optional<netprobe::IpAddress> sourceFor(const netprobe::IpAddress& destination, std::string& error) = 0;

  virtual netprobe::MonoTime now() = 0;
  virtual netprobe::SendOutcome send(netprobe::Family family, const netprobe::IpAddress& to, netprobe::Bytes probe,
                                     int ttl) = 0;
  // Returns when a socket has something to read, or at `until`.
  virtual void wait(netprobe::MonoTime until) = 0;
  virtual void drain(netprobe::ReceiveSink& sink) = 0;
};

}  // namespace streamswarm::traceroute

// What a probe socket did: the outcome of a send, and what a read produced before any protocol
// parsing (the bytes, who sent them, the kernel's receive time). Plain data, so the fake transports
// of the tests produce the same events as real sockets.
#pragma once

#include "common/ip_address.hpp"
#include "common/packet_bytes.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace streamswarm::netprobe {

// Kernel software timestamps are CLOCK_REALTIME, so round trips are computed on it; scheduling uses
// the monotonic clock.
using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;

struct SendOutcome {
  int error = 0;  // errno; EAGAIN/ENOBUFS mean "try again"
  WallTime userTime{};
  std::optional<std::uint32_t> txKey;  // the transmit timestamp that will carry this packet
};

struct ReceivedDatagram {
  Family family = Family::V4;
  std::uint8_t protocol = 0;  // of the socket: kProtocolIcmp, kProtocolIcmpv6 or kProtocolTcp
  IpAddress from;
  bool withIpHeader = false;  // the bytes begin with the IPv4 header (raw IPv4 sockets)
  Bytes bytes;
  std::optional<WallTime> kernelTime;  // when the packet arrived, stamped by the kernel
  WallTime userTime{};                 // when it was read: the fallback
  std::optional<int> ttl;              // TTL / hop limit of the received packet
};

// An ICMP error the kernel queued on a datagram socket (IP_RECVERR) about a packet we sent.
struct ReceivedError {
  Family family = Family::V4;
  std::optional<IpAddress> offender;  // who sent the ICMP error
  IpAddress destination;              // where our packet was going
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  Bytes original;  // the start of what we sent after the transport header the kernel strips
                   // (on ping sockets: our ICMP header and data; on UDP sockets: the payload)
  std::optional<WallTime> kernelTime;
  WallTime userTime{};
};

// The kernel's transmit time of the key-th packet sent on a socket (SOF_TIMESTAMPING_OPT_ID).
struct TxTimestamp {
  Family family = Family::V4;
  std::uint32_t key = 0;
  WallTime kernelTime{};
};

class ReceiveSink {
 public:
  virtual void datagram(const ReceivedDatagram& packet) = 0;
  virtual void error(const ReceivedError& error) = 0;
  virtual void txTimestamp(const TxTimestamp& stamp) = 0;

 protected:
  ~ReceiveSink() = default;
};

}  // namespace streamswarm::netprobe

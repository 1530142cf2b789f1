// A non-blocking raw or datagram socket for probes: ICMP echo, UDP and TCP probes out; replies,
// queued ICMP errors and kernel transmit timestamps in, read in batches. The thin I/O layer under
// ping and traceroute: no protocol logic here.
#pragma once

#include "common/ip_address.hpp"
#include "common/socket_events.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::netprobe {

// Messages read per recvmmsg() call; bounded further so the buffers stay under kMaxBatchBytes.
constexpr std::size_t kReceiveBatch = 32;
constexpr std::size_t kMaxBatchBytes = 1 << 20;
// Socket receive buffer asked for: a burst of replies from a thousand targets must not overflow
// it between two reads (a reply costs about 1 KiB of buffer in the kernel).
constexpr int kReceiveBufferBytes = 4 << 20;

// The kernel switches receive timestamping on system-wide from a work queue when the first socket
// asks for it, so a packet arriving in the first moments may carry no kernel time (the probes then
// time it in user space, and count how many were kernel-timed). Sockets are kept across runs, so an
// agent waits for this once: awaitReceiveTimestamps() after opening a socket with timestamps on.
constexpr std::chrono::milliseconds kTimestampWarmup{2};        // when the kernel cannot be asked
constexpr std::chrono::milliseconds kTimestampWarmupLimit{10};  // the longest wait for the work queue

// Returns once the kernel timestamps received packets, at most `limit` from now. It asks the kernel
// itself: a datagram a loopback UDP socket sends to itself is received before send() returns, so a
// kernel receive time earlier than that return means timestamping is on (without it, the time is
// taken later, at recvmsg). Immediate when another socket on the machine keeps timestamping on; in
// a fresh process typically well under kTimestampWarmup. Without a usable loopback it sleeps
// kTimestampWarmup. Returns whether timestamping was seen to be on.
bool awaitReceiveTimestamps(std::chrono::microseconds limit = kTimestampWarmupLimit);

enum class SocketKind : std::uint8_t { Raw, Datagram };

class ProbeSocket;

struct SocketOpen {
  std::unique_ptr<ProbeSocket> socket;
  int error = 0;  // errno of socket() when there is no socket
};

class ProbeSocket {
 public:
  // socket(family, type, protocol), non-blocking and close-on-exec. `slotBytes` is the largest
  // datagram read whole; longer ones are cut to it.
  static SocketOpen open(Family family, int type, int protocol, std::size_t slotBytes);
  ~ProbeSocket();
  ProbeSocket(const ProbeSocket&) = delete;
  ProbeSocket& operator=(const ProbeSocket&) = delete;

  int fd() const { return fd_; }
  Family family() const { return family_; }
  SocketKind kind() const { return type_ == SOCK_RAW ? SocketKind::Raw : SocketKind::Datagram; }
  std::uint8_t protocol() const { return static_cast<std::uint8_t>(protocol_); }

  // Each setter returns "" or the failed call and its reason, for the caller to report.
  // Receive timestamps always; transmit timestamps (errors queue, OPT_ID keys) when asked.
  std::string enableKernelTimestamps(bool transmit);
  bool transmitTimestamps() const { return txTimestamps_; }
  // Numbers the next timestamped send 0 again and trusts the numbering anew (after a failed send
  // made it uncertain). Call with nothing in flight: between runs, after draining.
  std::string resetTxKeys();
  bool receiveTimestamps() const { return rxTimestamps_; }
  std::string setTtl(int ttl);
  std::string setTos(int tos);
  std::string receiveTtl();
  std::string receiveErrors();
  std::string bindTo(const IpAddress& address, std::uint16_t port = 0);
  std::string bindToDevice(const std::string& device);
  std::string setReceiveBuffer(int bytes);
  // Raw ICMP/ICMPv6 sockets: deliver only these types.
  std::string acceptIcmpTypes(std::span<const std::uint8_t> types);
  // Raw sockets used only to send: drop every incoming copy in the kernel.
  std::string discardInput();
  // Raw TCP sockets: deliver only segments addressed to `port`.
  std::string acceptTcpToPort(std::uint16_t port);

  std::optional<IpAddress> localAddress() const;
  std::uint16_t localPort() const;

  SendOutcome sendTo(const IpAddress& to, Bytes bytes, std::uint16_t port = 0);

  // Reads what is pending (error queue, then normal queue), up to `limit` messages, and hands each
  // to `sink`. Returns how many were read.
  std::size_t drain(ReceiveSink& sink, std::size_t limit);
  // Reads and drops what is queued, `limit` messages at a time, until nothing is: replies and
  // errors that arrived after the previous run ended must not count in the next.
  void discardPending(std::size_t limit);

 private:
  ProbeSocket(int fd, Family family, int type, int protocol, std::size_t slotBytes);
  std::size_t drainErrorQueue(ReceiveSink& sink, std::size_t limit);
  // recvmmsg() of up to `want` (at most batch_) messages into the slots; returns its result.
  int receiveBatch(int flags, std::size_t want);
  // The bytes of slot i after receiveBatch().
  Bytes received(std::size_t i) const;
  std::string setOption(int level, int name, const void* value, socklen_t length, const char* what);

  int fd_;
  Family family_;
  int type_;
  int protocol_;
  std::size_t slotBytes_;
  std::size_t batch_;
  bool txTimestamps_ = false;
  bool rxTimestamps_ = false;
  bool rxTimestampsNs_ = false;  // SO_TIMESTAMPNS fallback
  bool receivesErrors_ = false;  // IP_RECVERR is on
  // The kernel numbers timestamped sends from 0. A failed send may or may not have used a number,
  // so after one the numbering is no longer trusted and later sends fall back to user time.
  std::uint32_t nextTxKey_ = 0;
  bool txKeysTrusted_ = true;
  std::vector<std::uint8_t> data_;
  std::vector<std::uint8_t> control_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> names_;
};

enum class IcmpSocketPreference : std::uint8_t { Auto, Raw, Datagram };

struct IcmpSocketChoice {
  std::unique_ptr<ProbeSocket> socket;
  std::string error;  // names the missing privilege when neither kind could be opened
};

// An ICMP (V4) or ICMPv6 (V6) socket: raw when the process has CAP_NET_RAW, else an unprivileged
// ping socket when net.ipv4.ping_group_range admits one of its groups (Auto), or the kind asked for.
IcmpSocketChoice openIcmpSocket(Family family, IcmpSocketPreference preference, std::size_t slotBytes);

std::string errnoText(int error);

}  // namespace streamswarm::netprobe

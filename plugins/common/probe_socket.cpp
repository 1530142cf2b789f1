#include "common/probe_socket.hpp"

#include "common/icmp_privilege.hpp"
#include "common/ip_header.hpp"

#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <thread>

namespace streamswarm::netprobe {
namespace {

// From <linux/icmp.h>, which clashes with glibc's <netinet/in.h>: the raw ICMPv4 socket option
// whose bit mask lists the types *not* delivered.
constexpr int kIcmpFilterOption = 1;
struct IcmpFilter {
  std::uint32_t blocked;
};

// Room for a timestamp, a TTL and an extended error with its offender address, as cmsgs.
constexpr std::size_t kControlBytes = 256;

WallTime wallFrom(const timespec& ts) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(ts.tv_sec) +
                                                                 std::chrono::nanoseconds(ts.tv_nsec)));
}

bool isZero(const timespec& ts) {
  return ts.tv_sec == 0 && ts.tv_nsec == 0;
}

struct Control {
  std::optional<WallTime> time;
  std::optional<int> ttl;
  std::optional<sock_extended_err> extended;
  std::optional<IpAddress> offender;
};

Control readControl(msghdr& msg) {
  Control c;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    const auto* data = CMSG_DATA(cm);
    const std::size_t length = cm->cmsg_len - CMSG_LEN(0);
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPING && length >= sizeof(scm_timestamping)) {
      scm_timestamping ts{};
      std::memcpy(&ts, data, sizeof ts);
      if (!isZero(ts.ts[0])) c.time = wallFrom(ts.ts[0]);
    } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS && length >= sizeof(timespec)) {
      timespec ts{};
      std::memcpy(&ts, data, sizeof ts);
      c.time = wallFrom(ts);
    } else if (((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_TTL) ||
                (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) &&
               length >= sizeof(int)) {
      int ttl = 0;
      std::memcpy(&ttl, data, sizeof ttl);
      c.ttl = ttl;
    } else if (((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
                (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)) &&
               length >= sizeof(sock_extended_err)) {
      sock_extended_err ee{};
      std::memcpy(&ee, data, sizeof ee);
      c.extended = ee;
      sockaddr_storage offender{};
      const std::size_t offenderLength = std::min(length - sizeof ee, sizeof offender);
      std::memcpy(&offender, data + sizeof ee, offenderLength);
      const auto address = IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&offender), offenderLength);
      if (address && !address->isUnspecified()) c.offender = address;
    }
  }
  return c;
}

}  // namespace

std::string errnoText(int error) {
  return std::strerror(error);
}

SocketOpen ProbeSocket::open(Family family, int type, int protocol, std::size_t slotBytes) {
  const int fd = ::socket(addressFamily(family), type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return {nullptr, errno};
  return {std::unique_ptr<ProbeSocket>(new ProbeSocket(fd, family, type, protocol, slotBytes)), 0};
}

ProbeSocket::ProbeSocket(int fd, Family family, int type, int protocol, std::size_t slotBytes)
    : fd_(fd),
      family_(family),
      type_(type),
      protocol_(protocol),
      slotBytes_(std::max<std::size_t>(slotBytes, 64)),
      batch_(std::clamp<std::size_t>(kMaxBatchBytes / slotBytes_, 1, kReceiveBatch)),
      data_(batch_ * slotBytes_),
      control_(batch_ * kControlBytes),
      messages_(batch_),
      iovs_(batch_),
      names_(batch_) {}

ProbeSocket::~ProbeSocket() {
  ::close(fd_);
}

std::string ProbeSocket::setOption(int level, int name, const void* value, socklen_t length, const char* what) {
  if (::setsockopt(fd_, level, name, value, length) == 0) return {};
  return std::string(what) + ": " + errnoText(errno);
}

std::string ProbeSocket::enableKernelTimestamps(bool transmit) {
  int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (transmit) flags |= SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  if (::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0) {
    rxTimestamps_ = true;
    txTimestamps_ = transmit;
    return {};
  }
  const std::string failed = "SO_TIMESTAMPING: " + errnoText(errno);
  const int on = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0) {
    rxTimestamps_ = rxTimestampsNs_ = true;
    return transmit ? failed : std::string();
  }
  return failed + "; SO_TIMESTAMPNS: " + errnoText(errno);
}

std::string ProbeSocket::resetTxKeys() {
  if (!txTimestamps_) return {};
  // The kernel restarts its counter at 0 only when OPT_ID goes from off to on.
  int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
              SOF_TIMESTAMPING_OPT_TSONLY;
  if (auto problem = setOption(SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags, "SO_TIMESTAMPING"); !problem.empty())
    return problem;
  flags |= SOF_TIMESTAMPING_OPT_ID;
  if (auto problem = setOption(SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags, "SO_TIMESTAMPING");
      !problem.empty()) {
    txTimestamps_ = false;
    return problem;
  }
  nextTxKey_ = 0;
  txKeysTrusted_ = true;
  return {};
}

std::string ProbeSocket::setTtl(int ttl) {
  return family_ == Family::V4 ? setOption(SOL_IP, IP_TTL, &ttl, sizeof ttl, "IP_TTL")
                               : setOption(SOL_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl, "IPV6_UNICAST_HOPS");
}

std::string ProbeSocket::setTos(int tos) {
  return family_ == Family::V4 ? setOption(SOL_IP, IP_TOS, &tos, sizeof tos, "IP_TOS")
                               : setOption(SOL_IPV6, IPV6_TCLASS, &tos, sizeof tos, "IPV6_TCLASS");
}

std::string ProbeSocket::receiveTtl() {
  const int on = 1;
  return family_ == Family::V4 ? setOption(SOL_IP, IP_RECVTTL, &on, sizeof on, "IP_RECVTTL")
                               : setOption(SOL_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on, "IPV6_RECVHOPLIMIT");
}

std::string ProbeSocket::receiveErrors() {
  const int on = 1;
  auto problem = family_ == Family::V4 ? setOption(SOL_IP, IP_RECVERR, &on, sizeof on, "IP_RECVERR")
                                       : setOption(SOL_IPV6, IPV6_RECVERR, &on, sizeof on, "IPV6_RECVERR");
  receivesErrors_ = problem.empty();
  return problem;
}

std::string ProbeSocket::bindTo(const IpAddress& address, std::uint16_t port) {
  if (address.family() != family_) return "bind: address " + address.toString() + " is not " + familyName(family_);
  sockaddr_storage storage{};
  const auto length = address.toSockaddr(storage, port);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&storage), length) == 0) return {};
  return "bind " + address.toString() + ": " + errnoText(errno);
}

std::string ProbeSocket::bindToDevice(const std::string& device) {
  if (device.size() >= IFNAMSIZ) return "SO_BINDTODEVICE " + device + ": name too long";
  return setOption(SOL_SOCKET, SO_BINDTODEVICE, device.c_str(), static_cast<socklen_t>(device.size() + 1),
                   ("SO_BINDTODEVICE " + device).c_str());
}

std::string ProbeSocket::setReceiveBuffer(int bytes) {
  // SO_RCVBUFFORCE passes net.core.rmem_max when privileged; otherwise the capped SO_RCVBUF.
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return {};
  return setOption(SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes, "SO_RCVBUF");
}

std::string ProbeSocket::acceptIcmpTypes(std::span<const std::uint8_t> types) {
  if (family_ == Family::V4) {
    IcmpFilter filter{~std::uint32_t{0}};
    for (const auto t : types)
      if (t < 32) filter.blocked &= ~(std::uint32_t{1} << t);
    return setOption(SOL_RAW, kIcmpFilterOption, &filter, sizeof filter, "ICMP_FILTER");
  }
  icmp6_filter filter{};
  ICMP6_FILTER_SETBLOCKALL(&filter);
  for (const auto t : types) ICMP6_FILTER_SETPASS(t, &filter);
  return setOption(SOL_ICMPV6, ICMP6_FILTER, &filter, sizeof filter, "ICMP6_FILTER");
}

std::string ProbeSocket::discardInput() {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  const sock_fprog program{1, code};
  return setOption(SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program, "SO_ATTACH_FILTER");
}

std::string ProbeSocket::acceptTcpToPort(std::uint16_t port) {
  // Raw IPv4 sockets see the IP header (its length from the IHL nibble); raw IPv6 ones do not.
  constexpr std::uint32_t kWholePacket = 0x40000;
  sock_filter v4[] = {
      {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0},     // X = IP header length
      {BPF_LD | BPF_H | BPF_IND, 0, 0, 2},      // A = TCP destination port
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, port},  //
      {BPF_RET | BPF_K, 0, 0, kWholePacket},    //
      {BPF_RET | BPF_K, 0, 0, 0},
  };
  sock_filter v6[] = {
      {BPF_LD | BPF_H | BPF_ABS, 0, 0, 2},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, port},
      {BPF_RET | BPF_K, 0, 0, kWholePacket},
      {BPF_RET | BPF_K, 0, 0, 0},
  };
  const sock_fprog program = family_ == Family::V4 ? sock_fprog{5, v4} : sock_fprog{4, v6};
  return setOption(SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program, "SO_ATTACH_FILTER");
}

std::optional<IpAddress> ProbeSocket::localAddress() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;
  return IpAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&storage), length);
}

std::uint16_t ProbeSocket::localPort() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

SendOutcome ProbeSocket::sendTo(const IpAddress& to, Bytes bytes, std::uint16_t port) {
  sockaddr_storage storage{};
  const auto length = to.toSockaddr(storage, port);
  SendOutcome sent;
  // With IP_RECVERR, each ICMP error about an earlier packet also leaves its errno pending on the
  // socket, and the next send fails with it instead of going out. Reading SO_ERROR clears it; if
  // one slips in between, the send is tried once more.
  if (receivesErrors_) {
    int pending = 0;
    socklen_t size = sizeof pending;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &size);
  }
  auto attempt = [&] {
    sent.userTime = std::chrono::system_clock::now();
    return ::sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&storage), length);
  };
  auto n = attempt();
  if (n < 0 && receivesErrors_ && errno != EAGAIN && errno != ENOBUFS) {
    txKeysTrusted_ = false;  // the failed attempt may have used a timestamp number
    n = attempt();
  }
  if (n < 0) {
    sent.error = errno;
    txKeysTrusted_ = false;
    return sent;
  }
  if (txTimestamps_ && txKeysTrusted_) sent.txKey = nextTxKey_++;
  return sent;
}

int ProbeSocket::receiveBatch(int flags, std::size_t want) {
  want = std::min(want, batch_);
  for (std::size_t i = 0; i < want; ++i) {
    iovs_[i] = {data_.data() + i * slotBytes_, slotBytes_};
    messages_[i] = {};
    messages_[i].msg_hdr.msg_name = &names_[i];
    messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    messages_[i].msg_hdr.msg_iov = &iovs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    messages_[i].msg_hdr.msg_control = control_.data() + i * kControlBytes;
    messages_[i].msg_hdr.msg_controllen = kControlBytes;
  }
  return ::recvmmsg(fd_, messages_.data(), static_cast<unsigned>(want), flags | MSG_DONTWAIT, nullptr);
}

Bytes ProbeSocket::received(std::size_t i) const {
  return Bytes(static_cast<const std::uint8_t*>(iovs_[i].iov_base),
               std::min<std::size_t>(messages_[i].msg_len, slotBytes_));
}

std::size_t ProbeSocket::drainErrorQueue(ReceiveSink& sink, std::size_t limit) {
  std::size_t read = 0;
  while (read < limit) {
    // One call reads a batch: a burst of probes leaves one transmit timestamp each.
    const int n = receiveBatch(MSG_ERRQUEUE, limit - read);
    if (n <= 0) break;  // EAGAIN: empty
    const auto userTime = std::chrono::system_clock::now();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      auto& msg = messages_[i].msg_hdr;
      const auto control = readControl(msg);
      if (!control.extended) continue;
      const auto& ee = *control.extended;
      if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
        if (ee.ee_info == SCM_TSTAMP_SND && control.time) sink.txTimestamp({family_, ee.ee_data, *control.time});
        continue;
      }
      if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6) continue;
      const auto destination = IpAddress::fromSockaddr(static_cast<const sockaddr*>(msg.msg_name), msg.msg_namelen);
      if (!destination) continue;
      ReceivedError error;
      error.family = family_;
      error.offender = control.offender;
      error.destination = *destination;
      error.type = ee.ee_type;
      error.code = ee.ee_code;
      error.original = received(i);
      error.kernelTime = control.time;
      error.userTime = userTime;
      sink.error(error);
    }
    read += static_cast<std::size_t>(n);
  }
  return read;
}

void ProbeSocket::discardPending(std::size_t limit) {
  class Discard final : public ReceiveSink {
   public:
    void datagram(const ReceivedDatagram&) override {}
    void error(const ReceivedError&) override {}
    void txTimestamp(const TxTimestamp&) override {}
  } discard;
  while (drain(discard, limit) > 0) {
  }
}

std::size_t ProbeSocket::drain(ReceiveSink& sink, std::size_t limit) {
  std::size_t read = drainErrorQueue(sink, limit);
  while (read < limit) {
    const auto want = std::min(batch_, limit - read);
    const int n = receiveBatch(0, want);
    if (n <= 0) break;
    const auto userTime = std::chrono::system_clock::now();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      auto& msg = messages_[i].msg_hdr;
      const auto from = IpAddress::fromSockaddr(static_cast<const sockaddr*>(msg.msg_name), msg.msg_namelen);
      if (!from) continue;
      const auto control = readControl(msg);
      ReceivedDatagram d;
      d.family = family_;
      d.protocol = protocol();
      d.from = *from;
      d.withIpHeader = family_ == Family::V4 && type_ == SOCK_RAW;
      d.bytes = received(i);
      d.kernelTime = control.time;
      d.userTime = userTime;
      d.ttl = control.ttl;
      sink.datagram(d);
    }
    read += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) break;
  }
  return read;
}

IcmpSocketChoice openIcmpSocket(Family family, IcmpSocketPreference preference, std::size_t slotBytes) {
  const int protocol = family == Family::V4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  SocketAttempt raw;
  SocketAttempt datagram;
  if (preference != IcmpSocketPreference::Datagram) {
    auto opened = ProbeSocket::open(family, SOCK_RAW, protocol, slotBytes);
    if (opened.socket) return {std::move(opened.socket), {}};
    raw = {true, opened.error};
  }
  if (preference != IcmpSocketPreference::Raw) {
    auto opened = ProbeSocket::open(family, SOCK_DGRAM, protocol, slotBytes);
    if (opened.socket) return {std::move(opened.socket), {}};
    datagram = {true, opened.error};
  }
  return {nullptr, currentIcmpPrivilegeError(family, raw, datagram)};
}

namespace {

std::int64_t realtimeNs() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// Sends one byte to the connected-to-itself socket `fd` and reads it back: whether the kernel's
// receive time came before send() returned; none when the round trip failed.
std::optional<bool> stampedOnArrival(int fd, std::chrono::milliseconds wait) {
  const char byte = 0;
  if (::send(fd, &byte, 1, 0) != 1) return std::nullopt;
  const auto sent = realtimeNs();
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
  char data[8];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(fd, &msg, MSG_DONTWAIT) < 0) return std::nullopt;
  for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec t{};
      std::memcpy(&t, CMSG_DATA(c), sizeof t);
      return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec <= sent;
    }
  return std::nullopt;
}

}  // namespace

bool awaitReceiveTimestamps(std::chrono::microseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + limit;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::optional<bool> on;
  if (fd >= 0) {
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof self;
    const int yes = 1;
    auto* address = reinterpret_cast<sockaddr*>(&self);
    if (::bind(fd, address, sizeof self) == 0 && ::getsockname(fd, address, &length) == 0 &&
        ::connect(fd, address, sizeof self) == 0 && ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &yes, sizeof yes) == 0)
      while ((on = stampedOnArrival(fd, std::chrono::milliseconds(1))) && !*on && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    ::close(fd);
  }
  if (!on) std::this_thread::sleep_until(std::min(deadline, start + kTimestampWarmup));
  return on.value_or(false);
}

}  // namespace streamswarm::netprobe

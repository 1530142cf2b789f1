// Answers ICMP and ICMPv6 echo requests inside a network namespace from user space, a fixed delay
// after each request arrived: a host with a known round trip, since this kernel has no netem.
// The namespace's kernel must not answer itself (net.ipv4.icmp_echo_ignore_all and
// net.ipv6.icmp.echo_ignore_all set to 1). Deliberately written on plain sockets, not with the
// code under test.
#pragma once

#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ping_test {

class DelayedEchoResponder {
 public:
  DelayedEchoResponder(const std::string& netns, std::chrono::milliseconds delay) : delay_(delay) {
    std::atomic<int> ready{0};
    thread_ = std::thread([this, netns, &ready] {
      try {
        enter(netns);
        open();
        ready = 1;
      } catch (const std::exception&) {
        ready = -1;
        return;
      }
      loop();
    });
    while (ready == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (ready < 0) {
      thread_.join();
      throw std::runtime_error("the echo responder could not start in " + netns);
    }
  }
  ~DelayedEchoResponder() {
    stop_ = true;
    thread_.join();
    for (const int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  DelayedEchoResponder(const DelayedEchoResponder&) = delete;
  DelayedEchoResponder& operator=(const DelayedEchoResponder&) = delete;

  std::size_t answered() const { return answered_; }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    int fd;
    sockaddr_storage to;
    socklen_t toLength;
    std::vector<std::uint8_t> reply;
  };

  static void enter(const std::string& netns) {
    const int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns");
    ::close(fd);
  }

  void open() {
    fds_[0] = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    fds_[1] = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (fds_[0] < 0 || fds_[1] < 0) throw std::runtime_error("raw sockets");
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &filter);
    ::setsockopt(fds_[1], IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }

  static std::uint16_t checksum(const std::vector<std::uint8_t>& b) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < b.size(); i += 2) sum += (b[i] << 8) | (i + 1 < b.size() ? b[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
  }

  // Reads one packet; queues the reply to an echo request.
  void receive(int index) {
    std::uint8_t buffer[2048];
    sockaddr_storage from{};
    socklen_t fromLength = sizeof from;
    const auto n =
        ::recvfrom(fds_[index], buffer, sizeof buffer, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n <= 0) return;
    const auto arrived = std::chrono::steady_clock::now();
    std::size_t offset = 0;
    if (index == 0) offset = static_cast<std::size_t>(buffer[0] & 0x0f) * 4;  // IPv4 header
    if (static_cast<std::size_t>(n) < offset + 8) return;
    std::vector<std::uint8_t> icmp(buffer + offset, buffer + n);
    if (icmp[0] != (index == 0 ? 8 : ICMP6_ECHO_REQUEST)) return;
    icmp[0] = index == 0 ? 0 : ICMP6_ECHO_REPLY;
    icmp[2] = icmp[3] = 0;
    if (index == 0) {  // the kernel fills in ICMPv6 checksums on raw sockets
      const auto sum = checksum(icmp);
      icmp[2] = static_cast<std::uint8_t>(sum >> 8);
      icmp[3] = static_cast<std::uint8_t>(sum & 0xff);
    }
    queue_.push_back({arrived + delay_, fds_[index], from, fromLength, std::move(icmp)});
  }

  void loop() {
    while (!stop_) {
      const auto now = std::chrono::steady_clock::now();
      while (!queue_.empty() && queue_.front().due <= now) {
        const auto& p = queue_.front();
        if (::sendto(p.fd, p.reply.data(), p.reply.size(), 0, reinterpret_cast<const sockaddr*>(&p.to), p.toLength) > 0)
          ++answered_;
        queue_.pop_front();
      }
      auto wait = std::chrono::nanoseconds(std::chrono::milliseconds(10));
      if (!queue_.empty()) wait = std::min(wait, std::max(std::chrono::nanoseconds(0), queue_.front().due - now));
      const timespec timeout{0, static_cast<long>(wait.count())};
      pollfd fds[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
      if (::ppoll(fds, 2, &timeout, nullptr) > 0)
        for (int i = 0; i < 2; ++i)
          if (fds[i].revents & POLLIN) receive(i);
    }
  }

  std::chrono::milliseconds delay_;
  int fds_[2] = {-1, -1};
  std::deque<Pending> queue_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  std::thread thread_;
};

}  // namespace ping_test

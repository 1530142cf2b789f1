// An authoritative DNS server for tests, on UDP (127.0.0.1:53 inside a network namespace the test
// made): A and AAAA answers for the names it is given, each after a chosen delay, NXDOMAIN for any
// other name. Enough for getaddrinfo; nothing else of DNS (no TCP, no EDNS, one question).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <arpa/inet.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace http_timing_test {

struct FakeDnsRecord {
  std::vector<std::string> ipv4;  // A answers
  std::vector<std::string> ipv6;  // AAAA answers
  std::chrono::milliseconds delay{0};
};

class FakeDnsServer {
 public:
  static constexpr std::uint16_t kTypeA = 1;
  static constexpr std::uint16_t kTypeAaaa = 28;

  explicit FakeDnsServer(const std::string& address = "127.0.0.1", std::uint16_t port = 53)
      : socket_(io_, {boost::asio::ip::make_address(address), port}) {
    boost::asio::co_spawn(io_, serve(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeDnsServer() {
    io_.stop();
    thread_.join();
  }
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;

  // `name` without the trailing dot, lower case.
  void add(const std::string& name, FakeDnsRecord record) {
    std::lock_guard lock(mutex_);
    zone_[name] = std::move(record);
  }
  int queries() const { return queries_; }

 private:
  static constexpr auto kUse = boost::asio::as_tuple(boost::asio::use_awaitable);
  static constexpr std::size_t kMaxMessage = 512;  // plain DNS over UDP
  static constexpr std::uint32_t kTtlSeconds = 60;

  struct Question {
    std::string name;
    std::uint16_t type = 0;
    std::size_t end = 0;  // offset just past the question in the query
  };

  static std::optional<Question> question(const std::uint8_t* data, std::size_t size) {
    if (size < 12 || ((data[4] << 8) | data[5]) < 1) return std::nullopt;
    Question q;
    std::size_t at = 12;
    while (at < size && data[at] != 0) {
      const std::size_t length = data[at];
      if (length > 63 || at + 1 + length > size) return std::nullopt;
      if (!q.name.empty()) q.name += '.';
      for (std::size_t i = 0; i < length; ++i) q.name += static_cast<char>(std::tolower(data[at + 1 + i]));
      at += 1 + length;
    }
    if (at + 5 > size) return std::nullopt;
    q.type = static_cast<std::uint16_t>((data[at + 1] << 8) | data[at + 2]);
    q.end = at + 5;
    return q;
  }

  static void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
  }

  static std::vector<std::uint8_t> answer(const std::uint8_t* query, const Question& q,
                                          const std::optional<FakeDnsRecord>& record) {
    std::vector<std::uint8_t> out(query, query + 12);
    const std::uint16_t rcode = record ? 0 : 3;                           // NOERROR or NXDOMAIN
    out[2] = static_cast<std::uint8_t>(0x80 | 0x04 | (query[2] & 0x79));  // QR, AA, opcode and RD kept
    out[3] = static_cast<std::uint8_t>(0x80 | rcode);                     // RA
    std::vector<std::vector<std::uint8_t>> rdata;
    if (record && q.type == kTypeA)
      for (const auto& a : record->ipv4) {
        std::vector<std::uint8_t> bytes(4);
        inet_pton(AF_INET, a.c_str(), bytes.data());
        rdata.push_back(bytes);
      }
    if (record && q.type == kTypeAaaa)
      for (const auto& a : record->ipv6) {
        std::vector<std::uint8_t> bytes(16);
        inet_pton(AF_INET6, a.c_str(), bytes.data());
        rdata.push_back(bytes);
      }
    out[4] = 0;
    out[5] = 1;
    out[6] = 0;
    out[7] = static_cast<std::uint8_t>(rdata.size());
    out[8] = out[9] = out[10] = out[11] = 0;
    out.insert(out.end(), query + 12, query + q.end);
    for (const auto& r : rdata) {
      put16(out, 0xC00C);  // the name: a pointer to the question's
      put16(out, q.type);
      put16(out, 1);  // class IN
      put16(out, static_cast<std::uint16_t>(kTtlSeconds >> 16));
      put16(out, static_cast<std::uint16_t>(kTtlSeconds & 0xffff));
      put16(out, static_cast<std::uint16_t>(r.size()));
      out.insert(out.end(), r.begin(), r.end());
    }
    return out;
  }

  boost::asio::awaitable<void> serve() {
    std::array<std::uint8_t, kMaxMessage> buffer;
    while (true) {
      boost::asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket_.async_receive_from(boost::asio::buffer(buffer), from, kUse);
      if (ec) co_return;
      ++queries_;
      const auto q = question(buffer.data(), n);
      if (!q) continue;
      std::optional<FakeDnsRecord> record;
      {
        std::lock_guard lock(mutex_);
        if (const auto it = zone_.find(q->name); it != zone_.end()) record = it->second;
      }
      auto reply = answer(buffer.data(), *q, record);
      const auto delay = record ? record->delay : std::chrono::milliseconds(0);
      boost::asio::co_spawn(io_, send(std::move(reply), from, delay), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> send(std::vector<std::uint8_t> reply, boost::asio::ip::udp::endpoint to,
                                    std::chrono::milliseconds delay) {
    if (delay.count() > 0) {
      boost::asio::steady_timer timer(io_, delay);
      co_await timer.async_wait(kUse);
    }
    co_await socket_.async_send_to(boost::asio::buffer(reply), to, kUse);
  }

  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  std::mutex mutex_;
  std::map<std::string, FakeDnsRecord> zone_;
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace http_timing_test

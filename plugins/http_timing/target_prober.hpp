// Probes one target once on the caller's io_context: resolution, TCP connect, TLS handshake,
// request and response for each redirect hop, with a monotonic timestamp at the end of each step.
// Every failure (refusal, timeout, TLS alert, bad status) ends up in the outcome, never thrown.
#pragma once

#include "phase_timings.hpp"
#include "probe_config.hpp"
#include "probe_outcome.hpp"
#include "tls_inspector.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::http_timing {

// Longest response header block read; Beast's default (8 KiB) is below what real sites send.
inline constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
// Size of one socket read for the response body.
inline constexpr std::size_t kReadChunkBytes = 16 * 1024;
inline constexpr char kUserAgent[] = "streamswarm-http_timing/1.0";

class TargetProber : public std::enable_shared_from_this<TargetProber> {
 public:
  // `config` and `tls` must outlive the probe; `trustStore` names them for the document.
  TargetProber(boost::asio::io_context& io, const ProbeConfig& config, LazyTlsContext& tls, std::string trustStore,
               const Target& target, std::chrono::system_clock::time_point wallStart);
  ~TargetProber();
  TargetProber(const TargetProber&) = delete;
  TargetProber& operator=(const TargetProber&) = delete;

  // Runs the probe; completes within the configured timeout (plus scheduling delay).
  boost::asio::awaitable<ProbeOutcome> probe();
  // Ends the probe early: the current phase fails with "cancelled".
  void cancel();
  // The outcome so far, failed with `reason` in the current phase (for an unexpected exception).
  ProbeOutcome abandon(const std::string& reason);

 private:
  struct Connection;
  enum class Stop { kNone, kTimeout, kCancelled };
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;

  boost::asio::awaitable<void> probeHttp();
  boost::asio::awaitable<void> probeDns();
  boost::asio::awaitable<void> probeTcp();

  // One request/response; false when the probe failed (the failure is recorded).
  boost::asio::awaitable<bool> runHop(const Url& url, const Request& request, HopRecord& hop, PhaseMarks& marks);
  boost::asio::awaitable<std::optional<Endpoints>> resolve(const std::string& host, std::uint16_t port, bool ipLiteral,
                                                           PhaseMarks& marks);
  boost::asio::awaitable<bool> connect(const Endpoints& endpoints, HopRecord& hop, PhaseMarks& marks);
  boost::asio::awaitable<bool> handshake(const Url& url, HopRecord& hop, PhaseMarks& marks);
  template <class Stream>
  boost::asio::awaitable<bool> exchange(Stream& stream, const Request& request, HopRecord& hop, PhaseMarks& marks);

  Request buildRequest(const Url& url, const std::string& method, const std::string& body,
                       const std::vector<Header>& headers) const;
  void stop(Stop why);
  bool interrupted(Phase phase);
  void fail(Phase phase, std::string reason);
  std::string reasonFor(const boost::system::error_code& ec) const;
  void closeConnection();
  static Nanos now();

  boost::asio::io_context& io_;
  const ProbeConfig& config_;
  LazyTlsContext& tls_;
  std::string trustStore_;
  Target target_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer wake_;  // wakes the coroutine when a resolution ends or the probe stops
  std::unique_ptr<Connection> connection_;
  std::array<char, kReadChunkBytes> chunk_{};
  std::string finalBody_;  // the final hop's decoded body, kept only for expect_body/expect_regex
  Phase phase_ = Phase::kDns;
  Stop stopped_ = Stop::kNone;
  Nanos start_{0};
  Nanos end_{0};
  ProbeOutcome outcome_;
};

}  // namespace streamswarm::http_timing

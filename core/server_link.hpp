#pragma once

#include "core/agent_config.hpp"
#include "core/credential_file.hpp"
#include "core/http_client.hpp"
#include "core/result_spool.hpp"
#include "core/server_api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace streamswarm::core {

// The agent's connection to the server: enrolls once (storing the credential), registers at every
// start, heartbeats, long-polls the desired test set, and delivers the spool oldest-first with one
// batch in flight, deleting what the server acknowledged. All on the agent's io_context, over three
// keep-alive connections (control, long poll, results) so that none waits behind another.
class ServerLink : public std::enable_shared_from_this<ServerLink> {
 public:
  using TestsHandler = std::function<void(const std::vector<ServerTest>&)>;
  using FatalHandler = std::function<void(const std::string& message)>;

  // Throws Error when the agent cannot start talking to the server: no credential and no
  // enrollment token, an unreadable credential or CA file.
  ServerLink(boost::asio::io_context& io, const AgentConfig& config, ResultSpool& spool, std::string version,
             TestsHandler onTests, FatalHandler onFatal);

  // Enrolls if needed, registers with these plugin schemas, then runs until stop().
  void start(std::vector<PluginSchema> plugins);
  // New entries are in the spool.
  void resultsAppended();
  void stop();

 private:
  enum class Channel { kControl, kPoll, kResults };

  void enroll();
  void registerAgent();
  void onRegistered(const Registration& registration);
  void heartbeat();
  void poll();
  void scheduleSend(std::chrono::milliseconds delay);
  void sendBatch();
  void onBatchResponse(const HttpResponse& r, std::int64_t firstSeq, std::int64_t lastSeq, std::size_t count);
  void refused(std::int64_t seq, const std::string& why);
  void retry(Backoff& backoff, boost::asio::steady_timer& timer, const char* what, const HttpResponse& r,
             std::function<void()> again);
  void reachable(Channel channel, const std::string& problem);
  std::string problemOf(const HttpResponse& r) const;
  void fatal(const std::string& message);

  boost::asio::io_context& io_;
  const AgentConfig& config_;
  const ServerConfig& server_;
  ResultSpool& spool_;
  std::string version_;
  TestsHandler onTests_;
  FatalHandler onFatal_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<HttpClient> control_;
  std::shared_ptr<HttpClient> poller_;
  std::shared_ptr<HttpClient> sender_;
  std::optional<Credential> credential_;
  std::vector<PluginSchema> plugins_;
  bool registered_ = false;
  bool stopped_ = false;

  boost::asio::steady_timer setupTimer_;  // enroll / register retries
  Backoff setupBackoff_;
  boost::asio::steady_timer heartbeatTimer_;
  std::chrono::nanoseconds heartbeatEvery_;
  bool heartbeatInFlight_ = false;
  boost::asio::steady_timer pollTimer_;
  Backoff pollBackoff_;
  std::optional<std::int64_t> testsVersion_;  // none: ask for the current set at once
  boost::asio::steady_timer sendTimer_;
  Backoff sendBackoff_;
  bool sending_ = false;
  bool sendScheduled_ = false;
  std::size_t batchLimit_;
  // Per channel: the problem last logged, so an outage is logged once, not on every retry.
  std::string problems_[3];
};

// Named limits of the link.
inline constexpr std::chrono::seconds kLongPollWait{25};
inline constexpr std::chrono::seconds kLongPollSlack{15};  // beyond the wait, before the poll times out
inline constexpr std::chrono::seconds kRequestTimeout{30};
inline constexpr std::size_t kMaxBatchBytes = 4u * 1024 * 1024;  // half the server's body limit
inline constexpr std::chrono::milliseconds kSendLinger{100};     // gathers the results of one run

}  // namespace streamswarm::core

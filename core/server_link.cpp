#include "core/server_link.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/system_info.hpp"

#include <boost/beast/http/verb.hpp>

namespace streamswarm::core {
namespace http = boost::beast::http;

namespace {

const char* channelName(int channel) {
  constexpr const char* kNames[] = {"server link", "test updates", "results delivery"};
  return kNames[channel];
}

std::string secondsText(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

ServerLink::ServerLink(boost::asio::io_context& io, const AgentConfig& config, ResultSpool& spool, std::string version,
                       TestsHandler onTests, FatalHandler onFatal)
    : io_(io),
      config_(config),
      server_(*config.server),
      spool_(spool),
      version_(std::move(version)),
      onTests_(std::move(onTests)),
      onFatal_(std::move(onFatal)),
      setupTimer_(io),
      heartbeatTimer_(io),
      heartbeatEvery_(server_.heartbeat),
      pollTimer_(io),
      sendTimer_(io),
      batchLimit_(server_.batchSize) {
  if (server_.url.tls) tls_ = makeTlsContext(server_.caFile);
  credential_ = readCredential(server_.credentialFile());
  if (!credential_) enrollmentToken(config_);  // fails now, naming the keys, when there is none
  const auto userAgent = "streamswarm-agent/" + version_;
  control_ = std::make_shared<HttpClient>(io_, server_.url, tls_, userAgent);
  poller_ = std::make_shared<HttpClient>(io_, server_.url, tls_, userAgent);
  sender_ = std::make_shared<HttpClient>(io_, server_.url, tls_, userAgent);
}

void ServerLink::start(std::vector<PluginSchema> plugins) {
  plugins_ = std::move(plugins);
  if (credential_)
    registerAgent();
  else
    enroll();
}

void ServerLink::stop() {
  stopped_ = true;
  for (auto* timer : {&setupTimer_, &heartbeatTimer_, &pollTimer_, &sendTimer_}) timer->cancel();
  for (const auto& client : {control_, poller_, sender_}) client->close();
}

void ServerLink::fatal(const std::string& message) {
  stop();
  onFatal_(message);
}

std::string ServerLink::problemOf(const HttpResponse& r) const {
  if (r.transportFailed()) return r.error;
  return "HTTP " + std::to_string(r.status) + ": " + parseApiError(r.body).message;
}

void ServerLink::reachable(Channel channel, const std::string& problem) {
  const auto c = static_cast<int>(channel);
  auto& last = problems_[c];
  if (problem.empty()) {
    if (!last.empty()) logLine(LogLevel::kInfo, std::string(channelName(c)) + ": server reachable again");
    last.clear();
    return;
  }
  if (problem != last) {
    std::string note;
    if (channel == Channel::kResults)
      note = "; results stay in the spool (" + std::to_string(spool_.pendingCount()) + " pending)";
    logLine(LogLevel::kWarning, std::string(channelName(c)) + ": " + problem + note + "; retrying with back-off");
  }
  last = problem;
}

void ServerLink::retry(Backoff& backoff, boost::asio::steady_timer& timer, const char* what, const HttpResponse& r,
                       std::function<void()> again) {
  const auto delay = backoff.next();
  const auto channel = &timer == &pollTimer_ ? Channel::kPoll : Channel::kControl;
  reachable(channel, std::string(what) + ": " + problemOf(r));
  logLine(LogLevel::kDebug, std::string(what) + ": next attempt in " + secondsText(delay));
  timer.expires_after(delay);
  timer.async_wait([weak = weak_from_this(), again = std::move(again)](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && !self->stopped_) again();
  });
}

void ServerLink::enroll() {
  const auto token = enrollmentToken(config_);
  control_->request(
      http::verb::post, server_.url.basePath + "/api/v1/enroll", enrollBody(token, config_.name, config_.labels),
      kRequestTimeout, [self = shared_from_this()](HttpResponse r) {
        if (self->stopped_) return;
        if (r.transportFailed() || r.status >= 500)
          return self->retry(self->setupBackoff_, self->setupTimer_, "enrollment", r, [self] { self->enroll(); });
        const auto& s = self->server_;
        if (r.status != 200 && r.status != 201) {
          const char* key = s.enrollmentTokenFile ? "enrollment_token_file" : "enrollment_token";
          return self->fatal(self->config_.file.string() + ": [server] key '" + key +
                             "': the server refused the enrollment token (" + self->problemOf(r) +
                             "); it is used up, revoked, expired or mistyped: create a new one (streamswarm-server "
                             "token create) and set it here");
        }
        try {
          const auto e = parseEnrollment(r.body);
          writeCredential(s.credentialFile(), e.credential);
          self->credential_ = Credential{e.agentId, e.credential};
          logLine(LogLevel::kInfo, "enrolled with " + s.url.describe() + " as " + e.agentId +
                                       "; credential stored in " + s.credentialFile().string());
        } catch (const std::exception& e) {
          return self->fatal(std::string("enrollment with ") + s.url.describe() + " failed: " + e.what());
        }
        self->setupBackoff_.reset();
        self->registerAgent();
      });
}

void ServerLink::registerAgent() {
  for (const auto& client : {control_, poller_, sender_}) client->setBearer(credential_->secret);
  const auto body = registerBody(config_.name, version_, config_.labels, collectSystemInfo(), plugins_);
  control_->request(
      http::verb::post, agentTarget(server_.url, credential_->agentId, "register"), body, kRequestTimeout,
      [self = shared_from_this()](HttpResponse r) {
        if (self->stopped_) return;
        if (r.transportFailed() || r.status >= 500)
          return self->retry(self->setupBackoff_, self->setupTimer_, "registration", r,
                             [self] { self->registerAgent(); });
        if (r.status == 401 || r.status == 403)
          return self->fatal(self->server_.credentialFile().string() +
                             ": the server refused this agent's credential (" + self->problemOf(r) +
                             "); the agent was revoked or the server lost its database: remove the file and enroll "
                             "again with a new enrollment_token");
        if (r.status != 200)
          return self->fatal("the server rejected this agent's registration (" + self->problemOf(r) + ")");
        Registration registration;
        try {
          registration = parseRegistration(r.body);
        } catch (const std::exception& e) {
          logLine(LogLevel::kWarning, std::string("registration response: ") + e.what() + "; using defaults");
        }
        self->onRegistered(registration);
      });
}

void ServerLink::onRegistered(const Registration& registration) {
  registered_ = true;
  setupBackoff_.reset();
  reachable(Channel::kControl, "");
  if (registration.lastSeq && *registration.lastSeq > spool_.highestSeq()) {
    const auto n = spool_.resequenceAbove(*registration.lastSeq);
    logLine(LogLevel::kWarning, "the server holds results of this agent up to seq " +
                                    std::to_string(*registration.lastSeq) + ", beyond this spool (" +
                                    spool_.file().string() + " was replaced?); renumbered " + std::to_string(n) +
                                    " pending results after it");
  }
  std::string names;
  for (const auto& p : plugins_) names += (names.empty() ? "" : ", ") + p.name;
  logLine(LogLevel::kInfo, "registered with " + server_.url.describe() + " as " + credential_->agentId +
                               " (plugins: " + (names.empty() ? "none" : names) + "); " +
                               std::to_string(spool_.pendingCount()) + " results in the spool");
  heartbeat();
  poll();
  scheduleSend(std::chrono::milliseconds(0));
}

void ServerLink::heartbeat() {
  heartbeatTimer_.expires_after(heartbeatEvery_);
  heartbeatTimer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    self->heartbeat();
    if (self->heartbeatInFlight_) return;  // the last one is still out; one at a time
    self->heartbeatInFlight_ = true;
    self->control_->request(http::verb::post, agentTarget(self->server_.url, self->credential_->agentId, "heartbeat"),
                            heartbeatBody(self->spool_.pendingCount(), self->spool_.droppedTotal()), kRequestTimeout,
                            [self](HttpResponse r) {
                              self->heartbeatInFlight_ = false;
                              if (self->stopped_) return;
                              self->reachable(Channel::kControl,
                                              r.status == 200 ? std::string() : "heartbeat: " + self->problemOf(r));
                            });
  });
}

void ServerLink::poll() {
  poller_->request(
      http::verb::get, testsTarget(server_.url, credential_->agentId, testsVersion_, kLongPollWait), "",
      kLongPollWait + kLongPollSlack, [self = shared_from_this()](HttpResponse r) {
        if (self->stopped_) return;
        if (r.transportFailed() || r.status != 200) {
          // A restarted server may count versions from the start again: ask afresh.
          self->testsVersion_.reset();
          return self->retry(self->pollBackoff_, self->pollTimer_, "test set", r, [self] { self->poll(); });
        }
        TestSet set;
        try {
          set = parseTestSet(r.body);
        } catch (const std::exception& e) {
          HttpResponse unusable;
          unusable.error = std::string("unusable response: ") + e.what();
          return self->retry(self->pollBackoff_, self->pollTimer_, "test set", unusable, [self] { self->poll(); });
        }
        self->reachable(Channel::kPoll, "");
        self->pollBackoff_.reset();
        if (set.version != self->testsVersion_)
          logLine(LogLevel::kInfo, "test set version " + std::to_string(set.version) + ": " +
                                       std::to_string(set.tests.size()) + " test(s) for this agent");
        self->testsVersion_ = set.version;
        // Reconciling is idempotent: an unchanged set changes nothing.
        self->onTests_(set.tests);
        self->poll();
      });
}

void ServerLink::resultsAppended() {
  if (registered_) scheduleSend(kSendLinger);
}

void ServerLink::scheduleSend(std::chrono::milliseconds delay) {
  if (sending_ || sendScheduled_ || stopped_) return;
  sendScheduled_ = true;
  sendTimer_.expires_after(delay);
  sendTimer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->sendScheduled_ = false;
    if (!ec && !self->stopped_) self->sendBatch();
  });
}

void ServerLink::sendBatch() {
  if (sending_ || stopped_ || !registered_) return;
  std::vector<SpoolEntry> batch;
  try {
    batch = spool_.peek(batchLimit_, kMaxBatchBytes);
  } catch (const std::exception& e) {
    logLine(LogLevel::kError, std::string("results delivery: cannot read the spool: ") + e.what());
    scheduleSend(sendBackoff_.next());
    return;
  }
  if (batch.empty()) return;
  sending_ = true;
  const auto first = batch.front().seq;
  const auto last = batch.back().seq;
  const auto count = batch.size();
  sender_->request(http::verb::post, agentTarget(server_.url, credential_->agentId, "results"),
                   resultsBody(batch, spool_.droppedTotal()), kRequestTimeout,
                   [self = shared_from_this(), first, last, count](HttpResponse r) {
                     self->onBatchResponse(r, first, last, count);
                   });
}

void ServerLink::onBatchResponse(const HttpResponse& r, std::int64_t first, std::int64_t last, std::size_t count) {
  sending_ = false;
  if (stopped_) return;
  // Not about the results themselves: the server is down, overloaded, or does not accept this
  // agent right now. Nothing is dropped; the same batch goes again later.
  const bool later = r.transportFailed() || r.status >= 500 || r.status == 401 || r.status == 403 || r.status == 404 ||
                     r.status == 408 || r.status == 429 || (r.status != 200 && r.status < 400);
  if (later) {
    reachable(Channel::kResults, problemOf(r));
    scheduleSend(sendBackoff_.next());
    return;
  }
  if (r.status == 200) {
    try {
      const auto ack = parseBatchAck(r.body);
      if (ack.ackedSeq > last) {
        // Only a spool that started over from seq 1 sends seqs the server already has beyond.
        const auto n = spool_.resequenceAbove(ack.ackedSeq);
        logLine(LogLevel::kWarning, "results delivery: the server holds seqs of this agent up to " +
                                        std::to_string(ack.ackedSeq) + ", beyond this spool's; renumbered " +
                                        std::to_string(n) + " pending results after it");
      } else if (ack.ackedSeq >= first) {
        spool_.ack(ack.ackedSeq);
      } else {
        throw std::invalid_argument("acked_seq " + std::to_string(ack.ackedSeq) + " is below the batch sent (" +
                                    std::to_string(first) + ".." + std::to_string(last) + ")");
      }
    } catch (const std::exception& e) {
      reachable(Channel::kResults, std::string("unusable response: ") + e.what());
      scheduleSend(sendBackoff_.next());
      return;
    }
    reachable(Channel::kResults, "");
    sendBackoff_.reset();
    if (spool_.pendingCount() > 0) scheduleSend(std::chrono::milliseconds(0));
    return;
  }
  // A 4xx about the batch: one result the server will never take must not block the spool.
  const auto error = parseApiError(r.body);
  const auto why = "HTTP " + std::to_string(r.status) + ": " + error.message;
  if (error.seq && *error.seq >= first && *error.seq <= last) {
    refused(*error.seq, why);
  } else if (count > 1) {
    batchLimit_ = std::max<std::size_t>(1, count / 2);
    logLine(LogLevel::kWarning, "results delivery: the server refused a batch of " + std::to_string(count) + " (" +
                                    why + ") without naming a result; retrying in batches of " +
                                    std::to_string(batchLimit_) + " to find it");
  } else {
    refused(first, why);
  }
  scheduleSend(std::chrono::milliseconds(0));
}

void ServerLink::refused(std::int64_t seq, const std::string& why) {
  spool_.drop(seq);
  batchLimit_ = server_.batchSize;
  logLine(LogLevel::kError, "results delivery: the server refused result seq " + std::to_string(seq) + " (" + why +
                                "); dropped it from the spool (" + std::to_string(spool_.droppedTotal()) +
                                " dropped in all)");
}

}  // namespace streamswarm::core

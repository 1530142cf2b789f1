// Live updates for the dashboard as server-sent events: LiveEvents fans each event out to every
// connected browser (GET /api/v1/events), and PublishingStore — a Store that passes every call
// through — publishes an event whenever results are stored, a test changes or an agent comes,
// goes or is revoked, whoever made the change (agent API, scheduler, operator).
#pragma once

#include "server/auth/access.hpp"
#include "server/http/router.hpp"
#include "server/storage/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace streamswarm::server {

struct LiveEventsLimits {
  std::chrono::seconds pingEvery{15};  // a comment line, so a dead client is found by a failed write
  std::size_t maxQueued = 1024;        // events waiting for one slow client; beyond, it is dropped
  std::size_t maxSubscribers = 256;    // open event streams; beyond, 503
};

class LiveEvents {
 public:
  explicit LiveEvents(boost::asio::io_context& io, LiveEventsLimits limits = {});
  ~LiveEvents();

  // Sends `event: <type>\ndata: <json>` to every subscriber. Thread-safe.
  void publish(std::string_view type, const boost::json::object& data);

  // A new subscriber's stream, which starts with a `hello` event; none when there are too many.
  std::shared_ptr<ResponseStream> subscribe(const boost::json::object& hello);

  // Starts the pings.
  void start();
  // Ends every stream (server shutdown) and stops the pings.
  void shutdown();

  std::size_t subscribers();

  // GET /api/v1/events for any signed-in role.
  void addRoutes(Router& router, Access& access);

 private:
  class Subscriber;
  void broadcast(const std::string& chunk);
  void schedulePing();

  LiveEventsLimits limits_;
  boost::asio::steady_timer pingTimer_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
  bool stopped_ = false;
};

// Formats one server-sent event.
std::string formatEvent(std::string_view type, const boost::json::object& data);

class PublishingStore final : public Store {
 public:
  PublishingStore(Store& inner, LiveEvents& events) : inner_(inner), events_(events) {}

  void createToken(const TokenRecord& token) override { inner_.createToken(token); }
  std::optional<TokenRecord> findToken(const std::string& id) override { return inner_.findToken(id); }
  std::vector<TokenRecord> listTokens(TokenKind kind) override { return inner_.listTokens(kind); }
  bool revokeToken(const std::string& id) override { return inner_.revokeToken(id); }
  bool consumeEnrollmentToken(const std::string& id, TimeNs now) override {
    return inner_.consumeEnrollmentToken(id, now);
  }

  void createAgent(const AgentRecord& agent) override;
  std::optional<AgentRecord> findAgent(const std::string& id) override { return inner_.findAgent(id); }
  std::vector<AgentRecord> listAgents() override { return inner_.listAgents(); }
  void updateRegistration(const std::string& id, const std::string& name, const std::vector<std::string>& labels,
                          const std::string& systemJson, const std::string& pluginsJson, const std::string& version,
                          TimeNs now) override;
  void touchAgent(const std::string& id, TimeNs now) override;
  std::vector<std::string> markOffline(TimeNs cutoff) override;
  bool revokeAgent(const std::string& id) override;

  void createTest(const TestRecord& test) override;
  std::optional<TestRecord> findTest(const std::string& id) override { return inner_.findTest(id); }
  std::vector<TestRecord> listTests() override { return inner_.listTests(); }
  bool setTestState(const std::string& id, TestState state, TimeNs now) override;
  bool deleteTest(const std::string& id) override;

  IngestOutcome ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                       std::int64_t droppedByAgent) override;
  std::vector<ResultRecord> queryResults(const ResultQuery& query) override { return inner_.queryResults(query); }
  std::size_t countResults(const ResultQuery& query) override { return inner_.countResults(query); }

  bool createUser(const UserRecord& user) override { return inner_.createUser(user); }
  std::optional<UserRecord> findUser(const std::string& id) override { return inner_.findUser(id); }
  std::optional<UserRecord> findUserByName(const std::string& username) override {
    return inner_.findUserByName(username);
  }
  std::vector<UserRecord> listUsers() override { return inner_.listUsers(); }
  bool updateUser(const UserRecord& user) override { return inner_.updateUser(user); }
  bool deleteUser(const std::string& id) override { return inner_.deleteUser(id); }
  void createSession(const SessionRecord& session) override { inner_.createSession(session); }
  std::optional<SessionRecord> findSession(const std::string& id) override { return inner_.findSession(id); }
  void touchSession(const std::string& id, TimeNs lastSeen) override { inner_.touchSession(id, lastSeen); }
  bool deleteSession(const std::string& id) override { return inner_.deleteSession(id); }
  std::size_t deleteUserSessions(const std::string& userId, const std::string& keep) override {
    return inner_.deleteUserSessions(userId, keep);
  }
  std::size_t deleteExpiredSessions(TimeNs now, TimeNs idleNs) override {
    return inner_.deleteExpiredSessions(now, idleNs);
  }

  void forEachResult(const ResultQuery& query, const std::function<bool(ResultRecord&)>& visit) override {
    inner_.forEachResult(query, visit);
  }
  std::optional<SeriesData> querySeries(const SeriesQuery& query) override { return inner_.querySeries(query); }
  std::optional<TestSeriesCatalog> describeTestSeries(const std::string& testId) override {
    return inner_.describeTestSeries(testId);
  }
  std::unique_ptr<RollupPass> collectRollups(std::size_t maxRows) override { return inner_.collectRollups(maxRows); }
  std::size_t applyRollups(const RollupPass& pass) override { return inner_.applyRollups(pass); }
  std::size_t rollupBacklog() override { return inner_.rollupBacklog(); }
  std::chrono::steady_clock::duration writeIdleFor() override { return inner_.writeIdleFor(); }

 private:
  void agentChanged(const std::string& id, bool online);

  Store& inner_;
  LiveEvents& events_;
  std::mutex mutex_;
  std::set<std::string> online_;  // agents announced online since this server started
};

}  // namespace streamswarm::server

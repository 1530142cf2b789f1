#pragma once

#include "server/storage/records.hpp"
#include "server/storage/series_records.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::server {

// Storage failures (the database is unreachable, corrupt, full). Callers turn them into 5xx.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a store read for one pass of rolling up results (Store::collectRollups); only the store that
// made it knows what is inside.
class RollupPass {
 public:
  virtual ~RollupPass() = default;
  virtual std::size_t rows() const = 0;  // results it moves past (a store may count deleted ones); 0: nothing new
  virtual bool more() const = 0;         // it stopped at a limit: more results are waiting
};

// Everything the server keeps. SQLite by default; PostgreSQL later, behind the same interface.
// Implementations are safe to call from several threads at once.
class Store {
 public:
  virtual ~Store() = default;

  // Tokens (enrollment and admin).
  virtual void createToken(const TokenRecord& token) = 0;
  virtual std::optional<TokenRecord> findToken(const std::string& id) = 0;
  virtual std::vector<TokenRecord> listTokens(TokenKind kind) = 0;
  virtual bool revokeToken(const std::string& id) = 0;  // false: no such token
  // Atomically takes one use of an enrollment token; false when it is revoked, expired or used up.
  virtual bool consumeEnrollmentToken(const std::string& id, TimeNs now) = 0;

  // Agents.
  virtual void createAgent(const AgentRecord& agent) = 0;
  virtual std::optional<AgentRecord> findAgent(const std::string& id) = 0;
  virtual std::vector<AgentRecord> listAgents() = 0;
  virtual void updateRegistration(const std::string& id, const std::string& name,
                                  const std::vector<std::string>& labels, const std::string& systemJson,
                                  const std::string& pluginsJson, const std::string& version, TimeNs now) = 0;
  virtual void touchAgent(const std::string& id, TimeNs now) = 0;  // last_seen = now, online
  // Marks agents not seen since `cutoff` offline; returns their ids.
  virtual std::vector<std::string> markOffline(TimeNs cutoff) = 0;
  virtual bool revokeAgent(const std::string& id) = 0;

  // Tests.
  virtual void createTest(const TestRecord& test) = 0;
  virtual std::optional<TestRecord> findTest(const std::string& id) = 0;
  virtual std::vector<TestRecord> listTests() = 0;
  virtual bool setTestState(const std::string& id, TestState state, TimeNs now) = 0;
  virtual bool deleteTest(const std::string& id) = 0;  // and its results

  // Results. Stores the batch in one transaction; results whose seq is not above the agent's
  // last stored seq are skipped as duplicates, so a retried batch is stored once.
  virtual IngestOutcome ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                               std::int64_t droppedByAgent) = 0;
  virtual std::vector<ResultRecord> queryResults(const ResultQuery& query) = 0;
  virtual std::size_t countResults(const ResultQuery& query) = 0;

  // Dashboard users and their sessions.
  virtual bool createUser(const UserRecord& user) = 0;  // false: the user name is taken
  virtual std::optional<UserRecord> findUser(const std::string& id) = 0;
  virtual std::optional<UserRecord> findUserByName(const std::string& username) = 0;
  virtual std::vector<UserRecord> listUsers() = 0;
  virtual bool updateUser(const UserRecord& user) = 0;  // role, password, disabled; false: no such user
  virtual bool deleteUser(const std::string& id) = 0;   // and its sessions
  virtual void createSession(const SessionRecord& session) = 0;
  virtual std::optional<SessionRecord> findSession(const std::string& id) = 0;
  virtual void touchSession(const std::string& id, TimeNs lastSeen) = 0;
  virtual bool deleteSession(const std::string& id) = 0;
  // Ends every session of a user but `keep` (e.g. after a password change); returns how many.
  virtual std::size_t deleteUserSessions(const std::string& userId, const std::string& keep) = 0;
  virtual std::size_t deleteExpiredSessions(TimeNs now, TimeNs idleNs) = 0;

  // ---- Series: charts and exports of a test's results ----
  // The results queryResults would return, handed to `visit` one at a time until it returns
  // false (it may move from the record): an export never holds them all.
  virtual void forEachResult(const ResultQuery& query, const std::function<bool(ResultRecord&)>& visit) = 0;
  // One metric of a test over time, per (agent, target), in at most query.points buckets of
  // count/min/avg/max (the raw samples when the range holds no more than that); none when the
  // test does not exist.
  virtual std::optional<SeriesData> querySeries(const SeriesQuery& query) = 0;
  // The metrics and series stored for a test; none when it does not exist.
  virtual std::optional<TestSeriesCatalog> describeTestSeries(const std::string& testId) = 0;
  // Rolling the results stored since the last pass into the aggregates querySeries reads (which
  // reads the results not rolled up yet raw, so its answers never lag), in two steps a caller may
  // run on different threads: RollupWorker reads at a low CPU priority and writes at the normal
  // one, so a starved reader never holds the write lock. collectRollups reads up to `maxRows`
  // results on a read snapshot; applyRollups writes that in one short transaction and returns the
  // results it covered, or 0 when results were deleted since (collect again). Ingest waits for
  // neither.
  virtual std::unique_ptr<RollupPass> collectRollups(std::size_t maxRows) = 0;
  virtual std::size_t applyRollups(const RollupPass& pass) = 0;
  // Both steps on this thread (a few attempts when deletions get in the way); 0 when caught up.
  std::size_t rollUpResults(std::size_t maxRows) {
    constexpr int kAttempts = 3;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      const auto pass = collectRollups(maxRows);
      if (pass->rows() == 0) return 0;
      if (const auto applied = applyRollups(*pass)) return applied;
    }
    return 0;
  }
  // Results stored and not rolled up yet.
  virtual std::size_t rollupBacklog() = 0;
  // How long no write has been running or waiting to run (zero while one is): background writers
  // (RollupWorker) wait for a quiet moment, so ingest goes first.
  virtual std::chrono::steady_clock::duration writeIdleFor() = 0;
};

// Opens (creating and migrating as needed) the SQLite database at `path`.
std::unique_ptr<Store> openSqliteStore(const std::string& path);

}  // namespace streamswarm::server

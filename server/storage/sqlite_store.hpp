// The SQLite implementation of Store: one write connection behind a mutex (SQLite admits one
// writer at a time anyway) and a pool of read-only connections, all in WAL mode.
#pragma once

#include "server/storage/name_dictionary.hpp"
#include "server/storage/reader_pool.hpp"
#include "server/storage/sqlite_connection.hpp"
#include "server/storage/store.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::server {

struct SqliteStoreOptions {
  // Read connections: more than the server's I/O threads buys nothing. With 0 (and always for a
  // ":memory:" database, which is private to one connection) reads share the write connection.
  std::size_t readConnections = 4;
  // deleteTest removes a test's results this many per transaction, letting ingest and heartbeats
  // take the write lock in between (measured ~300k rows/s: ~30 ms per chunk, where deleting a
  // million results at once would hold every writer off for seconds).
  std::size_t deleteChunkRows = 10'000;
  // A rollup pass stops reading results once they make this many rows to write (bucket upserts,
  // new series): it bounds the pass's write transaction (~5 ms here) however sparse the series,
  // where 20,000 results of one-off targets would make a million upserts.
  std::size_t rollupPassWrites = 5'000;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path, SqliteStoreOptions options = {});
  ~SqliteStore() override;

  void createToken(const TokenRecord& token) override;
  std::optional<TokenRecord> findToken(const std::string& id) override;
  std::vector<TokenRecord> listTokens(TokenKind kind) override;
  bool revokeToken(const std::string& id) override;
  bool consumeEnrollmentToken(const std::string& id, TimeNs now) override;

  void createAgent(const AgentRecord& agent) override;
  std::optional<AgentRecord> findAgent(const std::string& id) override;
  std::vector<AgentRecord> listAgents() override;
  void updateRegistration(const std::string& id, const std::string& name, const std::vector<std::string>& labels,
                          const std::string& systemJson, const std::string& pluginsJson, const std::string& version,
                          TimeNs now) override;
  void touchAgent(const std::string& id, TimeNs now) override;
  std::vector<std::string> markOffline(TimeNs cutoff) override;
  bool revokeAgent(const std::string& id) override;

  void createTest(const TestRecord& test) override;
  std::optional<TestRecord> findTest(const std::string& id) override;
  std::vector<TestRecord> listTests() override;
  bool setTestState(const std::string& id, TestState state, TimeNs now) override;
  bool deleteTest(const std::string& id) override;

  IngestOutcome ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                       std::int64_t droppedByAgent) override;
  std::vector<ResultRecord> queryResults(const ResultQuery& query) override;
  std::size_t countResults(const ResultQuery& query) override;

  bool createUser(const UserRecord& user) override;
  std::optional<UserRecord> findUser(const std::string& id) override;
  std::optional<UserRecord> findUserByName(const std::string& username) override;
  std::vector<UserRecord> listUsers() override;
  bool updateUser(const UserRecord& user) override;
  bool deleteUser(const std::string& id) override;
  void createSession(const SessionRecord& session) override;
  std::optional<SessionRecord> findSession(const std::string& id) override;
  void touchSession(const std::string& id, TimeNs lastSeen) override;
  bool deleteSession(const std::string& id) override;
  std::size_t deleteUserSessions(const std::string& userId, const std::string& keep) override;
  std::size_t deleteExpiredSessions(TimeNs now, TimeNs idleNs) override;
  void forEachResult(const ResultQuery& query, const std::function<bool(ResultRecord&)>& visit) override;
  std::optional<SeriesData> querySeries(const SeriesQuery& query) override;
  std::optional<TestSeriesCatalog> describeTestSeries(const std::string& testId) override;
  std::unique_ptr<RollupPass> collectRollups(std::size_t maxRows) override;
  std::size_t applyRollups(const RollupPass& pass) override;
  std::size_t rollupBacklog() override;
  std::chrono::steady_clock::duration writeIdleFor() override;

 private:
  // Runs `body` on the write connection, under the write lock.
  template <class F>
  auto write(const char* what, const std::string& subject, F&& body, bool background = false);
  // Runs `body` on a read connection (the write connection when there is no pool).
  template <class F>
  auto read(const char* what, const std::string& subject, F&& body);

  // Calls `row` for each stored result matching the query, in time order, until it returns false.
  void scanResults(sqlite::Connection& c, const ResultQuery& query, bool wantRows,
                   const std::function<bool(sqlite::Cursor&, std::optional<double> metricValue)>& row);

  std::string path_;
  SqliteStoreOptions options_;

  std::mutex writeMutex_;
  std::atomic<int> writesActive_{0};           // running or waiting for writeMutex_
  std::atomic<std::int64_t> lastWriteEnd_{0};  // steady_clock ticks
  std::unique_ptr<sqlite::Connection> writer_;
  std::vector<std::uint8_t> blob_;  // guarded by writeMutex_: ingest's packing buffer, reused

  std::unique_ptr<sqlite::ReaderPool> readers_;
  sqlite::NameDictionary metricNames_{"metric_names"};
  sqlite::NameDictionary pluginNames_{"plugin_names"};
  // Rows refer to agents and tests by rid; the API by text id.
  sqlite::NameDictionary agentIds_{"agents", "rid", "id"};
  sqlite::NameDictionary testIds_{"tests", "rid", "id"};
};

}  // namespace streamswarm::server

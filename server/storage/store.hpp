#pragma once

#include "server/storage/records.hpp"

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
};

// Opens (creating and migrating as needed) the SQLite database at `path`.
std::unique_ptr<Store> openSqliteStore(const std::string& path);

}  // namespace streamswarm::server

#include "server/storage/sqlite_store.hpp"

#include "server/storage/metric_blob.hpp"
#include "server/storage/sqlite_schema.hpp"
#include "server/storage/sqlite_series.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

namespace streamswarm::server {

namespace {

namespace json = boost::json;
using sqlite::Connection;
using sqlite::Cursor;
using sqlite::Transaction;
using enum sqlite::ResultColumn;

constexpr auto kDeleteChunkPause = std::chrono::milliseconds(1);

// List and map fields are stored as JSON text: they are read and written whole, never queried.
std::string toJsonArray(const std::vector<std::string>& values) {
  json::array a;
  for (const auto& v : values) a.emplace_back(v);
  return json::serialize(a);
}

std::string toJsonObject(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json::object o;
  for (const auto& [k, v] : pairs) o[k] = v;
  return json::serialize(o);
}

json::value parseColumn(const std::string& text, const char* column) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) throw StoreError(std::string("column ") + column + " holds invalid JSON: " + ec.message());
  return v;
}

std::vector<std::string> fromJsonArray(const std::string& text, const char* column) {
  const json::value v = parseColumn(text, column);
  std::vector<std::string> out;
  if (!v.is_array()) throw StoreError(std::string("column ") + column + " holds no JSON array");
  for (const auto& item : v.get_array()) {
    if (!item.is_string()) throw StoreError(std::string("column ") + column + " holds a non-string item");
    out.emplace_back(item.get_string());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> fromJsonObject(const std::string& text, const char* column) {
  const json::value v = parseColumn(text, column);
  std::vector<std::pair<std::string, std::string>> out;
  if (!v.is_object()) throw StoreError(std::string("column ") + column + " holds no JSON object");
  for (const auto& [k, item] : v.get_object()) {
    if (!item.is_string()) throw StoreError(std::string("column ") + column + " holds a non-string value");
    out.emplace_back(std::string(k), std::string(item.get_string()));
  }
  return out;
}

const char* kindName(TokenKind kind) {
  return kind == TokenKind::kAdmin ? "admin" : "enrollment";
}

// Column lists, in the order the *From functions read them.
#define SS_TOKEN_COLUMNS "id, kind, secret_hash, name, created_at, expires_at, uses_left, revoked, role"
#define SS_USER_COLUMNS "id, username, password_hash, role, created_at, password_changed_at, disabled"
#define SS_SESSION_COLUMNS "id, secret_hash, user_id, csrf_token, created_at, last_seen, expires_at"
#define SS_AGENT_COLUMNS                                                                                   \
  "id, credential_hash, name, labels, system, plugins, version, enrolled_at, last_seen, online, revoked, " \
  "last_seq, dropped_total"
#define SS_TEST_COLUMNS                                                                                         \
  "id, name, plugin, targets, options, agent_ids, labels, start_at, duration_ns, interval_ns, recur_every_ns, " \
  "state, created_at, updated_at, jitter_ns"

TokenRecord tokenFrom(const Cursor& c) {
  TokenRecord t;
  t.id = c.text(0);
  t.kind = c.text(1) == "admin" ? TokenKind::kAdmin : TokenKind::kEnrollment;
  t.secretHash = c.text(2);
  t.name = c.text(3);
  t.createdAt = c.integer(4);
  t.expiresAt = c.optInteger(5);
  t.usesLeft = c.optInteger(6);
  t.revoked = c.integer(7) != 0;
  t.role = c.text(8);
  return t;
}

UserRecord userFrom(const Cursor& c) {
  UserRecord u;
  u.id = c.text(0);
  u.username = c.text(1);
  u.passwordHash = c.text(2);
  u.role = c.text(3);
  u.createdAt = c.integer(4);
  u.passwordChangedAt = c.integer(5);
  u.disabled = c.integer(6) != 0;
  return u;
}

SessionRecord sessionFrom(const Cursor& c) {
  SessionRecord s;
  s.id = c.text(0);
  s.secretHash = c.text(1);
  s.userId = c.text(2);
  s.csrfToken = c.text(3);
  s.createdAt = c.integer(4);
  s.lastSeen = c.integer(5);
  s.expiresAt = c.integer(6);
  return s;
}

AgentRecord agentFrom(const Cursor& c) {
  AgentRecord a;
  a.id = c.text(0);
  a.credentialHash = c.text(1);
  a.name = c.text(2);
  a.labels = fromJsonArray(c.text(3), "agents.labels");
  a.systemJson = c.text(4);
  a.pluginsJson = c.text(5);
  a.version = c.text(6);
  a.enrolledAt = c.integer(7);
  a.lastSeen = c.optInteger(8);
  a.online = c.integer(9) != 0;
  a.revoked = c.integer(10) != 0;
  a.lastSeq = c.integer(11);
  a.droppedTotal = c.integer(12);
  return a;
}

TestRecord testFrom(const Cursor& c) {
  TestRecord t;
  t.id = c.text(0);
  t.name = c.text(1);
  t.plugin = c.text(2);
  t.targets = fromJsonArray(c.text(3), "tests.targets");
  t.options = fromJsonObject(c.text(4), "tests.options");
  t.agentIds = fromJsonArray(c.text(5), "tests.agent_ids");
  t.labels = fromJsonArray(c.text(6), "tests.labels");
  t.startAt = c.integer(7);
  t.durationNs = c.optInteger(8);
  t.intervalNs = c.integer(9);
  t.recurEveryNs = c.optInteger(10);
  const std::string state = c.text(11);
  const auto parsed = testStateFromName(state);
  if (!parsed) throw StoreError("tests.state holds unknown state " + state);
  t.state = *parsed;
  t.createdAt = c.integer(12);
  t.updatedAt = c.integer(13);
  t.jitterNs = c.integer(14);
  return t;
}

}  // namespace

template <class F>
auto SqliteStore::write(const char* what, const std::string& subject, F&& body, bool background) {
  // Counted from before the lock: a write waiting for it counts as running (writeIdleFor). A
  // background write (the rollups' own) does not end a quiet moment.
  struct Activity {
    SqliteStore& store;
    bool background;
    Activity(SqliteStore& s, bool b) : store(s), background(b) {
      store.writesActive_.fetch_add(1, std::memory_order_relaxed);
    }
    ~Activity() {
      if (!background)
        store.lastWriteEnd_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                                  std::memory_order_relaxed);
      store.writesActive_.fetch_sub(1, std::memory_order_release);
    }
  } activity(*this, background);
  std::lock_guard lock(writeMutex_);
  try {
    return body(*writer_);
  } catch (const StoreError& e) {
    throw StoreError(std::string(what) + (subject.empty() ? "" : " " + subject) + " (" + path_ + "): " + e.what());
  }
}

template <class F>
auto SqliteStore::read(const char* what, const std::string& subject, F&& body) {
  try {
    if (!readers_) {
      std::lock_guard lock(writeMutex_);
      return body(*writer_);
    }
    auto lease = readers_->acquire();
    return body(*lease);
  } catch (const StoreError& e) {
    throw StoreError(std::string(what) + (subject.empty() ? "" : " " + subject) + " (" + path_ + "): " + e.what());
  }
}

SqliteStore::SqliteStore(const std::string& path, SqliteStoreOptions options) : path_(path), options_(options) {
  if (options_.deleteChunkRows == 0) throw StoreError("open store " + path + ": deleteChunkRows must be positive");
  if (options_.rollupPassWrites == 0) throw StoreError("open store " + path + ": rollupPassWrites must be positive");
  try {
    writer_ = std::make_unique<Connection>(path, Connection::Mode::kReadWrite);
    sqlite::migrate(*writer_);
    for (auto* names : {&metricNames_, &pluginNames_, &agentIds_, &testIds_}) names->load(*writer_);
    // A memory (or empty-named, temporary) database is private to its connection: no readers.
    const bool privateDb = path == ":memory:" || path.starts_with("file::memory:") || path.empty();
    if (options.readConnections > 0 && !privateDb)
      readers_ = std::make_unique<sqlite::ReaderPool>(path, options.readConnections);
  } catch (const StoreError& e) {
    const std::string what = e.what();
    // Connection and migration errors name the path already.
    throw StoreError(what.find(path) == std::string::npos ? "open store " + path + ": " + what : what);
  }
}

SqliteStore::~SqliteStore() = default;

// ---- Tokens -------------------------------------------------------------------------------------

void SqliteStore::createToken(const TokenRecord& token) {
  write("create token", token.id, [&](Connection& c) {
    Cursor q(c.statement("INSERT INTO tokens (" SS_TOKEN_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    q.bindText(1, token.id)
        .bindText(2, kindName(token.kind))
        .bindText(3, token.secretHash)
        .bindText(4, token.name)
        .bindInt(5, token.createdAt)
        .bindOptInt(6, token.expiresAt)
        .bindOptInt(7, token.usesLeft)
        .bindInt(8, token.revoked ? 1 : 0)
        .bindText(9, token.role)
        .run();
  });
}

std::optional<TokenRecord> SqliteStore::findToken(const std::string& id) {
  return read("find token", id, [&](Connection& c) -> std::optional<TokenRecord> {
    Cursor q(c.statement("SELECT " SS_TOKEN_COLUMNS " FROM tokens WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return tokenFrom(q);
  });
}

std::vector<TokenRecord> SqliteStore::listTokens(TokenKind kind) {
  return read("list tokens", kindName(kind), [&](Connection& c) {
    Cursor q(c.statement("SELECT " SS_TOKEN_COLUMNS " FROM tokens WHERE kind = ?1 ORDER BY created_at, id"));
    q.bindText(1, kindName(kind));
    std::vector<TokenRecord> out;
    while (q.next()) out.push_back(tokenFrom(q));
    return out;
  });
}

bool SqliteStore::revokeToken(const std::string& id) {
  return write("revoke token", id, [&](Connection& c) {
    Cursor q(c.statement("UPDATE tokens SET revoked = 1 WHERE id = ?1"));
    q.bindText(1, id).run();
    return c.changes() > 0;
  });
}

bool SqliteStore::consumeEnrollmentToken(const std::string& id, TimeNs now) {
  // One statement: the check and the decrement cannot be separated by another enrollment.
  return write("consume enrollment token", id, [&](Connection& c) {
    Cursor q(
        c.statement("UPDATE tokens SET uses_left = uses_left - 1 "
                    "WHERE id = ?1 AND kind = 'enrollment' AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?2) "
                    "AND (uses_left IS NULL OR uses_left > 0)"));
    q.bindText(1, id).bindInt(2, now).run();
    return c.changes() > 0;
  });
}

// ---- Users and sessions -------------------------------------------------------------------------

bool SqliteStore::createUser(const UserRecord& user) {
  return write("create user", user.username, [&](Connection& c) {
    // The unique user name decides: no window between a check and the insert.
    Cursor q(c.statement("INSERT INTO users (" SS_USER_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (username) DO NOTHING"));
    q.bindText(1, user.id)
        .bindText(2, user.username)
        .bindText(3, user.passwordHash)
        .bindText(4, user.role)
        .bindInt(5, user.createdAt)
        .bindInt(6, user.passwordChangedAt)
        .bindInt(7, user.disabled ? 1 : 0)
        .run();
    return c.changes() > 0;
  });
}

std::optional<UserRecord> SqliteStore::findUser(const std::string& id) {
  return read("find user", id, [&](Connection& c) -> std::optional<UserRecord> {
    Cursor q(c.statement("SELECT " SS_USER_COLUMNS " FROM users WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return userFrom(q);
  });
}

std::optional<UserRecord> SqliteStore::findUserByName(const std::string& username) {
  return read("find user", username, [&](Connection& c) -> std::optional<UserRecord> {
    Cursor q(c.statement("SELECT " SS_USER_COLUMNS " FROM users WHERE username = ?1"));
    q.bindText(1, username);
    if (!q.next()) return std::nullopt;
    return userFrom(q);
  });
}

std::vector<UserRecord> SqliteStore::listUsers() {
  return read("list users", "", [&](Connection& c) {
    Cursor q(c.statement("SELECT " SS_USER_COLUMNS " FROM users ORDER BY username"));
    std::vector<UserRecord> out;
    while (q.next()) out.push_back(userFrom(q));
    return out;
  });
}

bool SqliteStore::updateUser(const UserRecord& user) {
  return write("update user", user.id, [&](Connection& c) {
    Cursor q(c.statement(
        "UPDATE users SET password_hash = ?2, role = ?3, password_changed_at = ?4, disabled = ?5 WHERE id = ?1"));
    q.bindText(1, user.id)
        .bindText(2, user.passwordHash)
        .bindText(3, user.role)
        .bindInt(4, user.passwordChangedAt)
        .bindInt(5, user.disabled ? 1 : 0)
        .run();
    return c.changes() > 0;
  });
}

bool SqliteStore::deleteUser(const std::string& id) {
  return write("delete user", id, [&](Connection& c) {
    Cursor q(c.statement("DELETE FROM users WHERE id = ?1"));  // sessions go by ON DELETE CASCADE
    q.bindText(1, id).run();
    return c.changes() > 0;
  });
}

void SqliteStore::createSession(const SessionRecord& session) {
  write("create session", session.userId, [&](Connection& c) {
    Cursor q(c.statement("INSERT INTO sessions (" SS_SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    q.bindText(1, session.id)
        .bindText(2, session.secretHash)
        .bindText(3, session.userId)
        .bindText(4, session.csrfToken)
        .bindInt(5, session.createdAt)
        .bindInt(6, session.lastSeen)
        .bindInt(7, session.expiresAt)
        .run();
  });
}

std::optional<SessionRecord> SqliteStore::findSession(const std::string& id) {
  return read("find session", id, [&](Connection& c) -> std::optional<SessionRecord> {
    Cursor q(c.statement("SELECT " SS_SESSION_COLUMNS " FROM sessions WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return sessionFrom(q);
  });
}

void SqliteStore::touchSession(const std::string& id, TimeNs lastSeen) {
  write("touch session", id, [&](Connection& c) {
    Cursor q(c.statement("UPDATE sessions SET last_seen = max(last_seen, ?2) WHERE id = ?1"));
    q.bindText(1, id).bindInt(2, lastSeen).run();
  });
}

bool SqliteStore::deleteSession(const std::string& id) {
  return write("delete session", id, [&](Connection& c) {
    Cursor q(c.statement("DELETE FROM sessions WHERE id = ?1"));
    q.bindText(1, id).run();
    return c.changes() > 0;
  });
}

std::size_t SqliteStore::deleteUserSessions(const std::string& userId, const std::string& keep) {
  return write("delete sessions", userId, [&](Connection& c) {
    Cursor q(c.statement("DELETE FROM sessions WHERE user_id = ?1 AND id != ?2"));
    q.bindText(1, userId).bindText(2, keep).run();
    return static_cast<std::size_t>(c.changes());
  });
}

std::size_t SqliteStore::deleteExpiredSessions(TimeNs now, TimeNs idleNs) {
  return write("delete expired sessions", "", [&](Connection& c) {
    Cursor q(c.statement("DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen <= ?2"));
    q.bindInt(1, now).bindInt(2, now - idleNs).run();
    return static_cast<std::size_t>(c.changes());
  });
}

// ---- Agents -------------------------------------------------------------------------------------

void SqliteStore::createAgent(const AgentRecord& agent) {
  write("create agent", agent.id, [&](Connection& c) {
    Cursor q(c.statement("INSERT INTO agents (" SS_AGENT_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
    q.bindText(1, agent.id)
        .bindText(2, agent.credentialHash)
        .bindText(3, agent.name)
        .bindText(4, toJsonArray(agent.labels))
        .bindText(5, agent.systemJson)
        .bindText(6, agent.pluginsJson)
        .bindText(7, agent.version)
        .bindInt(8, agent.enrolledAt)
        .bindOptInt(9, agent.lastSeen)
        .bindInt(10, agent.online ? 1 : 0)
        .bindInt(11, agent.revoked ? 1 : 0)
        .bindInt(12, agent.lastSeq)
        .bindInt(13, agent.droppedTotal)
        .run();
  });
}

std::optional<AgentRecord> SqliteStore::findAgent(const std::string& id) {
  return read("find agent", id, [&](Connection& c) -> std::optional<AgentRecord> {
    Cursor q(c.statement("SELECT " SS_AGENT_COLUMNS " FROM agents WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return agentFrom(q);
  });
}

std::vector<AgentRecord> SqliteStore::listAgents() {
  return read("list agents", "", [&](Connection& c) {
    Cursor q(c.statement("SELECT " SS_AGENT_COLUMNS " FROM agents ORDER BY enrolled_at, rid"));
    std::vector<AgentRecord> out;
    while (q.next()) out.push_back(agentFrom(q));
    return out;
  });
}

void SqliteStore::updateRegistration(const std::string& id, const std::string& name,
                                     const std::vector<std::string>& labels, const std::string& systemJson,
                                     const std::string& pluginsJson, const std::string& version, TimeNs now) {
  write("update registration of agent", id, [&](Connection& c) {
    Cursor q(c.statement(
        "UPDATE agents SET name = ?2, labels = ?3, system = ?4, plugins = ?5, version = ?6, last_seen = ?7, "
        "online = 1 WHERE id = ?1"));
    q.bindText(1, id)
        .bindText(2, name)
        .bindText(3, toJsonArray(labels))
        .bindText(4, systemJson)
        .bindText(5, pluginsJson)
        .bindText(6, version)
        .bindInt(7, now)
        .run();
    if (c.changes() == 0) throw StoreError("no such agent");
  });
}

void SqliteStore::touchAgent(const std::string& id, TimeNs now) {
  write("touch agent", id, [&](Connection& c) {
    Cursor q(c.statement("UPDATE agents SET last_seen = ?2, online = 1 WHERE id = ?1"));
    q.bindText(1, id).bindInt(2, now).run();
    if (c.changes() == 0) throw StoreError("no such agent");
  });
}

std::vector<std::string> SqliteStore::markOffline(TimeNs cutoff) {
  return write("mark agents offline", "", [&](Connection& c) {
    Cursor q(c.statement(
        "UPDATE agents SET online = 0 WHERE online = 1 AND (last_seen IS NULL OR last_seen < ?1) RETURNING id"));
    q.bindInt(1, cutoff);
    std::vector<std::string> ids;
    while (q.next()) ids.push_back(q.text(0));
    std::sort(ids.begin(), ids.end());
    return ids;
  });
}

bool SqliteStore::revokeAgent(const std::string& id) {
  return write("revoke agent", id, [&](Connection& c) {
    Cursor q(c.statement("UPDATE agents SET revoked = 1, online = 0 WHERE id = ?1"));
    q.bindText(1, id).run();
    return c.changes() > 0;
  });
}

// ---- Tests --------------------------------------------------------------------------------------

void SqliteStore::createTest(const TestRecord& test) {
  write("create test", test.id, [&](Connection& c) {
    Cursor q(c.statement("INSERT INTO tests (" SS_TEST_COLUMNS
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
    q.bindText(1, test.id)
        .bindText(2, test.name)
        .bindText(3, test.plugin)
        .bindText(4, toJsonArray(test.targets))
        .bindText(5, toJsonObject(test.options))
        .bindText(6, toJsonArray(test.agentIds))
        .bindText(7, toJsonArray(test.labels))
        .bindInt(8, test.startAt)
        .bindOptInt(9, test.durationNs)
        .bindInt(10, test.intervalNs)
        .bindOptInt(11, test.recurEveryNs)
        .bindText(12, testStateName(test.state))
        .bindInt(13, test.createdAt)
        .bindInt(14, test.updatedAt)
        .bindInt(15, test.jitterNs)
        .run();
  });
}

std::optional<TestRecord> SqliteStore::findTest(const std::string& id) {
  return read("find test", id, [&](Connection& c) -> std::optional<TestRecord> {
    Cursor q(c.statement("SELECT " SS_TEST_COLUMNS " FROM tests WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return testFrom(q);
  });
}

std::vector<TestRecord> SqliteStore::listTests() {
  return read("list tests", "", [&](Connection& c) {
    Cursor q(c.statement("SELECT " SS_TEST_COLUMNS " FROM tests ORDER BY created_at, rid"));
    std::vector<TestRecord> out;
    while (q.next()) out.push_back(testFrom(q));
    return out;
  });
}

bool SqliteStore::setTestState(const std::string& id, TestState state, TimeNs now) {
  return write("set state of test", id, [&](Connection& c) {
    Cursor q(c.statement("UPDATE tests SET state = ?2, updated_at = ?3 WHERE id = ?1"));
    q.bindText(1, id).bindText(2, testStateName(state)).bindInt(3, now).run();
    return c.changes() > 0;
  });
}

bool SqliteStore::deleteTest(const std::string& id) {
  // The results go first, a chunk per transaction, releasing the write lock in between; then, in
  // one transaction, whatever arrived meanwhile and the test itself. Until then the test exists
  // and readers may see some of its results gone; after a crash half-way, deleting again finishes.
  const auto rid = read("delete test", id, [&](Connection& c) -> std::optional<std::int64_t> {
    Cursor q(c.statement("SELECT rid FROM tests WHERE id = ?1"));
    q.bindText(1, id);
    if (!q.next()) return std::nullopt;
    return q.integer(0);
  });
  if (!rid) return false;
  for (bool more = true; more;) {
    more = write("delete results of test", id, [&](Connection& c) {
      Transaction tx(c);
      Cursor q(c.statement("DELETE FROM results WHERE rowid IN (SELECT rowid FROM results WHERE test = ?1 LIMIT ?2)"));
      q.bindInt(1, *rid).bindInt(2, static_cast<std::int64_t>(options_.deleteChunkRows)).run();
      const auto deleted = static_cast<std::size_t>(c.changes());
      sqlite::noteResultsDeleted(c);
      tx.commit();
      return deleted == options_.deleteChunkRows;
    });
    // std::mutex is not fair: relocking at once would starve the writers queued behind us.
    if (more) std::this_thread::sleep_for(kDeleteChunkPause);
  }
  for (bool more = true; more;) {
    more = write("delete rollups of test", id, [&](Connection& c) {
      return sqlite::deleteRollupsOfTest(c, *rid, options_.deleteChunkRows) == options_.deleteChunkRows;
    });
    if (more) std::this_thread::sleep_for(kDeleteChunkPause);
  }
  return write("delete test", id, [&](Connection& c) {
    Transaction tx(c);
    {
      Cursor q(c.statement("DELETE FROM results WHERE test = ?1"));
      q.bindInt(1, *rid).run();
    }
    // The worker may have rolled up results that arrived while the chunks went.
    sqlite::deleteRollupsOfTest(c, *rid, std::nullopt);
    sqlite::noteResultsDeleted(c);
    bool deleted = false;
    {
      Cursor q(c.statement("DELETE FROM tests WHERE rid = ?1"));
      q.bindInt(1, *rid).run();
      deleted = c.changes() > 0;
    }
    tx.commit();
    testIds_.forget(id);
    return deleted;
  });
}

// ---- Results ------------------------------------------------------------------------------------

IngestOutcome SqliteStore::ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                                  std::int64_t droppedByAgent) {
  return write("ingest results of agent", agentId, [&](Connection& c) {
    // New dictionary names become visible to readers only once the rows using them are committed.
    struct PendingNames {
      SqliteStore& store;
      bool committed = false;
      ~PendingNames() {
        if (committed) return;
        store.metricNames_.discardPending();
        store.pluginNames_.discardPending();
      }
    } pending{*this};

    Transaction tx(c);
    std::int64_t agentRid = 0;
    std::int64_t lastSeq = 0;
    {
      Cursor q(c.statement("SELECT rid, last_seq FROM agents WHERE id = ?1"));
      q.bindText(1, agentId);
      if (!q.next()) throw StoreError("no such agent");
      agentRid = q.integer(0);
      lastSeq = q.integer(1);
    }

    IngestOutcome out;
    sqlite::Statement& insert = c.statement(sqlite::kInsertResultSql);
    for (const ResultRecord& r : batch) {
      if (r.seq <= lastSeq) {
        ++out.duplicates;
        continue;
      }
      std::optional<std::int64_t> testRid;
      if (r.testId) {
        testRid = testIds_.findForWrite(c, *r.testId);
        if (!testRid)
          throw StoreError("unknown test " + *r.testId + " (result seq " + std::to_string(r.seq) +
                           "); nothing of the batch was stored");
      }
      const std::int64_t pluginId = pluginNames_.idForWrite(c, r.plugin);
      // blob_ only grows; the packed bytes are its first `packed` ones.
      const std::size_t room = 1 + r.metrics.size() * kMaxPackedMetricBytes;
      if (blob_.size() < room) blob_.resize(room);
      std::uint8_t* end = blob_.data();
      *end++ = kMetricBlobFormat;
      for (std::size_t i = 0; i < r.metrics.size(); ++i)
        end = packMetric(end, static_cast<std::uint64_t>(metricNames_.idForWriteAt(c, i, r.metrics[i].first)),
                         r.metrics[i].second);
      const std::span<const std::uint8_t> packed(blob_.data(), static_cast<std::size_t>(end - blob_.data()));

      Cursor row(insert);
      row.bindInt(1, agentRid).bindInt(2, r.seq).bindOptInt(3, testRid).bindInt(4, pluginId);
      row.bindTextStatic(5, r.instance).bindTextStatic(6, r.target).bindInt(7, r.timestamp).bindBlobStatic(8, packed);
      if (r.documentJson)
        row.bindTextStatic(9, *r.documentJson);
      else
        row.bindNull(9);
      row.bindInt(10, r.documentSchema);
      if (!r.error.empty())
        row.bindTextStatic(11, r.error);
      else
        row.bindNull(11);
      row.run();
      lastSeq = r.seq;
      ++out.accepted;
    }
    {
      Cursor q(c.statement("UPDATE agents SET last_seq = ?2, dropped_total = max(dropped_total, ?3) WHERE rid = ?1"));
      q.bindInt(1, agentRid).bindInt(2, lastSeq).bindInt(3, droppedByAgent).run();
    }
    tx.commit();
    pending.committed = true;
    metricNames_.commitPending();
    pluginNames_.commitPending();
    out.ackedSeq = lastSeq;
    return out;
  });
}

void SqliteStore::scanResults(Connection& c, const ResultQuery& query, bool wantRows,
                              const std::function<bool(Cursor&, std::optional<double>)>& row) {
  // Resolve the text ids and the metric name first: one that was never stored matches nothing.
  // The test's rid is read, not cached: a reader's cached id -> rid could outlive a deleted test.
  std::optional<std::int64_t> testRid, agentRid, metricId;
  if (query.testId) {
    Cursor t(c.statement("SELECT rid FROM tests WHERE id = ?1"));
    t.bindText(1, *query.testId);
    if (!t.next()) return;
    testRid = t.integer(0);
  }
  if (query.agentId && !(agentRid = agentIds_.findId(c, *query.agentId))) return;
  if (query.metric && !(metricId = metricNames_.findId(c, *query.metric))) return;

  // Without a metric filter SQLite applies the limit (or counts); with one, the blob is decoded
  // here and the caller stops the scan.
  using Output = sqlite::ResultScanShape::Output;
  sqlite::ResultScanShape shape{
      .byTest = testRid.has_value(),
      .byAgent = agentRid.has_value(),
      .from = query.from.has_value(),
      .to = query.to.has_value(),
      .output = metricId ? Output::kAllRows : (wantRows ? Output::kRowsLimited : Output::kCount)};
  const std::string sql = sqlite::resultScanSql(shape);
  Cursor q(c.statement(sql));
  if (testRid) q.bindInt(1, *testRid);
  if (agentRid) q.bindInt(2, *agentRid);
  if (query.from) q.bindInt(3, *query.from);
  if (query.to) q.bindInt(4, *query.to);
  if (shape.output == Output::kRowsLimited)
    q.bindInt(5,
              static_cast<std::int64_t>(std::min<std::size_t>(query.limit, std::numeric_limits<std::int64_t>::max())));
  while (q.next()) {
    std::optional<double> value;
    if (metricId) {
      bool ok = true;
      value = findMetric(q.blob(kMetrics), static_cast<std::uint64_t>(*metricId), ok);
      if (!ok) throw StoreError("corrupt metrics of result seq " + std::to_string(q.integer(kSeq)));
      if (!value) continue;
    }
    if (!row(q, value)) return;
  }
}

void SqliteStore::forEachResult(const ResultQuery& query, const std::function<bool(ResultRecord&)>& visit) {
  read("query results", "", [&](Connection& c) {
    if (query.limit == 0) return;
    std::size_t visited = 0;
    ResultRecord r;  // reused: its strings keep their capacity from row to row
    scanResults(c, query, true, [&](Cursor& q, std::optional<double> metricValue) {
      r.agentId = agentIds_.nameOf(c, q.integer(kAgent));
      r.seq = q.integer(kSeq);
      r.testId.reset();
      if (!q.isNull(kTest)) r.testId = testIds_.nameOf(c, q.integer(kTest));
      r.plugin = pluginNames_.nameOf(c, q.integer(kPlugin));
      r.instance = q.text(kInstance);
      r.target = q.text(kTarget);
      r.timestamp = q.integer(kTs);
      r.metrics.clear();
      if (metricValue) {
        r.metrics.emplace_back(*query.metric, *metricValue);
      } else {
        MetricBlobReader reader(q.blob(kMetrics));
        for (PackedMetric m; reader.next(m);)
          r.metrics.emplace_back(metricNames_.nameOf(c, static_cast<std::int64_t>(m.id)), m.value);
        if (!reader.ok()) throw StoreError("corrupt metrics of result seq " + std::to_string(r.seq));
      }
      r.documentJson = q.optText(kDocument);
      r.documentSchema = static_cast<std::uint32_t>(q.integer(kDocumentSchema));
      r.error = q.text(kError);
      return visit(r) && ++visited < query.limit;
    });
  });
}

std::vector<ResultRecord> SqliteStore::queryResults(const ResultQuery& query) {
  std::vector<ResultRecord> out;
  forEachResult(query, [&](ResultRecord& r) {
    out.push_back(std::move(r));
    return true;
  });
  return out;
}

std::size_t SqliteStore::countResults(const ResultQuery& query) {
  return read("count results", "", [&](Connection& c) {
    std::size_t n = 0;
    scanResults(c, query, false, [&](Cursor& q, std::optional<double> metricValue) {
      if (metricValue)
        ++n;
      else
        n = static_cast<std::size_t>(q.integer(0));
      return true;
    });
    return n;
  });
}

// ---- Series -------------------------------------------------------------------------------------

std::optional<SeriesData> SqliteStore::querySeries(const SeriesQuery& query) {
  return read("query series of test", query.testId,
              [&](Connection& c) { return sqlite::querySeries(c, query, metricNames_, agentIds_); });
}

std::optional<TestSeriesCatalog> SqliteStore::describeTestSeries(const std::string& testId) {
  return read("describe series of test", testId,
              [&](Connection& c) { return sqlite::describeTestSeries(c, testId, metricNames_, agentIds_); });
}

std::unique_ptr<RollupPass> SqliteStore::collectRollups(std::size_t maxRows) {
  return read("roll up results", "", [&](Connection& c) {
    return std::make_unique<sqlite::RollupPass>(sqlite::collectRollups(c, maxRows, options_.rollupPassWrites));
  });
}

std::size_t SqliteStore::applyRollups(const RollupPass& pass) {
  const auto* mine = dynamic_cast<const sqlite::RollupPass*>(&pass);
  if (!mine) throw StoreError("apply rollups: the pass was not read by a SQLite store");
  if (mine->rows() == 0) return 0;
  return write(
      "roll up results", "",
      [&](Connection& c) { return sqlite::applyRollups(c, *mine) ? mine->rows() : std::size_t{0}; }, true);
}

std::chrono::steady_clock::duration SqliteStore::writeIdleFor() {
  if (writesActive_.load(std::memory_order_acquire) > 0) return {};
  const std::chrono::steady_clock::time_point end{
      std::chrono::steady_clock::duration(lastWriteEnd_.load(std::memory_order_relaxed))};
  return std::max(std::chrono::steady_clock::duration{}, std::chrono::steady_clock::now() - end);
}

std::size_t SqliteStore::rollupBacklog() {
  return read("count results not rolled up", "", [&](Connection& c) { return sqlite::rollupBacklog(c); });
}

std::unique_ptr<Store> openSqliteStore(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace streamswarm::server

#include "bench/ingest/raw_insert.hpp"

#include "server/storage/metric_blob.hpp"
#include "server/storage/sqlite_connection.hpp"
#include "server/storage/sqlite_schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::bench {

namespace {

// A result row as the store writes it, every name already an id, the metrics already packed.
struct PackedRow {
  std::int64_t agent;
  std::int64_t seq;
  std::optional<std::int64_t> test;
  std::int64_t plugin;
  const std::string* instance;
  const std::string* target;
  std::int64_t ts;
  std::vector<std::uint8_t> metrics;
  const std::string* document;
  std::int64_t documentSchema;
  const std::string* error;
};

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    throw std::runtime_error(std::string("raw insert: ") + what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const std::string& sql) {
  check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
}

class Db {
 public:
  explicit Db(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      throw std::runtime_error("raw insert: open " + path.string() + ": " + sqlite3_errmsg(db_));
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { check(db, sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr), sql); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::map<std::string, std::int64_t> ridsByTextId(sqlite3* db, const char* sql) {
  Stmt q(db, sql);
  std::map<std::string, std::int64_t> out;
  while (sqlite3_step(q.get()) == SQLITE_ROW)
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1)), sqlite3_column_int64(q.get(), 0));
  return out;
}

// Inserts the names into a dictionary table and returns name -> id.
std::map<std::string, std::int64_t> fillDictionary(sqlite3* db, const char* table, const std::set<std::string>& names) {
  const std::string insertSql = std::string("INSERT INTO ") + table + " (name) VALUES (?1)";
  Stmt insert(db, insertSql.c_str());
  std::map<std::string, std::int64_t> out;
  for (const auto& name : names) {
    sqlite3_bind_text(insert.get(), 1, name.c_str(), static_cast<int>(name.size()), SQLITE_STATIC);
    check(db, sqlite3_step(insert.get()), insertSql.c_str());
    sqlite3_reset(insert.get());
    out.emplace(name, sqlite3_last_insert_rowid(db));
  }
  return out;
}

}  // namespace

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void removeDatabase(const std::filesystem::path& dbPath) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dbPath.string() + suffix);
}

void registerWorkload(server::Store& store, std::span<const AgentBatch> batches) {
  std::set<std::string> agents, tests;
  for (const auto& b : batches) {
    agents.insert(b.agentId);
    for (const auto& r : b.results)
      if (r.testId) tests.insert(*r.testId);
  }
  for (const auto& id : agents) {
    server::AgentRecord a;
    a.id = id;
    a.credentialHash = std::string(64, '0');
    a.name = id;
    store.createAgent(a);
  }
  for (const auto& id : tests) {
    server::TestRecord t;
    t.id = id;
    t.name = id;
    t.plugin = "ping";
    t.intervalNs = 1'000'000'000;
    t.state = server::TestState::kRunning;
    store.createTest(t);
  }
}

InsertRate measureRawInsert(const std::filesystem::path& dbPath, std::span<const AgentBatch> batches) {
  removeDatabase(dbPath);
  {
    auto store = server::openSqliteStore(dbPath.string());  // the schema, by the store's migrations
    registerWorkload(*store, batches);
  }

  Db db(dbPath);
  exec(db.get(),
       "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
       "PRAGMA cache_size = -" +
           std::to_string(server::sqlite::kWriterCacheKiB));
  sqlite3_busy_timeout(db.get(), server::sqlite::kBusyTimeoutMs);

  // Untimed: ids for every name, every row packed.
  const auto agentRids = ridsByTextId(db.get(), "SELECT rid, id FROM agents");
  const auto testRids = ridsByTextId(db.get(), "SELECT rid, id FROM tests");
  std::set<std::string> pluginNames, metricNames;
  for (const auto& b : batches)
    for (const auto& r : b.results) {
      pluginNames.insert(r.plugin);
      for (const auto& m : r.metrics) metricNames.insert(m.first);
    }
  exec(db.get(), "BEGIN");
  const auto pluginIds = fillDictionary(db.get(), "plugin_names", pluginNames);
  const auto metricIds = fillDictionary(db.get(), "metric_names", metricNames);
  exec(db.get(), "COMMIT");

  std::vector<std::vector<PackedRow>> packed;
  std::size_t total = 0;
  for (const auto& b : batches) {
    auto& rows = packed.emplace_back();
    for (const auto& r : b.results) {
      PackedRow row{agentRids.at(b.agentId),
                    r.seq,
                    r.testId ? std::optional(testRids.at(*r.testId)) : std::nullopt,
                    pluginIds.at(r.plugin),
                    &r.instance,
                    &r.target,
                    r.timestamp,
                    {},
                    r.documentJson ? &*r.documentJson : nullptr,
                    r.documentSchema,
                    r.error.empty() ? nullptr : &r.error};
      server::beginMetricBlob(row.metrics);
      for (const auto& [name, value] : r.metrics)
        server::appendMetric(row.metrics, static_cast<std::uint64_t>(metricIds.at(name)), value);
      rows.push_back(std::move(row));
    }
    total += rows.size();
  }

  Stmt insert(db.get(), server::sqlite::kInsertResultSql);
  sqlite3_stmt* s = insert.get();
  const auto text = [&](int i, const std::string* v) {
    if (v)
      sqlite3_bind_text(s, i, v->data(), static_cast<int>(v->size()), SQLITE_STATIC);
    else
      sqlite3_bind_null(s, i);
  };
  const double cpuStart = threadCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& rows : packed) {
    exec(db.get(), "BEGIN IMMEDIATE");
    for (const PackedRow& row : rows) {
      sqlite3_bind_int64(s, 1, row.agent);
      sqlite3_bind_int64(s, 2, row.seq);
      if (row.test)
        sqlite3_bind_int64(s, 3, *row.test);
      else
        sqlite3_bind_null(s, 3);
      sqlite3_bind_int64(s, 4, row.plugin);
      text(5, row.instance);
      text(6, row.target);
      sqlite3_bind_int64(s, 7, row.ts);
      sqlite3_bind_blob(s, 8, row.metrics.data(), static_cast<int>(row.metrics.size()), SQLITE_STATIC);
      text(9, row.document);
      sqlite3_bind_int64(s, 10, row.documentSchema);
      text(11, row.error);
      check(db.get(), sqlite3_step(s), "insert result");
      sqlite3_reset(s);
    }
    exec(db.get(), "COMMIT");
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return InsertRate{total, elapsed.count(), threadCpuSeconds() - cpuStart};
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace streamswarm::bench

#include "server/storage/sqlite_schema.hpp"

#include "server/storage/store.hpp"

#include <array>
#include <chrono>
#include <string>

namespace streamswarm::server::sqlite {

namespace {

// Version 1. Text ids (ag-..., t-...) are for the API; rows refer to each other by INTEGER rids so
// that a result row stays narrow. AUTOINCREMENT: a deleted test's rid is never handed out again,
// so a cached id -> rid pair can never point at a different test.
//
// results: one row per result, its metrics packed in a BLOB (metric_blob.hpp) against the
// metric_names dictionary. No unique key: idempotency is agents.last_seq, checked and advanced in
// the ingest transaction, so rows append at the rowid's right edge. Two indexes, each paying one
// entry per result:
//   results_test_ts  (test, ts): results of a test over time; also finds a test's rows on delete.
//                    Partial: results of the agents' local config sections (test NULL) skip it.
//   results_agent_ts (agent, ts): results of an agent over time (local results have no test).
// A query with both uses one and filters by the other; the metric filter decodes the blob. Time
// ranges over all agents and tests are not indexed: no API view asks for them.
//
// Foreign keys: only results.test, the one parent that is ever deleted (a test is deleted with its
// results). Agents are revoked, never deleted, and dictionary names are never deleted, so a key on
// them would only cost a lookup per stored result.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('enrollment', 'admin')),
  secret_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  uses_left INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agents (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  credential_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  labels TEXT NOT NULL,
  system TEXT NOT NULL,
  plugins TEXT NOT NULL,
  version TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  last_seen INTEGER,
  online INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0,
  last_seq INTEGER NOT NULL DEFAULT 0,
  dropped_total INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tests (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  plugin TEXT NOT NULL,
  targets TEXT NOT NULL,
  options TEXT NOT NULL,
  agent_ids TEXT NOT NULL,
  labels TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  duration_ns INTEGER,
  interval_ns INTEGER NOT NULL,
  recur_every_ns INTEGER,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'stopped', 'failed')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  jitter_ns INTEGER NOT NULL
);

CREATE TABLE metric_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE plugin_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

CREATE TABLE results (
  agent INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  test INTEGER REFERENCES tests (rid),
  plugin INTEGER NOT NULL,
  instance TEXT NOT NULL,
  target TEXT NOT NULL,
  ts INTEGER NOT NULL,
  metrics BLOB NOT NULL,
  document TEXT,
  document_schema INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX results_test_ts ON results (test, ts) WHERE test IS NOT NULL;
CREATE INDEX results_agent_ts ON results (agent, ts);
)sql";

// Version 2: dashboard users and sessions; API tokens get a role (existing ones stay admin).
constexpr const char* kSchemaV2 = R"sql(
ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('viewer', 'operator', 'admin'));

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
)sql";

// Rollups of the results of tests, for charts (series_plan.hpp): rebuilt from results, never
// written by ingest. A background worker reads results above rollup_state.watermark (rowid) on a
// read snapshot and adds them in one short write transaction:
//   rollups        per (test, metric, width_s, bucket, agent, target): count, min, max, sum of the
//                  metric's finite values at each level a test keeps (rollupWidthsFor). The key
//                  leads with what a chart asks for (a test's metric at one level over a bucket
//                  range), so one range scan reads every series. bucket: start, Unix ns.
//   rollup_series  (test, agent, target, metric) that have results: a test's metrics and series
//                  without scanning its results.
//   rollup_state   watermark: every results row at or below this rowid is in the rollups.
//                  deletions: bumped by each transaction deleting results; the worker applies
//                  what it read only if no deletion happened since (its rows may be gone).
// results has no AUTOINCREMENT: after deleting its newest rows SQLite hands their rowids out
// again, so a deleting transaction also lowers the watermark to the highest rowid left.
constexpr const char* kSchemaRollups = R"sql(
CREATE TABLE rollups (
  test INTEGER NOT NULL,
  metric INTEGER NOT NULL,
  width_s INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  agent INTEGER NOT NULL,
  target TEXT NOT NULL,
  samples INTEGER NOT NULL,
  min_value REAL NOT NULL,
  max_value REAL NOT NULL,
  sum_value REAL NOT NULL,
  PRIMARY KEY (test, metric, width_s, bucket, agent, target)
) WITHOUT ROWID;

CREATE TABLE rollup_series (
  test INTEGER NOT NULL,
  agent INTEGER NOT NULL,
  target TEXT NOT NULL,
  metric INTEGER NOT NULL,
  PRIMARY KEY (test, agent, target, metric)
) WITHOUT ROWID;

CREATE TABLE rollup_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  watermark INTEGER NOT NULL,
  deletions INTEGER NOT NULL
);
INSERT INTO rollup_state (id, watermark, deletions) VALUES (1, 0, 0);
)sql";

constexpr std::array kMigrations{
    Migration{1, kSchemaV1},
    Migration{2, kSchemaV2},
    Migration{3, kSchemaRollups},
};

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latestSchemaVersion() {
  return kMigrations.back().version;
}

int schemaVersion(Connection& connection) {
  Cursor c(connection.statement("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  if (!c.next()) return 0;
  return static_cast<int>(c.integer(0));
}

void migrate(Connection& connection) {
  connection.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const auto refuseNewer = [&](int found) {
    if (found > latestSchemaVersion())
      throw StoreError("database " + connection.path() + " has schema version " + std::to_string(found) +
                       ", newer than version " + std::to_string(latestSchemaVersion()) +
                       ", the newest this server knows; run the newer streamswarm-server that wrote it");
  };
  refuseNewer(schemaVersion(connection));
  for (const Migration& m : kMigrations) {
    if (schemaVersion(connection) >= m.version) continue;
    Transaction tx(connection);
    // Read again under the write lock: another process may have migrated in the meantime.
    const int current = schemaVersion(connection);
    refuseNewer(current);
    if (current >= m.version) continue;
    try {
      connection.exec(m.sql);
    } catch (const StoreError& e) {
      throw StoreError("migrate " + connection.path() + " to schema version " + std::to_string(m.version) + ": " +
                       e.what());
    }
    {
      Cursor record(connection.statement("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"));
      record.bindInt(1, m.version).bindInt(2, nowNs()).run();
    }
    tx.commit();
  }
}

std::string resultScanSql(const ResultScanShape& shape) {
  using Output = ResultScanShape::Output;
  std::string sql = shape.output == Output::kCount
                        ? "SELECT count(*) FROM results r WHERE 1"
                        : "SELECT r.agent, r.seq, r.test, r.plugin, r.instance, r.target, r.ts, r.metrics, r.document, "
                          "r.document_schema, r.error FROM results r WHERE 1";
  if (shape.byTest) sql += " AND r.test = ?1";
  if (shape.byAgent) sql += " AND r.agent = ?2";
  if (shape.from) sql += " AND r.ts >= ?3";
  if (shape.to) sql += " AND r.ts < ?4";
  if (shape.output != Output::kCount) sql += " ORDER BY r.ts, r.rowid";
  if (shape.output == Output::kRowsLimited) sql += " LIMIT ?5";
  return sql;
}

}  // namespace streamswarm::server::sqlite

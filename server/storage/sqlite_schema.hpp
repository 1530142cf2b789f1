// The SQLite schema as an ordered list of migrations embedded in the code, and the statements on
// the results table: the insert (shared with bench/ingest's raw-insert baseline, so both write the
// same rows the same way) and the scans (their query plans are checked by the storage tests).
#pragma once

#include "server/storage/sqlite_connection.hpp"

#include <span>
#include <string>

namespace streamswarm::server::sqlite {

struct Migration {
  int version;
  const char* sql;
};

// Ascending, without gaps; a released migration is never edited, only followed by a new one.
std::span<const Migration> migrations();
int latestSchemaVersion();

// Brings the database up to latestSchemaVersion(): each missing migration in its own transaction,
// recorded in schema_migrations(version, applied_at). Throws StoreError when the database is newer
// than this code (a downgraded server must not write a schema it does not know).
void migrate(Connection& connection);

// The version recorded in the database; 0 when it has none.
int schemaVersion(Connection& connection);

// ?1 agent rid, ?2 seq, ?3 test rid or NULL, ?4 plugin id, ?5 instance, ?6 target, ?7 ts (ns),
// ?8 packed metrics, ?9 document or NULL, ?10 document schema, ?11 error or NULL.
inline constexpr const char* kInsertResultSql =
    "INSERT INTO results (agent, seq, test, plugin, instance, target, ts, metrics, document, document_schema, error) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

// Which filters a results scan has (bound as ?1 test rid, ?2 agent rid, ?3 from, ?4 to, ?5 limit)
// and what it returns. Rows come in (ts, rowid) order, the order the (test|agent, ts) indexes hold.
struct ResultScanShape {
  enum class Output { kRowsLimited, kAllRows, kCount };
  bool byTest = false;
  bool byAgent = false;
  bool from = false;
  bool to = false;
  Output output = Output::kRowsLimited;
};

// Row columns, by position.
enum ResultColumn {
  kAgent,
  kSeq,
  kTest,
  kPlugin,
  kInstance,
  kTarget,
  kTs,
  kMetrics,
  kDocument,
  kDocumentSchema,
  kError
};

std::string resultScanSql(const ResultScanShape& shape);

}  // namespace streamswarm::server::sqlite

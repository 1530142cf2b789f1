#define BOOST_TEST_MODULE storage_sqlite_migrations
#include <boost/test/unit_test.hpp>

#include "server/storage/sqlite_connection.hpp"
#include "server/storage/sqlite_schema.hpp"
#include "server/storage/store.hpp"
#include "tests/support/process.hpp"

#include <string>
#include <vector>

// Designated initializers leave the fields they do not name at their defaults, which is the point
// here; GCC 12 warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace streamswarm::server;
using streamswarm::testsupport::TempDir;

namespace {

std::vector<std::string> column(sqlite::Connection& c, const std::string& sql) {
  sqlite::Cursor q(c.statement(sql));
  std::vector<std::string> out;
  while (q.next()) out.push_back(q.text(0));
  return out;
}

std::string single(sqlite::Connection& c, const std::string& sql) {
  const auto values = column(c, sql);
  BOOST_TEST_REQUIRE(values.size() == 1u);
  return values[0];
}

// "... USING INDEX x ..." lines of the plan; the whole plan joined by " | ".
std::string plan(sqlite::Connection& c, const std::string& sql) {
  sqlite::Cursor q(c.statement("EXPLAIN QUERY PLAN " + sql));
  std::string out;
  while (q.next()) out += q.text(3) + " | ";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(migrations_are_ascending_without_gaps) {
  const auto steps = sqlite::migrations();
  BOOST_TEST_REQUIRE(!steps.empty());
  for (std::size_t i = 0; i < steps.size(); ++i) BOOST_TEST(steps[i].version == static_cast<int>(i + 1));
  BOOST_TEST(sqlite::latestSchemaVersion() == steps.back().version);
}

BOOST_AUTO_TEST_CASE(a_new_file_gets_every_migration_and_wal_mode) {
  TempDir dir;
  const std::string path = (dir / "new.db").string();
  openSqliteStore(path).reset();

  sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
  const auto versions = column(c, "SELECT version FROM schema_migrations ORDER BY version");
  BOOST_TEST(versions.size() == sqlite::migrations().size());
  BOOST_TEST(versions.back() == std::to_string(sqlite::latestSchemaVersion()));
  BOOST_TEST(std::stoll(single(c, "SELECT min(applied_at) FROM schema_migrations")) > 0);
  BOOST_TEST(single(c, "PRAGMA journal_mode") == "wal");
  const auto tables = column(c, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (const char* t : {"agents", "metric_names", "plugin_names", "results", "schema_migrations", "tests", "tokens"})
    BOOST_TEST((std::find(tables.begin(), tables.end(), t) != tables.end()), "table " << t);
  // Every index costs ingest: exactly these two on results (see sqlite_schema.cpp).
  BOOST_TEST(column(c,
                    "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'results' AND sql IS NOT "
                    "NULL ORDER BY name") == (std::vector<std::string>{"results_agent_ts", "results_test_ts"}));
}

BOOST_AUTO_TEST_CASE(an_empty_existing_file_is_migrated) {
  TempDir dir;
  const auto path = dir / "empty.db";
  streamswarm::testsupport::writeFile(path, "");
  openSqliteStore(path.string()).reset();
  sqlite::Connection c(path.string(), sqlite::Connection::Mode::kReadOnly);
  BOOST_TEST(sqlite::schemaVersion(c) == sqlite::latestSchemaVersion());
}

BOOST_AUTO_TEST_CASE(reopening_applies_nothing_and_keeps_the_data) {
  TempDir dir;
  const std::string path = (dir / "db").string();
  {
    auto store = openSqliteStore(path);
    store->createToken(TokenRecord{.id = "tok1", .secretHash = "h", .name = "n", .createdAt = 1});
  }
  std::string appliedAt;
  {
    sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
    appliedAt = single(c, "SELECT group_concat(applied_at) FROM schema_migrations");
  }
  for (int i = 0; i < 3; ++i) {
    auto store = openSqliteStore(path);
    BOOST_TEST(store->findToken("tok1").has_value());
  }
  sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
  BOOST_TEST(single(c, "SELECT group_concat(applied_at) FROM schema_migrations") == appliedAt);
  BOOST_TEST(single(c, "SELECT count(*) FROM schema_migrations") == std::to_string(sqlite::migrations().size()));
}

BOOST_AUTO_TEST_CASE(a_version_1_database_gains_users_sessions_and_token_roles_keeping_its_tokens_admin) {
  TempDir dir;
  const std::string path = (dir / "v1.db").string();
  {
    // What a server from before the dashboard left behind: schema 1 and an admin token.
    sqlite::Connection c(path, sqlite::Connection::Mode::kReadWrite);
    c.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    c.exec(sqlite::migrations()[0].sql);
    c.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 1)");
    c.exec(
        "INSERT INTO tokens (id, kind, secret_hash, name, created_at, revoked) VALUES ('old', 'admin', 'h', 'ci', 1, "
        "0)");
  }
  auto store = openSqliteStore(path);
  const auto token = store->findToken("old");
  BOOST_TEST_REQUIRE(token.has_value());
  BOOST_TEST(token->role == "admin");
  BOOST_TEST(token->name == "ci");
  BOOST_TEST(store->listUsers().empty());
  BOOST_TEST(store->createUser(UserRecord{.id = "u-1", .username = "admin", .passwordHash = "x", .role = "admin"}));
  store.reset();
  sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
  BOOST_TEST(sqlite::schemaVersion(c) == sqlite::latestSchemaVersion());
  const auto tables = column(c, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (const char* t : {"users", "sessions"})
    BOOST_TEST((std::find(tables.begin(), tables.end(), t) != tables.end()), "table " << t);
}

BOOST_AUTO_TEST_CASE(a_newer_database_is_refused_naming_both_versions) {
  TempDir dir;
  const std::string path = (dir / "db").string();
  openSqliteStore(path).reset();
  const int newer = sqlite::latestSchemaVersion() + 1;
  {
    sqlite::Connection c(path, sqlite::Connection::Mode::kReadWrite);
    c.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" + std::to_string(newer) + ", 1)");
  }
  try {
    openSqliteStore(path);
    BOOST_FAIL("a database with a newer schema was opened");
  } catch (const StoreError& e) {
    const std::string message = e.what();
    BOOST_TEST_MESSAGE(message);
    BOOST_TEST(message.find("schema version " + std::to_string(newer)) != std::string::npos);
    BOOST_TEST(message.find("version " + std::to_string(sqlite::latestSchemaVersion())) != std::string::npos);
    BOOST_TEST(message.find(path) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(an_unopenable_path_names_the_path) {
  TempDir dir;
  const std::string path = (dir / "no-such-dir" / "db").string();
  try {
    openSqliteStore(path);
    BOOST_FAIL("opened a database in a missing directory");
  } catch (const StoreError& e) {
    BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(result_scans_use_the_indexes_without_sorting) {
  TempDir dir;
  const std::string path = (dir / "db").string();
  openSqliteStore(path).reset();
  sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
  using Shape = sqlite::ResultScanShape;
  for (bool from : {false, true})
    for (bool to : {false, true}) {
      const std::string byTest = plan(c, sqlite::resultScanSql(Shape{.byTest = true, .from = from, .to = to}));
      BOOST_TEST(byTest.find("USING INDEX results_test_ts") != std::string::npos, byTest);
      BOOST_TEST(byTest.find("TEMP B-TREE") == std::string::npos, byTest);
      const std::string byAgent = plan(c, sqlite::resultScanSql(Shape{.byAgent = true, .from = from, .to = to}));
      BOOST_TEST(byAgent.find("USING INDEX results_agent_ts") != std::string::npos, byAgent);
      BOOST_TEST(byAgent.find("TEMP B-TREE") == std::string::npos, byAgent);
      const std::string both =
          plan(c, sqlite::resultScanSql(
                      Shape{.byTest = true, .byAgent = true, .from = from, .to = to, .output = Shape::Output::kCount}));
      BOOST_TEST(both.find("USING INDEX results_") != std::string::npos, both);
    }
  // Deleting a test's results (in chunks, then the rest) finds them through the partial index.
  for (const char* sql : {"DELETE FROM results WHERE rowid IN (SELECT rowid FROM results WHERE test = ?1 LIMIT ?2)",
                          "DELETE FROM results WHERE test = ?1"}) {
    const std::string del = plan(c, sql);
    BOOST_TEST(del.find("results_test_ts") != std::string::npos, del);
    BOOST_TEST(del.find("SCAN results") == std::string::npos, del);
  }
}

BOOST_AUTO_TEST_CASE(a_memory_database_works_on_one_connection) {
  auto store = openSqliteStore(":memory:");
  store->createToken(TokenRecord{.id = "t", .secretHash = "h", .name = "n", .createdAt = 1});
  BOOST_TEST(store->findToken("t").has_value());
}

BOOST_AUTO_TEST_CASE(a_file_that_is_no_database_is_refused_naming_it) {
  TempDir dir;
  const auto path = dir / "not-a-db";
  streamswarm::testsupport::writeFile(path, std::string(4096, 'x'));
  try {
    openSqliteStore(path.string());
    BOOST_FAIL("opened a file that is not a database");
  } catch (const StoreError& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
  }
}

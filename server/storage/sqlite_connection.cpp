#include "server/storage/sqlite_connection.hpp"

#include "server/storage/store.hpp"

#include <string>

namespace streamswarm::server::sqlite {

namespace {

// Error messages name the statement by its first words, enough to find it in the source.
std::string sqlHead(std::string_view sql) {
  constexpr std::size_t kHeadChars = 60;
  std::string head(sql.substr(0, kHeadChars));
  for (char& c : head)
    if (c == '\n') c = ' ';
  if (sql.size() > kHeadChars) head += "...";
  return head;
}

}  // namespace

void fail(sqlite3* db, std::string_view what) {
  throw StoreError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Statement::Statement(sqlite3* db, std::string sql) : db_(db), sql_(std::move(sql)) {
  // PERSISTENT: these statements live as long as the connection.
  if (sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK)
    fail(db_, "prepare \"" + sqlHead(sql_) + "\"");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Cursor::~Cursor() {
  // The error code of the last step was already reported by next()/run(); reset repeats it.
  sqlite3_reset(stmt());
  sqlite3_clear_bindings(stmt());
}

void Cursor::check(int rc, const char* doing) {
  if (rc != SQLITE_OK) fail(statement_.db(), std::string(doing) + " for \"" + sqlHead(statement_.sql()) + "\"");
}

Cursor& Cursor::bindInt(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt(), index, value), "bind");
  return *this;
}

Cursor& Cursor::bindReal(int index, double value) {
  check(sqlite3_bind_double(stmt(), index, value), "bind");
  return *this;
}

Cursor& Cursor::bindText(int index, std::string_view text) {
  check(sqlite3_bind_text64(stmt(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
  return *this;
}

Cursor& Cursor::bindNull(int index) {
  check(sqlite3_bind_null(stmt(), index), "bind");
  return *this;
}

Cursor& Cursor::bindOptInt(int index, const std::optional<std::int64_t>& value) {
  return value ? bindInt(index, *value) : bindNull(index);
}

Cursor& Cursor::bindOptText(int index, const std::optional<std::string>& text) {
  return text ? bindText(index, *text) : bindNull(index);
}

Cursor& Cursor::bindTextStatic(int index, std::string_view text) {
  check(sqlite3_bind_text64(stmt(), index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8), "bind");
  return *this;
}

Cursor& Cursor::bindBlobStatic(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
  static constexpr std::uint8_t kEmpty = 0;
  check(sqlite3_bind_blob64(stmt(), index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), SQLITE_STATIC),
        "bind");
  return *this;
}

bool Cursor::next() {
  const int rc = sqlite3_step(stmt());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(statement_.db(), "\"" + sqlHead(statement_.sql()) + "\"");
}

void Cursor::run() {
  while (next()) {
  }
}

bool Cursor::isNull(int column) const {
  return sqlite3_column_type(stmt(), column) == SQLITE_NULL;
}

std::int64_t Cursor::integer(int column) const {
  return sqlite3_column_int64(stmt(), column);
}

double Cursor::real(int column) const {
  return sqlite3_column_double(stmt(), column);
}

std::optional<std::int64_t> Cursor::optInteger(int column) const {
  if (isNull(column)) return std::nullopt;
  return integer(column);
}

std::string Cursor::text(int column) const {
  return std::string(textView(column));
}

std::string_view Cursor::textView(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt(), column));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt(), column))};
}

std::optional<std::string> Cursor::optText(int column) const {
  if (isNull(column)) return std::nullopt;
  return text(column);
}

std::span<const std::uint8_t> Cursor::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt(), column));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt(), column))};
}

Connection::Connection(const std::string& path, Mode mode) : path_(path) {
  // NOMUTEX: each connection is used by one thread at a time (the store's locks see to it), so
  // SQLite's own per-connection mutex would be pure overhead.
  const int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
                    (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw StoreError("open " + path + ": " + message);
  }
  try {
    configure(mode);
  } catch (const StoreError& e) {
    statements_.clear();
    sqlite3_close(db_);
    throw StoreError("open " + path + ": " + e.what());
  }
}

void Connection::configure(Mode mode) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
  if (mode == Mode::kReadWrite) {
    // journal_mode=WAL is a property of the file: set once here, readers inherit it. A memory
    // database answers "memory" and stays as it is.
    std::string got;
    {
      Cursor journal(statement("PRAGMA journal_mode = WAL"));
      if (!journal.next()) fail(db_, "set journal_mode=WAL");
      got = journal.text(0);
    }
    if (got != "wal" && got != "memory") throw StoreError("set journal_mode=WAL: the database stays in " + got);
    exec("PRAGMA cache_size = -" + std::to_string(kWriterCacheKiB));
  }
}

Connection::~Connection() {
  statements_.clear();  // finalized before the close, which would otherwise fail with SQLITE_BUSY
  sqlite3_close(db_);
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = "\"" + sqlHead(sql) + "\": " + (message ? message : sqlite3_errmsg(db_));
    sqlite3_free(message);
    throw StoreError(what);
  }
}

Statement& Connection::statement(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return *it->second;
  auto statement = std::make_unique<Statement>(db_, std::string(sql));
  Statement& ref = *statement;
  statements_.emplace(std::string(sql), std::move(statement));
  return ref;
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR) roll the transaction back by themselves; only roll
  // back what is still open. A failed ROLLBACK leaves nothing more to do from a destructor.
  if (!done_ && !sqlite3_get_autocommit(connection_.handle()))
    sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

ReadSnapshot::ReadSnapshot(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN");
}

ReadSnapshot::~ReadSnapshot() {
  if (!sqlite3_get_autocommit(connection_.handle()))
    sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace streamswarm::server::sqlite

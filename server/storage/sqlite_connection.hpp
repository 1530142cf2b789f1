// A thin RAII layer over the SQLite C API: one connection with its cached prepared statements, a
// cursor that binds and steps one execution, and a transaction guard. Errors become StoreError
// carrying SQLite's own message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace streamswarm::server::sqlite {

// Throws StoreError("<what>: <SQLite's message for db>").
[[noreturn]] void fail(sqlite3* db, std::string_view what);

// How long a connection waits for another process's write lock before giving up (SQLITE_BUSY).
inline constexpr int kBusyTimeoutMs = 5'000;
// Page cache of the write connection: keeps the hot right edges of the results indexes in memory.
inline constexpr int kWriterCacheKiB = 32 * 1024;

class Statement {
 public:
  Statement(sqlite3* db, std::string sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* handle() const { return stmt_; }
  sqlite3* db() const { return db_; }
  const std::string& sql() const { return sql_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// One execution of a statement. Resets it when it goes out of scope, so a cached read statement
// never keeps a read snapshot open (an open snapshot stops the WAL from being checkpointed).
// Text and blobs are copied at bind time unless bound with the *Static variants.
class Cursor {
 public:
  explicit Cursor(Statement& statement) : statement_(statement) {}
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  Cursor& bindInt(int index, std::int64_t value);
  Cursor& bindReal(int index, double value);
  Cursor& bindText(int index, std::string_view text);
  Cursor& bindNull(int index);
  Cursor& bindOptInt(int index, const std::optional<std::int64_t>& value);
  Cursor& bindOptText(int index, const std::optional<std::string>& text);
  // The caller keeps the bytes alive until the cursor is destroyed (no copy: the ingest hot path).
  Cursor& bindTextStatic(int index, std::string_view text);
  Cursor& bindBlobStatic(int index, std::span<const std::uint8_t> bytes);

  bool next();  // true: a row is ready to be read
  void run();   // executes a statement that returns no rows

  bool isNull(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  std::optional<std::int64_t> optInteger(int column) const;
  std::string text(int column) const;
  std::string_view textView(int column) const;  // valid until the next step
  std::optional<std::string> optText(int column) const;
  std::span<const std::uint8_t> blob(int column) const;  // valid until the next step

 private:
  void check(int rc, const char* doing);
  sqlite3_stmt* stmt() const { return statement_.handle(); }

  Statement& statement_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (creating when read-write) and applies the connection settings every store connection
  // uses: WAL (read-write), synchronous=NORMAL, foreign keys, busy timeout.
  Connection(const std::string& path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more SQL statements that return no rows.
  void exec(std::string_view sql);
  // Prepared on first use, then reused for the life of the connection.
  Statement& statement(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  std::int64_t lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

 private:
  void configure(Mode mode);

  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> statements_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so the transaction cannot fail half-way with
// SQLITE_BUSY on lock upgrade); rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// BEGIN (deferred) on any connection: the statements run until it goes out of scope read one
// snapshot, as WAL mode keeps it for them. Ends with ROLLBACK: it is for reading only.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Connection& connection);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Connection& connection_;
};

}  // namespace streamswarm::server::sqlite

#include "core/result_spool.hpp"

#include "core/error.hpp"

#include <sqlite3.h>

namespace streamswarm::core {
namespace {

constexpr int kSchemaVersion = 1;
// SQLite's page cache per connection; the default (2 MB) is a fifth of the agent's footprint budget.
constexpr int kCacheKib = 256;
constexpr std::int64_t kWalLimitBytes = 4 * 1024 * 1024;

// Resets a statement when leaving scope, so that it holds no read cursor and no bound data.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) : s_(s) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  operator sqlite3_stmt*() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope first.
class Transaction {
 public:
  Transaction(sqlite3* db, sqlite3_stmt* begin, sqlite3_stmt* commit, sqlite3_stmt* rollback)
      : db_(db), commit_(commit), rollback_(rollback) {
    run(begin);
  }
  ~Transaction() {
    if (done_) return;
    sqlite3_step(rollback_);
    sqlite3_reset(rollback_);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    run(commit_);
    done_ = true;
  }

 private:
  void run(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) throw Error(std::string("result spool: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* rollback_;
  bool done_ = false;
};

}  // namespace

ResultSpool::ResultSpool(const std::filesystem::path& file, std::uint64_t maxBytes) : file_(file), maxBytes_(maxBytes) {
  const int rc =
      sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw Error(file.string() + ": cannot open the result spool: " + why);
  }
  auto prepare = [this](const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      throw Error(file_.string() + ": result spool: " + sqlite3_errmsg(db_));
    statements_.push_back(s);
    return s;
  };
  try {
    // Exclusive locking: no shared-memory index next to the WAL, and a second agent on the same
    // state directory fails here instead of interleaving sequence numbers with this one.
    exec("PRAGMA locking_mode = EXCLUSIVE");
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    // After a checkpoint the WAL is cut back to this size rather than keeping its largest.
    exec(("PRAGMA journal_size_limit = " + std::to_string(kWalLimitBytes)).c_str());
    exec(("PRAGMA cache_size = -" + std::to_string(kCacheKib)).c_str());
    exec(("BEGIN IMMEDIATE;"
          "CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB NOT NULL);"
          "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
          "INSERT OR IGNORE INTO counters (name, value) VALUES ('dropped', 0);"
          "PRAGMA user_version = " +
          std::to_string(kSchemaVersion) + ";COMMIT;")
             .c_str());

    begin_ = prepare("BEGIN IMMEDIATE");
    commit_ = prepare("COMMIT");
    rollback_ = prepare("ROLLBACK");
    insert_ = prepare("INSERT INTO spool (payload) VALUES (?1)");
    scan_ = prepare("SELECT seq, length(payload) FROM spool ORDER BY seq");
    peek_ = prepare("SELECT seq, payload FROM spool ORDER BY seq LIMIT ?1");
    sizeThrough_ = prepare("SELECT count(*), coalesce(sum(length(payload)), 0) FROM spool WHERE seq <= ?1");
    deleteThrough_ = prepare("DELETE FROM spool WHERE seq <= ?1");
    sizeOf_ = prepare("SELECT length(payload) FROM spool WHERE seq = ?1");
    deleteOne_ = prepare("DELETE FROM spool WHERE seq = ?1");
    addDropped_ = prepare("UPDATE counters SET value = value + ?1 WHERE name = 'dropped'");
    raiseSeq_ = prepare("UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'spool'");
    seedSeq_ = prepare(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'spool', ?1 "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'spool')");
    highest_ = prepare("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'spool'");
    copyAbove_ = prepare("INSERT INTO spool (payload) SELECT payload FROM spool WHERE seq <= ?1 ORDER BY seq");

    {
      Use totals(prepare("SELECT count(*), coalesce(sum(length(payload)), 0) FROM spool"));
      if (sqlite3_step(totals) == SQLITE_ROW) {
        pendingCount_ = static_cast<std::uint64_t>(sqlite3_column_int64(totals, 0));
        pendingBytes_ = static_cast<std::uint64_t>(sqlite3_column_int64(totals, 1));
      }
    }
    Use dropped(prepare("SELECT value FROM counters WHERE name = 'dropped'"));
    if (sqlite3_step(dropped) == SQLITE_ROW) dropped_ = static_cast<std::uint64_t>(sqlite3_column_int64(dropped, 0));
  } catch (...) {
    for (auto* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
    throw;
  }
}

ResultSpool::~ResultSpool() {
  for (auto* s : statements_) sqlite3_finalize(s);
  sqlite3_close(db_);
}

void ResultSpool::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return;
  std::string why = message ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  if (sqlite3_errcode(db_) == SQLITE_BUSY)
    why = "the spool is in use by another process (is another agent running with this state_dir?)";
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  throw Error(file_.string() + ": result spool: " + why);
}

void ResultSpool::step(sqlite3_stmt* statement) {
  if (sqlite3_step(statement) != SQLITE_DONE) throw Error(file_.string() + ": result spool: " + sqlite3_errmsg(db_));
}

ResultSpool::Eviction ResultSpool::evictFor(std::uint64_t bytes) {
  // Oldest first until the new payload fits; everything through one seq goes in a range delete.
  Eviction e;
  std::int64_t through = 0;
  {
    Use scan(scan_);
    while (pendingBytes_ - e.bytes + bytes > maxBytes_ && sqlite3_step(scan) == SQLITE_ROW) {
      through = sqlite3_column_int64(scan, 0);
      e.bytes += static_cast<std::uint64_t>(sqlite3_column_int64(scan, 1));
      ++e.count;
    }
  }
  if (e.count == 0) return e;
  {
    Use del(deleteThrough_);
    sqlite3_bind_int64(del, 1, through);
    step(del);
  }
  addDropped(e.count);
  return e;
}

void ResultSpool::addDropped(std::uint64_t n) {
  Use add(addDropped_);
  sqlite3_bind_int64(add, 1, static_cast<sqlite3_int64>(n));
  step(add);
}

std::int64_t ResultSpool::append(std::string_view payload) {
  Transaction tx(db_, begin_, commit_, rollback_);
  if (payload.size() > maxBytes_) {
    addDropped(1);
    tx.commit();
    ++dropped_;
    return 0;
  }
  const auto evicted = evictFor(payload.size());
  {
    Use insert(insert_);
    sqlite3_bind_blob64(insert, 1, payload.data(), payload.size(), SQLITE_STATIC);
    step(insert);
  }
  const auto seq = sqlite3_last_insert_rowid(db_);
  tx.commit();
  // The in-memory totals follow the database only once the transaction is in.
  pendingCount_ = pendingCount_ - evicted.count + 1;
  pendingBytes_ = pendingBytes_ - evicted.bytes + payload.size();
  dropped_ += evicted.count;
  return seq;
}

std::vector<SpoolEntry> ResultSpool::peek(std::size_t maxCount, std::size_t maxBytes) const {
  std::vector<SpoolEntry> out;
  if (maxCount == 0) return out;
  Use peek(peek_);
  sqlite3_bind_int64(peek, 1, static_cast<sqlite3_int64>(maxCount));
  std::size_t bytes = 0;
  while (sqlite3_step(peek) == SQLITE_ROW) {
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(peek, 1));
    if (!out.empty() && bytes + size > maxBytes) break;
    const auto* data = static_cast<const char*>(sqlite3_column_blob(peek, 1));
    out.push_back({sqlite3_column_int64(peek, 0), std::string(data ? data : "", size)});
    bytes += size;
  }
  return out;
}

void ResultSpool::ack(std::int64_t throughSeq) {
  Transaction tx(db_, begin_, commit_, rollback_);
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  {
    Use size(sizeThrough_);
    sqlite3_bind_int64(size, 1, throughSeq);
    if (sqlite3_step(size) == SQLITE_ROW) {
      count = static_cast<std::uint64_t>(sqlite3_column_int64(size, 0));
      bytes = static_cast<std::uint64_t>(sqlite3_column_int64(size, 1));
    }
  }
  if (count == 0) return;  // rolls back the empty transaction
  {
    Use del(deleteThrough_);
    sqlite3_bind_int64(del, 1, throughSeq);
    step(del);
  }
  tx.commit();
  pendingCount_ -= count;
  pendingBytes_ -= bytes;
}

bool ResultSpool::drop(std::int64_t seq) {
  Transaction tx(db_, begin_, commit_, rollback_);
  std::uint64_t bytes = 0;
  {
    Use size(sizeOf_);
    sqlite3_bind_int64(size, 1, seq);
    if (sqlite3_step(size) != SQLITE_ROW) return false;
    bytes = static_cast<std::uint64_t>(sqlite3_column_int64(size, 0));
  }
  {
    Use del(deleteOne_);
    sqlite3_bind_int64(del, 1, seq);
    step(del);
  }
  addDropped(1);
  tx.commit();
  --pendingCount_;
  pendingBytes_ -= bytes;
  ++dropped_;
  return true;
}

std::int64_t ResultSpool::highestSeq() const {
  Use highest(highest_);
  return sqlite3_step(highest) == SQLITE_ROW ? sqlite3_column_int64(highest, 0) : 0;
}

void ResultSpool::ensureSeqAbove(std::int64_t seq) {
  Transaction tx(db_, begin_, commit_, rollback_);
  for (auto* statement : {raiseSeq_, seedSeq_}) {
    Use use(statement);
    sqlite3_bind_int64(use, 1, seq);
    step(use);
  }
  tx.commit();
}

std::uint64_t ResultSpool::resequenceAbove(std::int64_t seq) {
  Transaction tx(db_, begin_, commit_, rollback_);
  const auto through = highestSeq();
  for (auto* statement : {raiseSeq_, seedSeq_}) {
    Use use(statement);
    sqlite3_bind_int64(use, 1, seq);
    step(use);
  }
  // Copies go in after `seq` in their old order; then the originals go.
  for (auto* statement : {copyAbove_, deleteThrough_}) {
    Use use(statement);
    sqlite3_bind_int64(use, 1, through);
    step(use);
  }
  tx.commit();
  return pendingCount_;
}

}  // namespace streamswarm::core

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace streamswarm::core {

struct SpoolEntry {
  std::int64_t seq = 0;
  std::string payload;  // one result as a JSON object
};

// The agent's durable outbox: every result is written here before anything else sees it, and is
// deleted only once the server has acknowledged it. SQLite in WAL mode with synchronous=NORMAL:
// a committed append survives SIGKILL of the agent (it is in the WAL, in the page cache) without an
// fsync per result. seq is AUTOINCREMENT, so it only ever grows, across restarts too; the server
// uses it as the idempotency key. Not thread-safe: the agent uses it from its io_context only.
class ResultSpool {
 public:
  // Opens or creates the spool; throws Error naming the file when it cannot, or when another
  // process holds it (the lock is exclusive: one agent per spool).
  ResultSpool(const std::filesystem::path& file, std::uint64_t maxBytes);
  ~ResultSpool();
  ResultSpool(const ResultSpool&) = delete;
  ResultSpool& operator=(const ResultSpool&) = delete;

  // Stores one payload and returns its seq. When the spool would exceed maxBytes, the oldest
  // entries are deleted first and counted as dropped. A payload larger than the whole bound is
  // dropped itself (counted; returns 0). Throws Error when the database cannot be written.
  std::int64_t append(std::string_view payload);

  // The oldest entries, at most maxCount of them and about maxBytes of payload (at least one entry
  // when any is pending, whatever its size).
  std::vector<SpoolEntry> peek(std::size_t maxCount, std::size_t maxBytes) const;

  // The server stored everything through throughSeq: delete it.
  void ack(std::int64_t throughSeq);
  // The server refused this one entry for good: delete it and count it as dropped.
  bool drop(std::int64_t seq);
  // Makes the next seq greater than `seq`.
  void ensureSeqAbove(std::int64_t seq);
  // Gives every pending entry a new seq above `seq`, keeping their order: for a spool that was
  // lost and started again from 1 while the server already holds higher seqs of this agent, whose
  // results would otherwise be taken for duplicates. Returns the number of entries renumbered.
  std::uint64_t resequenceAbove(std::int64_t seq);
  // The highest seq ever given out (0 for a new spool).
  std::int64_t highestSeq() const;

  std::uint64_t pendingCount() const { return pendingCount_; }
  std::uint64_t pendingBytes() const { return pendingBytes_; }  // payload bytes
  std::uint64_t droppedTotal() const { return dropped_; }
  std::uint64_t maxBytes() const { return maxBytes_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Eviction {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
  };
  void exec(const char* sql);
  void step(sqlite3_stmt* statement);
  Eviction evictFor(std::uint64_t bytes);
  void addDropped(std::uint64_t n);

  std::filesystem::path file_;
  std::uint64_t maxBytes_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;  // finalized on close
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  sqlite3_stmt* peek_ = nullptr;
  sqlite3_stmt* sizeThrough_ = nullptr;
  sqlite3_stmt* deleteThrough_ = nullptr;
  sqlite3_stmt* sizeOf_ = nullptr;
  sqlite3_stmt* deleteOne_ = nullptr;
  sqlite3_stmt* addDropped_ = nullptr;
  sqlite3_stmt* raiseSeq_ = nullptr;
  sqlite3_stmt* seedSeq_ = nullptr;
  sqlite3_stmt* highest_ = nullptr;
  sqlite3_stmt* copyAbove_ = nullptr;
  std::uint64_t pendingCount_ = 0;
  std::uint64_t pendingBytes_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace streamswarm::core

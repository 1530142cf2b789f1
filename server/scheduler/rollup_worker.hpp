// Keeps the store's rollups (what charts read) up to date, so ingest never pays for them: it rolls
// up what was stored since its last pass, a chunk at a time, and waits a moment once it has caught
// up. Queries read the results it has not reached yet raw, so a slow worker costs chart speed,
// never correctness.
//
// Two threads: the reading and summing (most of the work) runs at the lowest CPU priority, so it
// takes only CPU that ingest and queries leave idle; the short write transaction runs at the
// server's priority on a thread of its own, so a starved reader never holds the write lock, and
// waits for a quiet moment of the store's writes (see writeQuiet), so ingest goes first.
#pragma once

#include "server/storage/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace streamswarm::server {

struct RollupWorkerOptions {
  std::size_t chunkRows = 20'000;           // results read per pass at most
  std::chrono::milliseconds idlePoll{200};  // once caught up; bounds how much a chart reads raw
  std::chrono::milliseconds errorBackoff{5'000};
  // A pass is written once no other write has run for `writeQuiet`, or after `writePatience` in
  // any case: under sustained ingest the worker takes the write lock about once a second.
  std::chrono::milliseconds writeQuiet{10};
  std::chrono::milliseconds writePatience{1'000};
  int readerNice = 19;  // the reading thread's nice value (Linux: per thread)
  // A catch-up of at least this many results is logged with its duration.
  std::size_t logBacklogRows = 100'000;
};

class RollupWorker {
 public:
  explicit RollupWorker(Store& store, RollupWorkerOptions options = {});
  ~RollupWorker();  // stop()
  RollupWorker(const RollupWorker&) = delete;
  RollupWorker& operator=(const RollupWorker&) = delete;

  // Lets the step under way finish and joins the threads. Idempotent.
  void stop();

 private:
  void read();
  void write();
  // The reader hands a pass to the writer and waits for the outcome; none when stopping.
  std::optional<std::size_t> applied(std::unique_ptr<RollupPass> pass);
  bool sleep(std::chrono::milliseconds d);  // false: stopping

  Store& store_;
  RollupWorkerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unique_ptr<RollupPass> pending_;  // read, not written yet
  std::optional<std::size_t> outcome_;   // what the writer made of the last pass
  std::string writeError_;               // ... when it failed
  std::thread writer_;
  std::thread reader_;
};

}  // namespace streamswarm::server

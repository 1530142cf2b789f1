#include "server/scheduler/rollup_worker.hpp"

#include "core/log.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace streamswarm::server {

RollupWorker::RollupWorker(Store& store, RollupWorkerOptions options) : store_(store), options_(options) {
  writer_ = std::thread([this] { write(); });
  reader_ = std::thread([this] { read(); });
}

RollupWorker::~RollupWorker() {
  stop();
}

void RollupWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (reader_.joinable()) reader_.join();
  if (writer_.joinable()) writer_.join();
}

bool RollupWorker::sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

std::optional<std::size_t> RollupWorker::applied(std::unique_ptr<RollupPass> pass) {
  std::unique_lock lock(mutex_);
  pending_ = std::move(pass);
  outcome_.reset();
  wake_.notify_all();
  wake_.wait(lock, [this] { return stopping_ || outcome_.has_value(); });
  if (!outcome_) return std::nullopt;
  if (!writeError_.empty()) throw StoreError(std::exchange(writeError_, {}));
  return outcome_;
}

void RollupWorker::write() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || pending_; });
    if (stopping_) return;
    const auto pass = std::move(pending_);
    // Wait for a quiet moment (or lose patience): ingest and other writes go first.
    const auto deadline = std::chrono::steady_clock::now() + options_.writePatience;
    while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
      const auto idle = store_.writeIdleFor();
      if (idle >= options_.writeQuiet) break;
      wake_.wait_for(lock, options_.writeQuiet - idle);
    }
    if (stopping_) return;
    lock.unlock();
    std::size_t rows = 0;
    std::string error;
    try {
      rows = store_.applyRollups(*pass);
    } catch (const StoreError& e) {
      error = e.what();
    }
    lock.lock();
    outcome_ = rows;
    writeError_ = std::move(error);
    wake_.notify_all();
  }
}

void RollupWorker::read() {
  // Linux keeps a nice value per thread. Without it the worker still works, only less politely.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.readerNice) != 0)
    core::logLine(core::LogLevel::kWarning,
                  std::string("rollups: cannot lower the reading thread's priority: ") + std::strerror(errno));
  using Clock = std::chrono::steady_clock;
  std::size_t caughtUp = 0;  // results rolled up since the worker last had nothing to do
  auto since = Clock::now();
  while (true) {
    std::chrono::milliseconds pause = options_.idlePoll;
    try {
      auto pass = store_.collectRollups(options_.chunkRows);
      const bool read = pass->rows() > 0, more = pass->more();
      std::size_t rows = 0;
      if (read) {
        if (caughtUp == 0) since = Clock::now();
        const auto outcome = applied(std::move(pass));
        if (!outcome) return;
        rows = *outcome;
      }
      caughtUp += rows;
      if (more || (read && rows == 0)) {
        pause = std::chrono::milliseconds(0);  // more to read, or results were deleted meanwhile: again
      } else if (caughtUp > 0) {
        if (caughtUp >= options_.logBacklogRows) {
          char seconds[32];
          std::snprintf(seconds, sizeof seconds, "%.1f", std::chrono::duration<double>(Clock::now() - since).count());
          core::logLine(core::LogLevel::kInfo,
                        "rollups: caught up with " + std::to_string(caughtUp) + " results in " + seconds + " s");
        }
        caughtUp = 0;
      }
    } catch (const StoreError& e) {
      // A full disk or a locked database passes; charts read raw rows meanwhile.
      core::logLine(core::LogLevel::kError, std::string("rollups: ") + e.what());
      pause = options_.errorBackoff;
    }
    if (!sleep(pause)) return;
  }
}

}  // namespace streamswarm::server

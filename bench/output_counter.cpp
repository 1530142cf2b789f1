#include "bench/output_counter.hpp"

#include <unistd.h>

#include <cerrno>

namespace streamswarm::bench {

OutputCounter::OutputCounter(int fd, Classifier classify)
    : classify_(std::move(classify)), reader_([this, fd] { readAll(fd); }) {}

OutputCounter::~OutputCounter() {
  reader_.join();
}

void OutputCounter::readAll(int fd) {
  std::string pending;
  bool overlong = false;  // the current line passed kMaxClassifiedLine; its tail is dropped
  char buffer[64 * 1024];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view chunk(buffer, static_cast<std::size_t>(n));
    for (auto nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n')) {
      if (overlong) {
        record("(line too long)");
      } else {
        pending.append(chunk.substr(0, nl));
        record(classify_(pending));
      }
      pending.clear();
      overlong = false;
      chunk.remove_prefix(nl + 1);
    }
    if (!overlong) pending.append(chunk);
    if (pending.size() > kMaxClassifiedLine) {
      pending.clear();
      overlong = true;
    }
  }
  if (overlong) record("(line too long)");
  if (!pending.empty()) record(classify_(pending));  // a last line without its newline
}

void OutputCounter::record(const std::string& key) {
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  ++counts_[key];
}

OutputCounter::Counts OutputCounter::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

OutputCounter::Counts OutputCounter::difference(const Counts& later, const Counts& earlier) {
  Counts d;
  for (const auto& [key, n] : later) {
    const auto it = earlier.find(key);
    const long delta = n - (it == earlier.end() ? 0 : it->second);
    if (delta != 0) d[key] = delta;
  }
  return d;
}

}  // namespace streamswarm::bench

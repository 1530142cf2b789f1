// Drains a child's stdout on its own thread and counts the lines by a key, so the benchmark can
// prove the program under test really produced a sample a second without keeping its output.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace streamswarm::bench {

class OutputCounter {
 public:
  // Names the line's kind, e.g. the plugin a result came from; an empty key is not counted.
  using Classifier = std::function<std::string(std::string_view line)>;
  using Counts = std::map<std::string, long>;

  // Reads fd (owned by the caller, kept open until this is destroyed) until end of file.
  OutputCounter(int fd, Classifier classify);
  OutputCounter(const OutputCounter&) = delete;
  OutputCounter& operator=(const OutputCounter&) = delete;
  // Joins the reader: the child must have ended (or closed its stdout) first.
  ~OutputCounter();

  Counts counts() const;
  // Counts since an earlier counts(): what was produced in a window.
  static Counts difference(const Counts& later, const Counts& earlier);

 private:
  void readAll(int fd);
  void record(const std::string& key);

  Classifier classify_;
  mutable std::mutex mutex_;
  Counts counts_;
  std::thread reader_;
};

// A line longer than this is counted but not classified; a result document stays far below it.
inline constexpr std::size_t kMaxClassifiedLine = 4 << 20;

}  // namespace streamswarm::bench

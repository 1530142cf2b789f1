// One program under test (the agent, or the python baseline) and what measuring it yields.
#pragma once

#include "bench/bench_error.hpp"
#include "bench/output_counter.hpp"
#include "bench/process_tree.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace streamswarm::bench {

// Memory is read this often during the window; CPU is a difference over the whole window.
inline constexpr auto kMemoryPeriod = std::chrono::seconds(1);

// What one process cost over the window, while it was there.
struct ProcessFigures {
  pid_t pid = 0;
  std::string label;
  double cpuPercent = 0;
  ProcMemory last;  // at the last sample that saw it
  ProcMemory peak;
  std::size_t seen = 0;  // memory samples that saw it
  bool atEnd = false;    // still there at the end of the window
};

struct Measurement {
  double windowSeconds = 0;
  double cpuPercent = 0;  // of one core, whole tree
  ProcMemory peakTotal;   // peak of the per-sample sums, Rss, Pss and Uss each
  ProcMemory lastTotal;
  std::size_t processes = 0;               // at the end of the window
  std::size_t memorySamples = 0;           // one a kMemoryPeriod, and one at the start
  std::vector<ProcessFigures> perProcess;  // every process seen in the window, by pid
  OutputCounter::Counts lines;             // produced within the window
  long samples = 0;                        // lines under the subject's sample key
  std::string stderrTail;                  // the last diagnostics, to explain a subject that did not sample
};

// The program under test ended before the window did.
class SubjectEnded : public BenchError {
 public:
  SubjectEnded(const std::string& what, int status, std::string stderrText)
      : BenchError(what), status_(status), stderrText_(std::move(stderrText)) {}
  int status() const { return status_; }
  const std::string& stderrText() const { return stderrText_; }

 private:
  int status_;
  std::string stderrText_;
};

class Subject {
 public:
  // sampleKey: the classifier's key of the lines that count as samples.
  Subject(std::string name, std::vector<std::string> argv, OutputCounter::Classifier classify, std::string sampleKey);

  const std::string& name() const { return name_; }

  // Starts the program, lets it warm up, measures its process tree over the window, stops it.
  // Throws SubjectEnded when it ends on its own first; its stderr goes to a file in scratch.
  Measurement measure(std::chrono::seconds warmup, std::chrono::seconds window,
                      const std::filesystem::path& scratch) const;

 private:
  std::string name_;
  std::vector<std::string> argv_;
  OutputCounter::Classifier classify_;
  std::string sampleKey_;
};

}  // namespace streamswarm::bench

#include "bench/subject.hpp"

#include "bench/child_process.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

namespace streamswarm::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartPoll = std::chrono::milliseconds(100);  // how soon a start-up failure is seen
constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr std::size_t kStderrTailLines = 5;

}  // namespace

Subject::Subject(std::string name, std::vector<std::string> argv, OutputCounter::Classifier classify,
                 std::string sampleKey)
    : name_(std::move(name)),
      argv_(std::move(argv)),
      classify_(std::move(classify)),
      sampleKey_(std::move(sampleKey)) {}

Measurement Subject::measure(std::chrono::seconds warmup, std::chrono::seconds window,
                             const std::filesystem::path& scratch) const {
  ChildProcess child(argv_, scratch / (name_ + ".stderr"));
  OutputCounter counter(child.stdoutFd(), classify_);
  // The counter's reader only ends at end of file: on any way out, end the child first.
  struct KillFirst {
    ChildProcess& child;
    ~KillFirst() { child.kill(); }
  } killFirst{child};
  auto ended = [&](const std::string& when) {
    const int status = *child.poll();
    return SubjectEnded(name_ + " ended " + when + " (" + describeStatus(status) + ")", status,
                        readText(child.stderrFile()));
  };

  const auto warmEnd = Clock::now() + warmup;
  while (Clock::now() < warmEnd) {
    if (child.poll()) throw ended("during the warm-up");
    std::this_thread::sleep_for(std::min<Clock::duration>(kStartPoll, warmEnd - Clock::now()));
  }

  std::map<pid_t, ProcessFigures> figures;
  std::map<pid_t, std::uint64_t> startTicks, lastTicks;
  Measurement m;
  const auto linesBefore = counter.counts();
  const auto t0 = Clock::now();
  auto sample = [&](bool first) {
    const auto tree = readProcessTree(child.pid(), /*withMemory=*/true);
    if (tree.empty() || child.poll()) throw ended("during the window");
    ProcMemory total;
    for (const auto& p : tree) {
      total.rssKib += p.memory.rssKib;
      total.pssKib += p.memory.pssKib;
      total.ussKib += p.memory.ussKib;
      auto& f = figures[p.pid];
      f.pid = p.pid;
      f.label = p.label;
      f.last = p.memory;
      f.peak.rssKib = std::max(f.peak.rssKib, p.memory.rssKib);
      f.peak.pssKib = std::max(f.peak.pssKib, p.memory.pssKib);
      f.peak.ussKib = std::max(f.peak.ussKib, p.memory.ussKib);
      ++f.seen;
      if (first) startTicks[p.pid] = p.stat.totalTicks();
      lastTicks[p.pid] = p.stat.totalTicks();
    }
    ++m.memorySamples;
    m.peakTotal.rssKib = std::max(m.peakTotal.rssKib, total.rssKib);
    m.peakTotal.pssKib = std::max(m.peakTotal.pssKib, total.pssKib);
    m.peakTotal.ussKib = std::max(m.peakTotal.ussKib, total.ussKib);
    m.lastTotal = total;
    return tree;
  };
  const auto firstTree = sample(true);
  const auto ticks0 = treeTicks(firstTree);
  const auto windowEnd = t0 + window;
  std::vector<ProcSample> lastTree;
  for (auto next = t0 + kMemoryPeriod; next <= windowEnd; next += kMemoryPeriod) {
    std::this_thread::sleep_until(next);
    lastTree = sample(false);
  }
  const auto t1 = Clock::now();
  const auto linesAfter = counter.counts();
  if (lastTree.empty()) lastTree = firstTree;

  m.windowSeconds = std::chrono::duration<double>(t1 - t0).count();
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const auto ticks1 = treeTicks(lastTree);
  const auto ticks = ticks1 > ticks0 ? ticks1 - ticks0 : 0;
  m.cpuPercent = 100.0 * static_cast<double>(ticks) / tick / m.windowSeconds;
  m.processes = lastTree.size();
  for (const auto& p : lastTree) figures.at(p.pid).atEnd = true;
  // A process that ended within the window is listed too, with what it had used when last seen.
  for (auto& [pid, f] : figures) {
    const auto start = startTicks.count(pid) ? startTicks.at(pid) : 0;  // started within the window
    const auto end = lastTicks.at(pid);
    f.cpuPercent = 100.0 * static_cast<double>(end > start ? end - start : 0) / tick / m.windowSeconds;
    m.perProcess.push_back(f);
  }
  std::stable_partition(m.perProcess.begin(), m.perProcess.end(),
                        [&](const ProcessFigures& f) { return f.pid == child.pid(); });  // the subject first
  m.lines = OutputCounter::difference(linesAfter, linesBefore);
  m.samples = m.lines.count(sampleKey_) ? m.lines.at(sampleKey_) : 0;

  const int status = child.stop(kStopGrace);
  m.stderrTail = lastLines(readText(child.stderrFile()), kStderrTailLines);
  if (!endedCleanly(status))
    std::fprintf(stderr, "warning: %s did not stop cleanly on SIGTERM (%s):\n%s", name_.c_str(),
                 describeStatus(status).c_str(), m.stderrTail.c_str());
  return m;
}

}  // namespace streamswarm::bench

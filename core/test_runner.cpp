#include "core/test_runner.hpp"

#include "core/log.hpp"

#include <streamswarm/config_values.hpp>

#include <algorithm>
#include <set>

namespace streamswarm::core {
namespace {

std::int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string instanceKey(const std::string& testId) {
  return "test:" + testId;
}

}  // namespace

TestRunner::TestRunner(boost::asio::io_context& io, SupervisorLookup lookup, ResultSink sink)
    : io_(io), lookup_(std::move(lookup)), sink_(std::move(sink)) {}

void TestRunner::apply(const std::vector<ServerTest>& tests) {
  if (stopped_) return;
  std::map<std::string, const ServerTest*> wanted;
  for (const auto& t : tests) wanted[t.id] = &t;

  std::vector<std::string> ending;
  for (auto& [id, active] : active_) {
    const auto it = wanted.find(id);
    if (it == wanted.end() || !it->second->sameInstance(active.spec)) {
      ending.push_back(id);
    } else if (!(*it->second == active.spec)) {
      // Same plugin and options, new timing: keep the instance, move it to the new grid.
      active.spec = *it->second;
      schedule(active);
    }
  }
  for (const auto& id : ending) end(id);
  std::erase_if(failed_, [&](const auto& entry) {
    const auto it = wanted.find(entry.first);
    return it == wanted.end() || !(*it->second == entry.second);
  });
  for (const auto& t : tests)
    if (!active_.count(t.id) && !failed_.count(t.id)) begin(t);
}

void TestRunner::begin(const ServerTest& test) {
  const auto supervisor = lookup_(test.plugin);
  if (!supervisor) {
    reportOnce(test, "plugin '" + test.plugin + "' is not enabled on this agent (add a [plugin." + test.plugin +
                         "] section or list it in [server] test_plugins)");
    return;
  }
  if (!supervisor->schema()) {
    reportOnce(test, "plugin '" + test.plugin + "' could not be loaded on this agent");
    return;
  }
  auto options = testOptions(*supervisor->schema(), test.options);
  if (!options.error.empty()) {
    reportOnce(test, options.error);
    return;
  }
  auto& active = active_[test.id];
  active.spec = test;
  active.supervisor = supervisor;
  active.timer = std::make_unique<boost::asio::steady_timer>(io_);
  active.generation = nextGeneration_++;
  logLine(LogLevel::kInfo, "test " + test.id + ": starting plugin '" + test.plugin + "' every " +
                               values::formatNumber(static_cast<double>(test.intervalNs) / 1e9) + "s");
  const auto id = test.id;
  const auto generation = active.generation;
  supervisor->addInstance(InstanceSpec{instanceKey(id), "", std::move(options.options), id},
                          [this, id, generation](bool ok, bool configError, const std::string& why) {
                            const auto it = active_.find(id);
                            if (stopped_ || it == active_.end() || it->second.generation != generation) return;
                            if (!ok && configError) {
                              const auto spec = it->second.spec;
                              end(id);
                              reportOnce(spec, "plugin '" + spec.plugin + "' rejected the test's options: " + why);
                              return;
                            }
                            // A host that went down before answering re-creates the instance when it is back;
                            // meanwhile the runs report the plugin as unavailable, as for config sections.
                            if (!ok)
                              logLine(LogLevel::kWarning,
                                      "test " + id + ": plugin could not create the instance yet: " + why);
                            schedule(it->second);
                          });
}

void TestRunner::end(const std::string& id) {
  const auto it = active_.find(id);
  if (it == active_.end()) return;
  it->second.timer->cancel();
  it->second.supervisor->removeInstance(instanceKey(id));
  logLine(LogLevel::kInfo, "test " + id + ": stopped");
  active_.erase(it);
}

void TestRunner::schedule(Active& active) {
  const auto now = wallNs();
  const auto grace = std::min<std::int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(kLateStartGrace).count(), active.spec.intervalNs / 2);
  auto notBefore = now - grace;
  if (active.lastSlotNs) notBefore = std::max(notBefore, *active.lastSlotNs + 1);
  const auto slot = nextSlotNs(active.spec, notBefore);
  active.timer->cancel();
  active.timerGeneration = nextGeneration_++;
  const auto key = instanceKey(active.spec.id);
  if (!slot) {  // the test is over; the server drops it from the set
    active.supervisor->nextRunAt(key, std::chrono::steady_clock::time_point::max());
    return;
  }
  const auto wait = std::chrono::nanoseconds(std::max<std::int64_t>(0, *slot - now));
  active.supervisor->nextRunAt(key, std::chrono::steady_clock::now() + wait);
  active.timer->expires_after(wait);
  active.timer->async_wait([this, id = active.spec.id, key, generation = active.timerGeneration,
                            slot = *slot](boost::system::error_code ec) {
    const auto it = active_.find(id);
    if (ec || stopped_ || it == active_.end() || it->second.timerGeneration != generation) return;
    auto& a = it->second;
    if (a.supervisor->busy(key)) {
      logLine(LogLevel::kWarning, "test " + id + ": previous run still active; skipping this one");
    } else {
      const auto timeout =
          std::min<std::chrono::nanoseconds>(std::chrono::nanoseconds(a.spec.intervalNs), kMaxTestRunTimeout);
      a.supervisor->run(key, timeout, [](bool) {});
    }
    a.lastSlotNs = slot;
    schedule(a);
  });
}

void TestRunner::reportOnce(const ServerTest& test, const std::string& error) {
  failed_[test.id] = test;
  logLine(LogLevel::kError, "test " + test.id + ": cannot run here: " + error);
  ProbeResult r;
  r.plugin = test.plugin;
  r.testId = test.id;
  r.timestampNs = wallNs();
  r.error = error;
  sink_(std::move(r));
}

void TestRunner::stop() {
  stopped_ = true;
  for (auto& [id, active] : active_) active.timer->cancel();
}

}  // namespace streamswarm::core

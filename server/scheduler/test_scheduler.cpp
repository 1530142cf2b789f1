#include "server/scheduler/test_scheduler.hpp"

#include "server/scheduler/test_schedule.hpp"

#include <algorithm>

namespace streamswarm::server {
namespace {

bool isActive(TestState s) {
  return s == TestState::kPending || s == TestState::kRunning || s == TestState::kCompleted;
}

// A test assigned only by id fails when every one of its agents has been revoked or is gone; a
// test with labels waits for matching agents to appear.
bool hasNoAgentLeft(const TestRecord& test, const std::vector<AgentRecord>& agents) {
  if (!test.labels.empty()) return false;
  return std::none_of(test.agentIds.begin(), test.agentIds.end(), [&](const std::string& id) {
    return std::any_of(agents.begin(), agents.end(), [&](const AgentRecord& a) { return a.id == id && !a.revoked; });
  });
}

}  // namespace

TestScheduler::TestScheduler(Store& store, std::function<void()> onChange)
    : store_(store), onChange_(std::move(onChange)) {}

TestState TestScheduler::initialState(const TestRecord& test, TimeNs now) {
  TestRecord fresh = test;
  fresh.state = TestState::kPending;
  return decideSchedule(fresh, now).state;
}

std::optional<TimeNs> TestScheduler::tick(TimeNs now) {
  const auto tests = store_.listTests();
  std::optional<std::vector<AgentRecord>> agents;  // loaded only when a live test needs them
  std::optional<TimeNs> next;
  bool changed = false;
  for (const auto& test : tests) {
    if (!isActive(test.state)) continue;
    const auto decision = decideSchedule(test, now);
    auto state = decision.state;
    if (state != TestState::kCompleted) {
      if (!agents) agents = store_.listAgents();
      if (hasNoAgentLeft(test, *agents)) state = TestState::kFailed;
    }
    if (state != test.state) changed = store_.setTestState(test.id, state, now) || changed;
    if (state != TestState::kFailed && decision.nextChange)
      next = std::min(next.value_or(*decision.nextChange), *decision.nextChange);
  }
  if (changed && onChange_) onChange_();
  return next;
}

std::vector<std::string> TestScheduler::markOffline(TimeNs now, TimeNs offlineAfterNs) {
  return store_.markOffline(now - offlineAfterNs);
}

}  // namespace streamswarm::server

#include "server/scheduler/test_schedule.hpp"

#include <algorithm>

namespace streamswarm::server {

ScheduleDecision decideSchedule(const TestRecord& test, TimeNs now) {
  ScheduleDecision d;
  if (test.state == TestState::kStopped || test.state == TestState::kFailed) {
    d.state = test.state;
    return d;
  }
  if (now < test.startAt) {
    d.state = TestState::kPending;
    d.nextChange = test.startAt;
    return d;
  }
  if (!test.durationNs) {
    d.state = TestState::kRunning;
    d.windowStart = test.startAt;
    return d;
  }
  TimeNs windowStart = test.startAt;
  if (test.recurEveryNs && *test.recurEveryNs > 0)
    windowStart += (now - test.startAt) / *test.recurEveryNs * *test.recurEveryNs;
  const TimeNs windowEnd = windowStart + *test.durationNs;
  d.windowStart = windowStart;
  d.windowEnd = windowEnd;
  if (now < windowEnd) {
    d.state = TestState::kRunning;
    d.nextChange = windowEnd;
  } else {
    d.state = TestState::kCompleted;
    if (test.recurEveryNs && *test.recurEveryNs > 0) d.nextChange = windowStart + *test.recurEveryNs;
  }
  return d;
}

bool isAssigned(const TestRecord& test, const AgentRecord& agent) {
  if (std::find(test.agentIds.begin(), test.agentIds.end(), agent.id) != test.agentIds.end()) return true;
  for (const auto& label : test.labels)
    if (std::find(agent.labels.begin(), agent.labels.end(), label) != agent.labels.end()) return true;
  return false;
}

std::int64_t jitterFromRandom(std::uint64_t random, TimeNs intervalNs) {
  if (intervalNs <= 0) return 0;
  return static_cast<std::int64_t>(random % static_cast<std::uint64_t>(intervalNs));
}

}  // namespace streamswarm::server

// When a test runs: pure functions of a test's definition and the time, shared by the scheduler
// (which moves tests between states) and the agent API (which tells agents their windows).
#pragma once

#include "server/storage/records.hpp"

#include <cstdint>
#include <optional>

namespace streamswarm::server {

// What a test's state should be at some instant, judged from its schedule alone.
struct ScheduleDecision {
  TestState state = TestState::kPending;
  std::optional<TimeNs> windowStart;  // the current (or last) run window, when there is one
  std::optional<TimeNs> windowEnd;    // none: runs until stopped
  std::optional<TimeNs> nextChange;   // when the decision changes next; none: never by time alone
};

// Pending before the start; running in [start, start + duration); completed after it. A recurring
// test has windows [start + k*every, start + k*every + duration) and is completed between them.
// Stopped and failed tests stay as they are: only an operator (or a vanished agent) decides those.
ScheduleDecision decideSchedule(const TestRecord& test, TimeNs now);

// Whether the test is assigned to `agent` (by id, or by sharing one of the test's labels).
bool isAssigned(const TestRecord& test, const AgentRecord& agent);

// The offset of a test's runs inside its interval, from one uniformly random 64-bit value:
// uniform in [0, interval) (modulo bias below 2^-33 for intervals under 2^31 s).
std::int64_t jitterFromRandom(std::uint64_t random, TimeNs intervalNs);

}  // namespace streamswarm::server

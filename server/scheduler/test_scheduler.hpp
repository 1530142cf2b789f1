// Moves tests between states as time passes (pending -> running -> completed, recurring windows,
// failed when no assigned agent is left) and marks silent agents offline. Synchronous and driven
// by the caller's clock: SchedulerTimer calls it from a timer, tests call it with chosen times.
#pragma once

#include "server/storage/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::server {

class TestScheduler {
 public:
  // `onChange` runs after any test changed state (the tests version notifier wakes agents).
  TestScheduler(Store& store, std::function<void()> onChange);

  // Applies every transition due at `now`; returns when the next one is due (none: no test will
  // change by time alone).
  std::optional<TimeNs> tick(TimeNs now);

  // Agents not seen for `offlineAfterNs` are marked offline; returns their ids.
  std::vector<std::string> markOffline(TimeNs now, TimeNs offlineAfterNs);

  // The state a new test starts in (pending, running, or completed when its window already ended).
  static TestState initialState(const TestRecord& test, TimeNs now);

 private:
  Store& store_;
  std::function<void()> onChange_;
};

}  // namespace streamswarm::server

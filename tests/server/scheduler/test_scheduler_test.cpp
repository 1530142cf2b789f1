#define BOOST_TEST_MODULE server_scheduler
// Test states over an injected clock: pending -> running -> completed, recurring windows, stop,
// failure when no agent is left, offline marking, jitter bounds, and the tests-version notifier.
#include "server/scheduler/test_scheduler.hpp"
#include "server/scheduler/test_schedule.hpp"
#include "server/scheduler/tests_notifier.hpp"
#include "tests/server/fake_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <random>

using namespace streamswarm::server;
using streamswarm::server::testing::FakeStore;

namespace {

constexpr TimeNs kS = 1'000'000'000;
constexpr TimeNs kStart = 1'800'000'000 * kS;

TestRecord makeTest(std::optional<TimeNs> duration, std::optional<TimeNs> every = std::nullopt) {
  TestRecord t;
  t.id = "t-000000000001";
  t.plugin = "ping";
  t.agentIds = {"ag-000000000001"};
  t.startAt = kStart;
  t.durationNs = duration;
  t.recurEveryNs = every;
  t.intervalNs = 10 * kS;
  return t;
}

const char* name(TestState s) {
  return testStateName(s);
}

struct Scheduled {
  FakeStore store;
  int changes = 0;
  TestScheduler scheduler{store, [this] { ++changes; }};

  Scheduled() {
    AgentRecord a;
    a.id = "ag-000000000001";
    store.createAgent(a);
  }
  std::string stateOf(const std::string& id = "t-000000000001") { return name(store.findTest(id)->state); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_window_is_pending_then_running_then_completed) {
  const auto t = makeTest(60 * kS);
  auto d = decideSchedule(t, kStart - 1);
  BOOST_TEST(name(d.state) == "pending");
  BOOST_TEST(d.nextChange.value() == kStart);
  d = decideSchedule(t, kStart);
  BOOST_TEST(name(d.state) == "running");
  BOOST_TEST(d.windowStart.value() == kStart);
  BOOST_TEST(d.windowEnd.value() == kStart + 60 * kS);
  BOOST_TEST(d.nextChange.value() == kStart + 60 * kS);
  d = decideSchedule(t, kStart + 60 * kS);
  BOOST_TEST(name(d.state) == "completed");
  BOOST_TEST(!d.nextChange);
}

BOOST_AUTO_TEST_CASE(without_a_duration_a_test_runs_until_stopped) {
  auto t = makeTest(std::nullopt);
  const auto d = decideSchedule(t, kStart + 1'000'000 * kS);
  BOOST_TEST(name(d.state) == "running");
  BOOST_TEST(!d.windowEnd);
  BOOST_TEST(!d.nextChange);
  t.state = TestState::kStopped;
  BOOST_TEST(name(decideSchedule(t, kStart).state) == "stopped");
  t.state = TestState::kFailed;
  BOOST_TEST(name(decideSchedule(t, kStart).state) == "failed");
}

BOOST_AUTO_TEST_CASE(recurring_windows) {
  const auto t = makeTest(60 * kS, 3600 * kS);
  // Inside the third window.
  auto d = decideSchedule(t, kStart + 2 * 3600 * kS + 30 * kS);
  BOOST_TEST(name(d.state) == "running");
  BOOST_TEST(d.windowStart.value() == kStart + 2 * 3600 * kS);
  BOOST_TEST(d.nextChange.value() == kStart + 2 * 3600 * kS + 60 * kS);
  // Between the third and the fourth.
  d = decideSchedule(t, kStart + 2 * 3600 * kS + 60 * kS);
  BOOST_TEST(name(d.state) == "completed");
  BOOST_TEST(d.nextChange.value() == kStart + 3 * 3600 * kS);
  // A window as long as the period: always running.
  BOOST_TEST(name(decideSchedule(makeTest(60 * kS, 60 * kS), kStart + 60 * kS).state) == "running");
}

BOOST_FIXTURE_TEST_CASE(ticks_move_a_test_through_its_states, Scheduled) {
  auto t = makeTest(60 * kS);
  t.state = TestScheduler::initialState(t, kStart - 10 * kS);
  BOOST_TEST(name(t.state) == "pending");
  store.createTest(t);

  BOOST_TEST(scheduler.tick(kStart - 5 * kS).value() == kStart);
  BOOST_TEST(stateOf() == "pending");
  BOOST_TEST(changes == 0);
  BOOST_TEST(store.stateChanges == 0);

  BOOST_TEST(scheduler.tick(kStart).value() == kStart + 60 * kS);
  BOOST_TEST(stateOf() == "running");
  BOOST_TEST(changes == 1);

  scheduler.tick(kStart + 30 * kS);  // nothing due: nothing written, nobody woken
  BOOST_TEST(store.stateChanges == 1);
  BOOST_TEST(changes == 1);

  BOOST_TEST(!scheduler.tick(kStart + 60 * kS));
  BOOST_TEST(stateOf() == "completed");
  BOOST_TEST(changes == 2);
  BOOST_TEST(!scheduler.tick(kStart + 3600 * kS));
  BOOST_TEST(changes == 2);
}

BOOST_FIXTURE_TEST_CASE(a_recurring_test_comes_back_to_running, Scheduled) {
  auto t = makeTest(60 * kS, 3600 * kS);
  t.state = TestScheduler::initialState(t, kStart);
  store.createTest(t);
  BOOST_TEST(stateOf() == "running");
  BOOST_TEST(scheduler.tick(kStart + 60 * kS).value() == kStart + 3600 * kS);
  BOOST_TEST(stateOf() == "completed");
  BOOST_TEST(scheduler.tick(kStart + 3600 * kS).value() == kStart + 3660 * kS);
  BOOST_TEST(stateOf() == "running");
  BOOST_TEST(changes == 2);
}

BOOST_FIXTURE_TEST_CASE(a_stopped_test_stays_stopped, Scheduled) {
  auto t = makeTest(60 * kS, 3600 * kS);
  t.state = TestState::kRunning;
  store.createTest(t);
  store.setTestState(t.id, TestState::kStopped, kStart + 1);
  BOOST_TEST(!scheduler.tick(kStart + 3600 * kS));
  BOOST_TEST(stateOf() == "stopped");
  BOOST_TEST(changes == 0);
}

BOOST_FIXTURE_TEST_CASE(a_test_whose_agents_are_all_revoked_fails, Scheduled) {
  auto t = makeTest(std::nullopt);
  t.state = TestState::kRunning;
  store.createTest(t);
  auto labelled = makeTest(std::nullopt);
  labelled.id = "t-000000000002";
  labelled.agentIds.clear();
  labelled.labels = {"dc9"};  // no agent has it yet: it waits, it does not fail
  labelled.state = TestState::kRunning;
  store.createTest(labelled);

  scheduler.tick(kStart + kS);
  BOOST_TEST(stateOf() == "running");
  store.revokeAgent("ag-000000000001");
  scheduler.tick(kStart + 2 * kS);
  BOOST_TEST(stateOf() == "failed");
  BOOST_TEST(stateOf("t-000000000002") == "running");
  BOOST_TEST(changes == 1);
}

BOOST_FIXTURE_TEST_CASE(initial_states, Scheduled) {
  BOOST_TEST(name(TestScheduler::initialState(makeTest(60 * kS), kStart - 1)) == "pending");
  BOOST_TEST(name(TestScheduler::initialState(makeTest(60 * kS), kStart + 1)) == "running");
  BOOST_TEST(name(TestScheduler::initialState(makeTest(60 * kS), kStart + 61 * kS)) == "completed");
}

BOOST_FIXTURE_TEST_CASE(silent_agents_go_offline, Scheduled) {
  store.touchAgent("ag-000000000001", kStart);
  AgentRecord b;
  b.id = "ag-000000000002";
  store.createAgent(b);
  store.touchAgent("ag-000000000002", kStart + 20 * kS);
  const auto offline = scheduler.markOffline(kStart + 31 * kS, 30 * kS);
  BOOST_TEST(offline == std::vector<std::string>{"ag-000000000001"});
  BOOST_TEST(!store.findAgent("ag-000000000001")->online);
  BOOST_TEST(store.findAgent("ag-000000000002")->online);
}

BOOST_AUTO_TEST_CASE(jitter_stays_inside_the_interval) {
  constexpr TimeNs kInterval = 10 * kS;
  BOOST_TEST(jitterFromRandom(0, kInterval) == 0);
  BOOST_TEST(jitterFromRandom(UINT64_MAX, kInterval) < kInterval);
  BOOST_TEST(jitterFromRandom(static_cast<std::uint64_t>(kInterval), kInterval) == 0);
  BOOST_TEST(jitterFromRandom(123, 0) == 0);
  // Spread: a fixed-seed sample fills the interval (every tenth of it is hit) and stays inside.
  std::mt19937_64 random(42);
  std::vector<int> tenths(10, 0);
  for (int i = 0; i < 10'000; ++i) {
    const auto j = jitterFromRandom(random(), kInterval);
    BOOST_REQUIRE(j >= 0);
    BOOST_REQUIRE(j < kInterval);
    ++tenths[static_cast<std::size_t>(j / (kInterval / 10))];
  }
  for (const int n : tenths) BOOST_TEST(n > 800);  // ~1000 each
}

BOOST_AUTO_TEST_CASE(the_notifier_answers_old_versions_at_once_and_wakes_waiters_on_change) {
  boost::asio::io_context io;
  TestsNotifier notifier(io, 7);
  std::vector<std::uint64_t> answers;
  notifier.wait(3, std::chrono::seconds(30), [&](std::uint64_t v) { answers.push_back(v); });
  io.run();
  BOOST_TEST(answers == std::vector<std::uint64_t>{7});

  // Parked: nothing happens until a change, then both waiters get the new version.
  notifier.wait(7, std::chrono::seconds(30), [&](std::uint64_t v) { answers.push_back(v); });
  notifier.wait(7, std::chrono::seconds(30), [&](std::uint64_t v) { answers.push_back(v); });
  io.restart();
  io.poll();
  BOOST_TEST(answers.size() == 1u);
  BOOST_TEST(notifier.waiting() == 2u);
  notifier.bump();
  io.restart();
  io.run();  // returns: the bump cancelled both timers
  BOOST_TEST(answers == (std::vector<std::uint64_t>{7, 8, 8}));
  BOOST_TEST(notifier.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(the_notifier_lets_waiters_go_on_shutdown) {
  boost::asio::io_context io;
  TestsNotifier notifier(io, 1);
  std::vector<std::uint64_t> answers;
  notifier.wait(1, std::chrono::seconds(30), [&](std::uint64_t v) { answers.push_back(v); });
  io.poll();
  notifier.shutdown();
  notifier.wait(1, std::chrono::seconds(30), [&](std::uint64_t v) { answers.push_back(v); });
  io.restart();
  io.run();
  BOOST_TEST(answers == (std::vector<std::uint64_t>{1, 1}));
}

#define BOOST_TEST_MODULE server_rollup_worker
// The rollup worker on a real SQLite store: it catches up with what is stored, and with what
// arrives later, on its own; a failing store does not stop it; it stops promptly.
#include "server/scheduler/rollup_worker.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/server/fake_store.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

// Designated initializers leave the fields they do not name at their defaults, which is the point
// here; GCC 12 warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace streamswarm::server;
using namespace std::chrono_literals;
using streamswarm::testsupport::TempDir;

namespace {

constexpr TimeNs kS = 1'000'000'000;
// Generous: the assertion is that it happens at all on a loaded machine, not how fast.
constexpr auto kEventually = 30s;

template <class Predicate>
bool eventually(Predicate&& p) {
  const auto deadline = std::chrono::steady_clock::now() + kEventually;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}

std::vector<ResultRecord> results(std::int64_t firstSeq, int count) {
  std::vector<ResultRecord> out;
  for (int i = 0; i < count; ++i) {
    ResultRecord r;
    r.seq = firstSeq + i;
    r.testId = "t-1";
    r.plugin = "ping";
    r.target = "x";
    r.timestamp = 1'800'000'000 * kS + r.seq * kS;
    r.metrics = {{"rtt_ms", 1.0 * i}};
    out.push_back(r);
  }
  return out;
}

// A real store with agent ag-1 and test t-1 (1 s interval).
struct OneTest {
  TempDir dir;
  SqliteStore store{(dir / "streamswarm.db").string()};

  OneTest() {
    AgentRecord agent;
    agent.id = "ag-1";
    store.createAgent(agent);
    TestRecord test;
    test.id = "t-1";
    test.intervalNs = kS;
    store.createTest(test);
  }
};

// A store whose rollups fail the first times, as a locked or full database would.
class FailingStore : public testing::FakeStore {
 public:
  std::unique_ptr<RollupPass> collectRollups(std::size_t maxRows) override {
    if (++calls_ <= 3) throw StoreError("database is locked");
    return testing::FakeStore::collectRollups(maxRows);
  }
  int calls() const { return calls_; }

 private:
  std::atomic<int> calls_{0};
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(catches_up_with_stored_and_arriving_results, OneTest) {
  store.ingest("ag-1", results(1, 5'000), 0);
  BOOST_TEST(store.rollupBacklog() == 5'000u);

  RollupWorker worker(store, RollupWorkerOptions{.chunkRows = 1'000, .idlePoll = 10ms});
  BOOST_TEST(eventually([&] { return store.rollupBacklog() == 0; }));
  store.ingest("ag-1", results(5'001, 1'500), 0);
  BOOST_TEST(eventually([&] { return store.rollupBacklog() == 0; }));
  worker.stop();
  worker.stop();
  store.ingest("ag-1", results(6'501, 10), 0);
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(store.rollupBacklog() == 10u);  // stopped means stopped

  // Each sample once: 6,500 from the rollups, the last 10 read raw.
  const auto series = store.querySeries({.testId = "t-1", .metric = "rtt_ms", .points = 100});
  BOOST_TEST_REQUIRE(series.has_value());
  std::int64_t count = 0;
  for (const auto& p : series->series.at(0).points) count += p.count;
  BOOST_TEST(count == 6'510);
}

BOOST_AUTO_TEST_CASE(store_errors_are_retried_after_a_pause) {
  FailingStore store;
  RollupWorker worker(store, RollupWorkerOptions{.idlePoll = 1ms, .errorBackoff = 1ms});
  BOOST_TEST(eventually([&] { return store.calls() > 4; }));
}

BOOST_FIXTURE_TEST_CASE(stop_wakes_a_worker_waiting_for_work, OneTest) {
  RollupWorker worker(store, RollupWorkerOptions{.idlePoll = 24h});
  BOOST_TEST(eventually([&] { return store.rollupBacklog() == 0; }));  // its first pass, on nothing
  std::this_thread::sleep_for(50ms);                                   // now waiting for a day
  store.ingest("ag-1", results(1, 10), 0);
  worker.stop();  // returns (rather than the test timing out) only if the wait is cut short
  BOOST_TEST(store.rollupBacklog() == 10u);
}

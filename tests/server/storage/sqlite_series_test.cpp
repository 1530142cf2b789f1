#define BOOST_TEST_MODULE storage_sqlite_series
// Charts from the SQLite store against a brute force over every stored sample: random results of
// several agents and targets, queried over random ranges and point counts, before, during and
// after the rollups catch up, with late arrivals, deletions, restarts and non-finite values.
#include <boost/test/unit_test.hpp>

#include "server/storage/series_plan.hpp"
#include "server/storage/sqlite_connection.hpp"
#include "server/storage/sqlite_series.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/support/process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

// Designated initializers leave the fields they do not name at their defaults, which is the point
// here; GCC 12 warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace streamswarm::server;
using streamswarm::testsupport::TempDir;

namespace {

constexpr TimeNs kS = kNsPerSecond;
constexpr TimeNs kBase = 1'750'000'000 * kS;
constexpr std::size_t kPassRows = 777;  // small passes: the rollups are often half way

struct SeriesFixture {
  TempDir dir;
  std::string path = (dir / "streamswarm.db").string();
  std::unique_ptr<SqliteStore> store;
  std::vector<ResultRecord> stored;  // everything ingested, for the brute force
  std::map<std::string, std::int64_t> lastSeq;
  std::mt19937_64 rng{20'261'122};

  SeriesFixture() {
    open();
    for (const char* id : {"ag-a", "ag-b"}) {
      AgentRecord a;
      a.id = id;
      a.credentialHash = "h";
      a.name = id;
      store->createAgent(a);
    }
    createTest("t-1", 1 * kS);
    createTest("t-2", 1 * kS);
    createTest("t-slow", 60 * kS);
  }

  void open() {
    store.reset();
    store = std::make_unique<SqliteStore>(path, SqliteStoreOptions{.readConnections = 2, .deleteChunkRows = 500});
  }

  void createTest(const std::string& id, TimeNs interval) {
    TestRecord t;
    t.id = id;
    t.name = id;
    t.plugin = "ping";
    t.intervalNs = interval;
    store->createTest(t);
  }

  ResultRecord result(const std::string& agent, const std::string& test, const std::string& target, TimeNs ts,
                      std::vector<std::pair<std::string, double>> metrics) {
    ResultRecord r;
    r.agentId = agent;
    r.seq = ++lastSeq[agent];
    r.testId = test;
    r.plugin = "ping";
    r.target = target;
    r.timestamp = ts;
    r.metrics = std::move(metrics);
    return r;
  }

  // `count` results of one series, `step` apart with jitter; one in ten lacks metric "m".
  void addSeries(const std::string& agent, const std::string& test, const std::string& target, TimeNs start, int count,
                 TimeNs step) {
    std::vector<ResultRecord> batch;
    std::uniform_real_distribution<double> value(-100, 100);
    for (int i = 0; i < count; ++i) {
      const TimeNs ts = start + i * step + static_cast<TimeNs>(rng() % (step / 3 + 1));
      std::vector<std::pair<std::string, double>> metrics;
      if (rng() % 10 != 0) metrics.emplace_back("m", value(rng));
      metrics.emplace_back("other", static_cast<double>(i));
      batch.push_back(result(agent, test, target, ts, std::move(metrics)));
    }
    ingest(agent, batch);
  }

  void ingest(const std::string& agent, const std::vector<ResultRecord>& batch) {
    BOOST_TEST_REQUIRE(store->ingest(agent, batch, 0).accepted == batch.size());
    stored.insert(stored.end(), batch.begin(), batch.end());
  }

  // A test's usual shape: two agents, two targets, 1 s and 2 s steps, a late start, and a few
  // samples spread over a month (so the coarse levels answer the full range).
  void addTypicalData(const std::string& test) {
    addSeries("ag-a", test, "x", kBase, 5'000, 1 * kS);
    addSeries("ag-a", test, "y", kBase, 2'500, 2 * kS);
    addSeries("ag-b", test, "x", kBase + 1'000 * kS, 4'000, 1 * kS);
    addSeries("ag-b", test, "y", kBase - 30 * 86'400 * kS, 40, 86'400 * kS / 2);
  }

  std::size_t rollUpAll() {
    std::size_t total = 0;
    while (const auto n = store->rollUpResults(kPassRows)) total += n;
    return total;
  }

  void removeStored(const std::string& test) {
    std::erase_if(stored, [&](const ResultRecord& r) { return r.testId == test; });
  }

  // ---- the brute force ----

  struct Sample {
    TimeNs ts;
    double value;
  };
  using SeriesKey = std::pair<std::string, std::string>;

  std::map<SeriesKey, std::vector<Sample>> samplesOf(const SeriesQuery& q) const {
    std::map<SeriesKey, std::vector<Sample>> out;
    for (const auto& r : stored) {
      if (r.testId != q.testId || (q.agentId && r.agentId != *q.agentId) || (q.target && r.target != *q.target))
        continue;
      for (const auto& [name, value] : r.metrics)
        if (name == q.metric && std::isfinite(value)) out[{r.agentId, r.target}].push_back({r.timestamp, value});
    }
    for (auto& [key, samples] : out)
      std::stable_sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.ts < b.ts; });
    return out;
  }

  std::pair<TimeNs, TimeNs> extentOf(const std::string& test) const {
    TimeNs first = std::numeric_limits<TimeNs>::max(), last = std::numeric_limits<TimeNs>::min();
    for (const auto& r : stored)
      if (r.testId == test) {
        first = std::min(first, r.timestamp);
        last = std::max(last, r.timestamp);
      }
    return {first, last + 1};
  }

  // Checks one answer against every stored sample. Returns whether it was downsampled.
  bool check(const SeriesQuery& q) {
    const auto got = store->querySeries(q);
    BOOST_TEST_REQUIRE(got.has_value());
    const auto [first, last] = extentOf(q.testId);
    const TimeNs from = q.from.value_or(first), to = q.to.value_or(last);
    std::map<SeriesKey, std::vector<Sample>> expected;
    std::size_t inRange = 0;
    for (auto& [key, samples] : samplesOf(q)) {
      std::vector<Sample> kept;
      for (const auto& s : samples)
        if (s.ts >= from && s.ts < to) kept.push_back(s);
      inRange += kept.size();
      if (!kept.empty()) expected[key] = std::move(kept);
    }
    std::vector<SeriesKey> order;
    for (const auto& s : got->series) order.emplace_back(s.agentId, s.target);
    BOOST_TEST_REQUIRE(std::is_sorted(order.begin(), order.end()));

    if (!got->downsampled) {
      BOOST_TEST_REQUIRE(got->bucketNs == 0);
      BOOST_TEST_REQUIRE(inRange <= q.points);
      BOOST_TEST_REQUIRE(got->series.size() == expected.size());
      for (const auto& s : got->series) {
        const auto& want = expected.at({s.agentId, s.target});
        BOOST_TEST_REQUIRE(s.points.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
          BOOST_TEST_REQUIRE(s.points[i].start == want[i].ts);
          BOOST_TEST_REQUIRE(s.points[i].count == 1);
          BOOST_TEST_REQUIRE(s.points[i].avg == want[i].value);
          BOOST_TEST_REQUIRE(s.points[i].min == want[i].value);
          BOOST_TEST_REQUIRE(s.points[i].max == want[i].value);
        }
      }
      if (!expected.empty()) {
        BOOST_TEST_REQUIRE(*got->from == from);
        BOOST_TEST_REQUIRE(*got->to == to);
      }
      return false;
    }

    // Buckets: the samples in the answer's range (the query's, or that widened to whole
    // buckets), each in the bucket its time falls in.
    BOOST_TEST_REQUIRE(got->bucketNs > 0);
    const TimeNs lo = *got->from, hi = *got->to;
    BOOST_TEST_REQUIRE(lo <= from);
    BOOST_TEST_REQUIRE(hi >= to);
    BOOST_TEST_REQUIRE(hi - lo < (static_cast<TimeNs>(q.points) + 2) * got->bucketNs);
    BOOST_TEST_REQUIRE(!got->series.empty());
    BOOST_TEST_REQUIRE(!got->series[0].points.empty());
    const TimeNs grid = got->series[0].points[0].start;
    std::map<SeriesKey, std::map<TimeNs, SampleAggregate>> buckets;
    std::size_t total = 0;
    for (const auto& [key, samples] : samplesOf(q))
      for (const auto& s : samples)
        if (s.ts >= lo && s.ts < hi) {
          buckets[key][grid + floorTo(s.ts - grid, got->bucketNs)].add(s.value);
          ++total;
        }
    BOOST_TEST_REQUIRE(total > q.points);  // else the samples themselves would have come back
    std::set<TimeNs> starts;
    BOOST_TEST_REQUIRE(got->series.size() == buckets.size());
    for (const auto& s : got->series) {
      const auto& want = buckets.at({s.agentId, s.target});
      BOOST_TEST_REQUIRE(s.points.size() == want.size());
      auto w = want.begin();
      for (const auto& p : s.points) {
        starts.insert(p.start);
        BOOST_TEST_REQUIRE(p.start == w->first);
        BOOST_TEST_REQUIRE(p.count == w->second.count);
        BOOST_TEST_REQUIRE(p.min == w->second.min);
        BOOST_TEST_REQUIRE(p.max == w->second.max);
        const double avg = w->second.sum / static_cast<double>(w->second.count);
        BOOST_TEST_REQUIRE(std::abs(p.avg - avg) <= 1e-9 * std::max(1.0, std::abs(avg)));
        ++w;
      }
    }
    BOOST_TEST_REQUIRE(starts.size() <= q.points);
    return true;
  }

  // Random queries over a test: ranges inside, across and outside its data, every filter, point
  // counts from 1 to the maximum. Returns how many were downsampled.
  int checkRandomQueries(const std::string& test, int count) {
    const auto [first, last] = extentOf(test);
    int downsampled = 0;
    for (int i = 0; i < count; ++i) {
      SeriesQuery q{.testId = test, .metric = rng() % 8 == 0 ? "other" : "m"};
      static constexpr std::size_t kPoints[] = {1, 2, 10, 100, 1'000, 10'000};
      q.points = rng() % 4 == 0 ? 1 + rng() % 5'000 : kPoints[rng() % std::size(kPoints)];
      if (rng() % 3 == 0) q.agentId = rng() % 2 ? "ag-a" : "ag-b";
      if (rng() % 4 == 0) q.target = rng() % 2 ? "x" : "y";
      const TimeNs span = last - first;
      if (rng() % 3 != 0) {
        // A window of random width, its ends at random (not aligned) nanoseconds.
        const TimeNs width =
            1 + static_cast<TimeNs>(rng() % static_cast<std::uint64_t>(rng() % 2 ? span : 20'000 * kS));
        q.from = first - 1'000 * kS + static_cast<TimeNs>(rng() % static_cast<std::uint64_t>(span + 2'000 * kS));
        q.to = *q.from + width;
        if (rng() % 5 == 0) q.from.reset();
      }
      downsampled += check(q) ? 1 : 0;
    }
    return downsampled;
  }

  std::int64_t sqlInt(const std::string& sql) {
    sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
    sqlite::Cursor q(c.statement(sql));
    BOOST_TEST_REQUIRE(q.next());
    return q.integer(0);
  }

  std::size_t finiteSamples(const std::string& test, const std::string& metric) const {
    std::size_t n = 0;
    for (const auto& r : stored)
      if (r.testId == test)
        for (const auto& [name, value] : r.metrics) n += name == metric && std::isfinite(value);
    return n;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(series, SeriesFixture)

BOOST_AUTO_TEST_CASE(answers_match_the_brute_force_before_during_and_after_rolling_up) {
  addTypicalData("t-1");
  BOOST_TEST(store->rollupBacklog() == stored.size());
  // Nothing rolled up: everything is read raw.
  BOOST_TEST(checkRandomQueries("t-1", 40) > 5);
  // Half way: rollups and the rows above the watermark.
  for (int i = 0; i < 8; ++i) BOOST_TEST(store->rollUpResults(kPassRows) == kPassRows);
  BOOST_TEST(store->rollupBacklog() == stored.size() - 8 * kPassRows);
  BOOST_TEST(checkRandomQueries("t-1", 40) > 5);
  // Caught up.
  BOOST_TEST(rollUpAll() == stored.size() - 8 * kPassRows);
  BOOST_TEST(store->rollupBacklog() == 0u);
  BOOST_TEST(store->rollUpResults(kPassRows) == 0u);
  BOOST_TEST(checkRandomQueries("t-1", 120) > 20);
  // Every finite sample is counted once at the finest level.
  BOOST_TEST(sqlInt("SELECT sum(samples) FROM rollups WHERE width_s = 10 AND metric = "
                    "(SELECT id FROM metric_names WHERE name = 'm')") ==
             static_cast<std::int64_t>(finiteSamples("t-1", "m")));
}

BOOST_AUTO_TEST_CASE(the_full_range_at_a_thousand_points_comes_from_rollups) {
  addTypicalData("t-1");
  rollUpAll();
  const auto got = store->querySeries({.testId = "t-1", .metric = "m"});
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->downsampled);
  BOOST_TEST(got->bucketNs == 3'600 * kS);  // ~31 days / 1000 = 45 min: the 30 min level, in 1 h buckets
  BOOST_TEST(check({.testId = "t-1", .metric = "m"}));
}

BOOST_AUTO_TEST_CASE(a_test_with_a_slower_interval_keeps_fewer_levels) {
  addSeries("ag-a", "t-slow", "x", kBase, 3'000, 60 * kS);  // ~2 days
  rollUpAll();
  BOOST_TEST(sqlInt("SELECT min(width_s) FROM rollups") == 300);
  BOOST_TEST(checkRandomQueries("t-slow", 60) > 5);
}

BOOST_AUTO_TEST_CASE(late_results_update_the_older_buckets) {
  addTypicalData("t-1");
  rollUpAll();
  // An agent that was offline sends what it measured a while ago: old times, new rows.
  addSeries("ag-a", "t-1", "x", kBase + 100 * kS, 900, 3 * kS);
  addSeries("ag-b", "t-1", "z", kBase - 10 * 86'400 * kS, 30, 3'600 * kS);
  BOOST_TEST(checkRandomQueries("t-1", 40) > 5);  // the late rows from above the watermark
  rollUpAll();
  BOOST_TEST(checkRandomQueries("t-1", 60) > 5);  // and from the rollups
}

BOOST_AUTO_TEST_CASE(few_samples_in_range_come_back_raw) {
  addTypicalData("t-1");
  rollUpAll();
  const SeriesQuery q{.testId = "t-1",
                      .metric = "m",
                      .agentId = "ag-a",
                      .target = "x",
                      .from = kBase + 100 * kS,
                      .to = kBase + 200 * kS,
                      .points = 1'000};
  BOOST_TEST(!check(q));
  const auto got = store->querySeries(q);
  BOOST_TEST(!got->downsampled);
  BOOST_TEST(got->series.size() == 1u);
  BOOST_TEST(got->series[0].points.size() > 70u);  // ~100 s at 1 s, one in ten without "m"
  // The same range in 10 points is downsampled (to 10 s buckets: the 10 s rollups).
  auto fewer = q;
  fewer.points = 10;
  BOOST_TEST(check(fewer));
  BOOST_TEST(store->querySeries(fewer)->bucketNs == 10 * kS);
}

BOOST_AUTO_TEST_CASE(unknown_tests_metrics_agents_and_empty_ranges) {
  addTypicalData("t-1");
  rollUpAll();
  BOOST_TEST(!store->querySeries({.testId = "t-none", .metric = "m"}).has_value());
  BOOST_TEST(store->querySeries({.testId = "t-1", .metric = "never"})->series.empty());
  BOOST_TEST(store->querySeries({.testId = "t-1", .metric = "m", .agentId = "ag-none"})->series.empty());
  BOOST_TEST(store->querySeries({.testId = "t-1", .metric = "m", .target = "nope"})->series.empty());
  const auto before = store->querySeries({.testId = "t-1", .metric = "m", .from = 0, .to = 1'000});
  BOOST_TEST(before->series.empty());
  BOOST_TEST(!before->downsampled);
  const auto empty = store->querySeries({.testId = "t-2", .metric = "m"});  // no results at all
  BOOST_TEST(empty->series.empty());
  BOOST_TEST(!empty->from.has_value());
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_left_out) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<ResultRecord> batch;
  for (int i = 0; i < 300; ++i)
    batch.push_back(result("ag-a", "t-1", "x", kBase + i * kS, {{"m", i % 3 == 0 ? nan : i % 3 == 1 ? inf : 1.0 * i}}));
  ingest("ag-a", batch);
  BOOST_TEST(check({.testId = "t-1", .metric = "m", .points = 10}));
  rollUpAll();
  BOOST_TEST(store->rollupBacklog() == 0u);
  BOOST_TEST(check({.testId = "t-1", .metric = "m", .points = 10}));
  BOOST_TEST(!check({.testId = "t-1", .metric = "m", .points = 100}));  // 100 finite values: raw
}

BOOST_AUTO_TEST_CASE(a_restarted_worker_resumes_at_the_watermark) {
  addTypicalData("t-1");
  for (int i = 0; i < 5; ++i) store->rollUpResults(kPassRows);
  open();  // the server restarts
  BOOST_TEST(store->rollupBacklog() == stored.size() - 5 * kPassRows);
  BOOST_TEST(rollUpAll() == stored.size() - 5 * kPassRows);
  BOOST_TEST(sqlInt("SELECT sum(samples) FROM rollups WHERE width_s = 86400 AND metric = "
                    "(SELECT id FROM metric_names WHERE name = 'm')") ==
             static_cast<std::int64_t>(finiteSamples("t-1", "m")));
  BOOST_TEST(checkRandomQueries("t-1", 40) > 5);
}

BOOST_AUTO_TEST_CASE(a_deleted_test_leaves_no_rollups_and_the_others_intact) {
  addTypicalData("t-1");
  addTypicalData("t-2");
  rollUpAll();
  const auto rollupsOfT1 = sqlInt("SELECT count(*) FROM rollups WHERE test = (SELECT rid FROM tests WHERE id = 't-1')");
  BOOST_TEST(rollupsOfT1 > 1'000);  // more than two chunks of deletion
  BOOST_TEST(store->deleteTest("t-1"));
  removeStored("t-1");
  BOOST_TEST(!store->querySeries({.testId = "t-1", .metric = "m"}).has_value());
  BOOST_TEST(!store->describeTestSeries("t-1").has_value());
  BOOST_TEST(sqlInt("SELECT count(DISTINCT test) FROM rollups") == 1);
  BOOST_TEST(sqlInt("SELECT count(DISTINCT test) FROM rollup_series") == 1);
  BOOST_TEST(checkRandomQueries("t-2", 40) > 5);
  // A new test under the old id starts empty.
  createTest("t-1", 1 * kS);
  BOOST_TEST(store->querySeries({.testId = "t-1", .metric = "m"})->series.empty());
}

BOOST_AUTO_TEST_CASE(deleting_the_newest_rows_lowers_the_watermark) {
  // t-1's rows are the newest; once deleted, SQLite hands their rowids out again.
  addSeries("ag-a", "t-2", "x", kBase, 2'000, 1 * kS);
  addSeries("ag-a", "t-1", "x", kBase, 2'000, 1 * kS);
  rollUpAll();
  BOOST_TEST(store->deleteTest("t-1"));
  removeStored("t-1");
  BOOST_TEST(sqlInt("SELECT watermark FROM rollup_state") == sqlInt("SELECT max(rowid) FROM results"));
  addSeries("ag-a", "t-2", "x", kBase + 5'000 * kS, 2'000, 1 * kS);  // rowids t-1 had
  BOOST_TEST(store->rollupBacklog() == 2'000u);
  BOOST_TEST(checkRandomQueries("t-2", 20) > 3);
  rollUpAll();
  BOOST_TEST(store->rollupBacklog() == 0u);
  BOOST_TEST(checkRandomQueries("t-2", 40) > 5);
}

BOOST_AUTO_TEST_CASE(a_pass_read_before_a_deletion_is_not_applied) {
  addTypicalData("t-1");
  addSeries("ag-a", "t-2", "x", kBase, 1'000, 1 * kS);
  sqlite::Connection reader(path, sqlite::Connection::Mode::kReadOnly);
  const auto pass = sqlite::collectRollups(reader, 100'000, 1'000'000);
  BOOST_TEST(pass.rows() == stored.size());
  BOOST_TEST(store->deleteTest("t-2"));
  removeStored("t-2");
  {
    sqlite::Connection writer(path, sqlite::Connection::Mode::kReadWrite);
    BOOST_TEST(!sqlite::applyRollups(writer, pass));
  }
  BOOST_TEST(sqlInt("SELECT count(*) FROM rollups") == 0);
  BOOST_TEST(rollUpAll() > 0u);
  BOOST_TEST(sqlInt("SELECT count(DISTINCT test) FROM rollups") == 1);
  BOOST_TEST(checkRandomQueries("t-1", 20) > 3);
}

BOOST_AUTO_TEST_CASE(the_catalog_lists_metrics_and_series_rolled_up_or_not) {
  ingest("ag-a", {result("ag-a", "t-1", "x", kBase, {{"m", 1}, {"n", 2}})});
  rollUpAll();
  ingest("ag-b", {result("ag-b", "t-1", "y", kBase, {{"o", 1}})});  // not rolled up yet
  ingest("ag-b", {result("ag-b", "t-2", "z", kBase, {{"p", 1}})});  // another test
  const auto got = store->describeTestSeries("t-1");
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->metrics == (std::vector<std::string>{"m", "n", "o"}));
  BOOST_TEST((got->series == std::vector<std::pair<std::string, std::string>>{{"ag-a", "x"}, {"ag-b", "y"}}));
  rollUpAll();
  BOOST_TEST(store->describeTestSeries("t-1")->metrics == got->metrics);
  BOOST_TEST(store->describeTestSeries("t-slow")->metrics.empty());
  BOOST_TEST(!store->describeTestSeries("t-none").has_value());
}

BOOST_AUTO_TEST_CASE(sparse_series_make_short_passes) {
  store.reset();
  store = std::make_unique<SqliteStore>(path, SqliteStoreOptions{.readConnections = 2, .rollupPassWrites = 300});
  // One-off targets: each result its own series, with a bucket at every level.
  std::vector<ResultRecord> batch;
  for (int i = 0; i < 400; ++i)
    batch.push_back(result("ag-a", "t-1", "10.0." + std::to_string(i), kBase + i * kS, {{"m", 1.0 * i}}));
  ingest("ag-a", batch);
  const auto pass = store->collectRollups(kPassRows);
  BOOST_TEST(pass->more());
  BOOST_TEST(pass->rows() == 43u);  // 7 writes a result (a series, 6 buckets): 300 reached at the 43rd
  BOOST_TEST(store->applyRollups(*pass) == 43u);
  BOOST_TEST(sqlInt("SELECT count(*) FROM rollups") == 43 * 6);
  BOOST_TEST(rollUpAll() == 400u - 43);
  BOOST_TEST(!store->collectRollups(kPassRows)->more());
  BOOST_TEST(checkRandomQueries("t-1", 30) > 3);
}

BOOST_AUTO_TEST_CASE(local_results_are_passed_over) {
  std::vector<ResultRecord> batch;
  for (int i = 0; i < 100; ++i) {
    auto r = result("ag-a", "t-1", "", kBase + i * kS, {{"cpu", 1.0}});
    r.testId.reset();
    batch.push_back(r);
  }
  ingest("ag-a", batch);
  BOOST_TEST(rollUpAll() == 100u);
  BOOST_TEST(store->rollupBacklog() == 0u);
  BOOST_TEST(sqlInt("SELECT count(*) FROM rollups") == 0);
  BOOST_TEST(sqlInt("SELECT watermark FROM rollup_state") == sqlInt("SELECT max(rowid) FROM results"));
}

BOOST_AUTO_TEST_CASE(exports_visit_results_one_at_a_time_until_told_to_stop) {
  addSeries("ag-a", "t-1", "x", kBase, 50, 1 * kS);
  std::vector<std::int64_t> seqs;
  store->forEachResult({.testId = "t-1"}, [&](ResultRecord& r) {
    seqs.push_back(r.seq);
    return seqs.size() < 7;
  });
  BOOST_TEST(seqs == (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7}));
  std::size_t n = 0;
  store->forEachResult({.testId = "t-1", .metric = "other", .limit = 20}, [&](ResultRecord& r) {
    BOOST_TEST_REQUIRE(r.metrics.size() == 1u);
    BOOST_TEST_REQUIRE(r.metrics[0].first == "other");
    return ++n > 0;
  });
  BOOST_TEST(n == 20u);
}

BOOST_AUTO_TEST_CASE(chart_statements_use_the_intended_indexes) {
  addTypicalData("t-1");
  rollUpAll();
  sqlite::Connection c(path, sqlite::Connection::Mode::kReadOnly);
  const auto plan = [&](const char* sql) {
    sqlite::Cursor q(c.statement(std::string("EXPLAIN QUERY PLAN ") + sql));
    std::string out;
    while (q.next()) out += q.text(3) + " | ";
    return out;
  };
  const auto collect = plan(sqlite::kCollectSql);
  BOOST_TEST(collect.find("SEARCH results USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") != std::string::npos,
             collect);
  BOOST_TEST(collect.find("ORDER BY") == std::string::npos, collect);  // no sort: the rowid order
  using sqlite::SeriesSource;
  for (const bool byAgent : {false, true})
    for (const bool byTarget : {false, true}) {
      const auto tail = plan(sqlite::seriesSql(SeriesSource::kTail, byAgent, byTarget).c_str());
      BOOST_TEST(tail.find("SEARCH results USING INTEGER PRIMARY KEY (rowid>?)") != std::string::npos, tail);
      const auto rollups = plan(sqlite::seriesSql(SeriesSource::kRollups, byAgent, byTarget).c_str());
      BOOST_TEST(rollups.find("SEARCH rollups USING PRIMARY KEY (test=? AND metric=? AND width_s=? AND bucket>? AND "
                              "bucket<?)") != std::string::npos,
                 rollups);
      // By test and time, or by agent and time when one agent is asked for.
      const auto raw = plan(sqlite::seriesSql(SeriesSource::kRaw, byAgent, byTarget).c_str());
      BOOST_TEST(raw.find("SEARCH results USING INDEX results_") != std::string::npos, raw);
      BOOST_TEST(raw.find("SCAN") == std::string::npos, raw);
    }
  for (const char* sql : {sqlite::kFirstTsSql, sqlite::kLastTsSql}) {
    const auto p = plan(sql);
    BOOST_TEST(p.find("results_test_ts") != std::string::npos, sql << ": " << p);
    BOOST_TEST(p.find("SCAN") == std::string::npos, sql << ": " << p);
  }
}

BOOST_AUTO_TEST_SUITE_END()

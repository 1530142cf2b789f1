#define BOOST_TEST_MODULE storage_series_plan
// The pure part of charts: which rollup levels a test keeps, the bucket grid over a range, and
// the builder that sums samples and aggregates into it.
#include <boost/test/unit_test.hpp>

#include "server/storage/series_plan.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

// Designated initializers leave the fields they do not name at their defaults, which is the point
// here; GCC 12 warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace streamswarm::server;

namespace {

constexpr TimeNs kS = kNsPerSecond;

std::vector<std::int64_t> widths(TimeNs intervalNs) {
  const auto w = rollupWidthsFor(intervalNs);
  return {w.begin(), w.end()};
}

std::string agentName(std::int64_t agent) {
  return "ag-" + std::to_string(agent);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_ladder_divides_each_next_level) {
  for (std::size_t i = 1; i < kRollupWidthsS.size(); ++i) BOOST_TEST(kRollupWidthsS[i] % kRollupWidthsS[i - 1] == 0);
}

BOOST_AUTO_TEST_CASE(a_test_keeps_the_levels_holding_enough_of_its_samples) {
  BOOST_TEST(widths(1 * kS) == (std::vector<std::int64_t>{10, 60, 300, 1'800, 10'800, 86'400}));
  BOOST_TEST(widths(2'500'000'000) == (std::vector<std::int64_t>{10, 60, 300, 1'800, 10'800, 86'400}));  // 10 s = 4 x
  BOOST_TEST(widths(3 * kS) == (std::vector<std::int64_t>{60, 300, 1'800, 10'800, 86'400}));
  BOOST_TEST(widths(60 * kS) == (std::vector<std::int64_t>{300, 1'800, 10'800, 86'400}));
  BOOST_TEST(widths(6 * 3'600 * kS) == (std::vector<std::int64_t>{86'400}));
  BOOST_TEST(widths(7 * 3'600 * kS).empty());
}

BOOST_AUTO_TEST_CASE(floor_rounds_down_also_below_zero) {
  BOOST_TEST(floorTo(125, 10) == 120);
  BOOST_TEST(floorTo(120, 10) == 120);
  BOOST_TEST(floorTo(0, 10) == 0);
  BOOST_TEST(floorTo(-1, 10) == -10);
  BOOST_TEST(floorTo(-10, 10) == -10);
}

BOOST_AUTO_TEST_CASE(a_million_seconds_at_a_thousand_points_read_five_minute_rollups) {
  const TimeNs from = 1'700'000'123 * kS;
  const auto plan = planSeries(from, from + 500'000 * kS, 1'000, kRollupWidthsS);
  BOOST_TEST(plan.levelNs == 300 * kS);  // 500 s per point wanted; 30 min would be too coarse
  BOOST_TEST(plan.start == floorTo(from, 300 * kS));
  BOOST_TEST(plan.bucketNs == 600 * kS);  // whole 5 min buckets
  BOOST_TEST(plan.buckets == 834u);
  BOOST_TEST(plan.end() >= from + 500'000 * kS);
}

BOOST_AUTO_TEST_CASE(a_range_finer_than_every_level_gets_a_millisecond_grid) {
  const auto plan = planSeries(1'500 * kS + 7, 1'600 * kS, 1'000, kRollupWidthsS);
  BOOST_TEST(plan.levelNs == 0);
  BOOST_TEST(plan.start == 1'500 * kS);
  BOOST_TEST(plan.bucketNs == 100 * kNsPerMs);  // from the whole ms at or before `from`
  BOOST_TEST(plan.buckets <= 1'000u);
  // No levels at all (a test run every day): always raw.
  BOOST_TEST(planSeries(0, 1'000'000 * kS, 10, {}).levelNs == 0);
}

BOOST_AUTO_TEST_CASE(grids_cover_the_range_in_at_most_the_points_asked_for) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20'000; ++i) {
    const TimeNs from = static_cast<TimeNs>(rng() % (2'000'000'000 * kS));
    const TimeNs to = from + 1 + static_cast<TimeNs>(rng() % (rng() % 2 ? 100 * kS : 100'000'000 * kS));
    const std::size_t points = 1 + rng() % (rng() % 2 ? 10 : 10'000);
    const auto levels = rollupWidthsFor((1 + static_cast<TimeNs>(rng() % 30'000)) * kS);
    const auto plan = planSeries(from, to, points, levels);
    BOOST_TEST_REQUIRE(plan.buckets >= 1u);
    BOOST_TEST_REQUIRE(plan.buckets <= points);
    BOOST_TEST_REQUIRE(plan.start <= from);
    BOOST_TEST_REQUIRE(plan.end() >= to);
    BOOST_TEST_REQUIRE(plan.end() - plan.bucketNs < to);  // no bucket wholly after the range
    const TimeNs unit = plan.levelNs > 0 ? plan.levelNs : kNsPerMs;
    BOOST_TEST_REQUIRE(plan.start % unit == 0);
    BOOST_TEST_REQUIRE(plan.bucketNs % unit == 0);
    // The coarsest level not wider than a point's share of the range, and none when none is.
    const TimeNs share = (to - from + static_cast<TimeNs>(points) - 1) / static_cast<TimeNs>(points);
    TimeNs coarsest = 0;
    for (const auto w : levels)
      if (w * kS <= share) coarsest = w * kS;
    BOOST_TEST_REQUIRE(plan.levelNs == coarsest);
  }
}

BOOST_AUTO_TEST_CASE(the_builder_sums_samples_and_aggregates_per_bucket) {
  const SeriesPlan plan{.levelNs = 10 * kS, .start = 100 * kS, .bucketNs = 20 * kS, .buckets = 3};
  SeriesBuilder b(plan, 100);
  b.addSample(2, "x", 100 * kS, 1.0);
  b.addSample(2, "x", 119 * kS, 3.0);
  b.addSample(2, "x", 150 * kS, -2.0);
  b.addSample(1, "y", 125 * kS, 7.0);
  b.addSample(1, "y", 99 * kS, 100.0);   // before the grid
  b.addSample(1, "y", 160 * kS, 100.0);  // after it
  b.addSample(1, "y", 130 * kS, std::numeric_limits<double>::quiet_NaN());
  b.addSample(1, "y", 130 * kS, std::numeric_limits<double>::infinity());
  BOOST_TEST(b.samples() == 4u);
  BOOST_TEST(b.rawKept());
  b.addAggregate(2, "x", 110 * kS, SampleAggregate{.count = 2, .min = 0.5, .max = 4.0, .sum = 4.5});

  const auto data = b.downsampled(agentName);
  BOOST_TEST(data.downsampled);
  BOOST_TEST(data.bucketNs == 20 * kS);
  BOOST_TEST(*data.from == 100 * kS);
  BOOST_TEST(*data.to == 160 * kS);
  BOOST_TEST_REQUIRE(data.series.size() == 2u);
  BOOST_TEST(data.series[0].agentId == "ag-1");  // ordered by agent id
  BOOST_TEST_REQUIRE(data.series[0].points.size() == 1u);
  BOOST_TEST(data.series[0].points[0].start == 120 * kS);
  BOOST_TEST(data.series[0].points[0].count == 1);
  const auto& x = data.series[1].points;
  BOOST_TEST_REQUIRE(x.size() == 2u);  // the empty middle bucket is left out
  BOOST_TEST(x[0].start == 100 * kS);
  BOOST_TEST(x[0].count == 4);
  BOOST_TEST(x[0].min == 0.5);
  BOOST_TEST(x[0].max == 4.0);
  BOOST_TEST(x[0].avg == (1.0 + 3.0 + 4.5) / 4);
  BOOST_TEST(x[1].start == 140 * kS);
  BOOST_TEST(x[1].min == -2.0);
}

BOOST_AUTO_TEST_CASE(raw_samples_are_kept_up_to_the_limit_in_time_order) {
  const auto plan = planSeries(0, 1'000 * kS, 3, {});
  SeriesBuilder b(plan, 3);
  b.addSample(1, "t", 30 * kS, 3.0);
  b.addSample(1, "t", 10 * kS, 1.0);
  b.addSample(1, "t", 20 * kS, 2.0);
  BOOST_TEST_REQUIRE(b.rawKept());
  const auto raw = b.answer(agentName, 5, 999 * kS);
  BOOST_TEST(!raw.downsampled);
  BOOST_TEST(raw.bucketNs == 0);
  BOOST_TEST(*raw.from == 5);
  BOOST_TEST_REQUIRE(raw.series.size() == 1u);
  std::vector<double> values;
  for (const auto& p : raw.series[0].points) {
    BOOST_TEST(p.count == 1);
    BOOST_TEST(p.min == p.max);
    values.push_back(p.avg);
  }
  BOOST_TEST(values == (std::vector<double>{1.0, 2.0, 3.0}));
  b.addSample(1, "t", 500 * kS, 4.0);
  BOOST_TEST(!b.rawKept());
  const auto buckets = b.answer(agentName, 5, 999 * kS);
  BOOST_TEST(buckets.downsampled);
  BOOST_TEST(*buckets.from == 5);                     // the range the samples were taken from, not the grid's
  BOOST_TEST(buckets.series[0].points.size() == 2u);  // 333.334 s buckets: 10-30 s, 500 s
}

BOOST_AUTO_TEST_CASE(an_aggregate_means_only_buckets_can_answer) {
  SeriesBuilder b(planSeries(0, 100 * kS, 10, kRollupWidthsS), 1'000);
  b.addSample(1, "t", 10 * kS, 1.0);
  b.addAggregate(1, "t", 0, SampleAggregate{.count = 1, .min = 2, .max = 2, .sum = 2});
  BOOST_TEST(b.samples() == 2u);
  BOOST_TEST(!b.rawKept());
}

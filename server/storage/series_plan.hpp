// The pure part of charting a metric: which rollup level answers a query, the grid of buckets
// over its range, and a builder that sums samples and rollup aggregates into that grid. Shared
// by the SQLite store (rollups plus the newest raw rows) and the in-memory test store (raw only).
//
// Rollups (sqlite_schema.cpp) hold, per test, metric, agent, target and bucket, the count, min,
// max and sum of a metric's finite values, at each width of a fixed ladder. Each width divides the
// next, so a coarser level is the merge of the finer one and a grid of whole level buckets is
// answered exactly from rollup rows.
#pragma once

#include "server/storage/series_records.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace streamswarm::server {

inline constexpr TimeNs kNsPerSecond = 1'000'000'000;
inline constexpr TimeNs kNsPerMs = 1'000'000;

// Rollup widths in seconds, ascending, each dividing the next.
inline constexpr std::array<std::int64_t, 6> kRollupWidthsS{10, 60, 300, 1'800, 10'800, 86'400};
// A level is kept for a test only when its buckets hold at least this many of the test's samples
// (width >= this x interval): finer ones would cost nearly a row per sample and save little over
// reading the raw rows. With the ladder's steps of at most 8x, a query that falls below a test's
// finest level reads at most ~32 x points raw samples per series.
inline constexpr std::int64_t kMinSamplesPerRollupBucket = 4;

// The widths (s) kept for a test run every `intervalNs`: a suffix of kRollupWidthsS.
std::span<const std::int64_t> rollupWidthsFor(TimeNs intervalNs);

// Largest multiple of `width` at or below `t` (also for negative t).
TimeNs floorTo(TimeNs t, TimeNs width);

struct SeriesPlan {
  TimeNs levelNs = 0;   // the rollup width the grid is made of; 0: raw samples only (1 ms grid)
  TimeNs start = 0;     // the first bucket's start: `from` rounded down to the level (or 1 ms)
  TimeNs bucketNs = 0;  // a multiple of the level
  std::size_t buckets = 0;
  TimeNs end() const { return start + bucketNs * static_cast<TimeNs>(buckets); }
};

// The grid for [from, to) (from < to) in at most `points` buckets: the coarsest of `widthsS` not
// wider than (to - from) / points, or a 1 ms grid over raw samples when none is that fine.
SeriesPlan planSeries(TimeNs from, TimeNs to, std::size_t points, std::span<const std::int64_t> widthsS);

struct SampleAggregate {
  std::int64_t count = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;

  void add(double value) {
    ++count;
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  void merge(const SampleAggregate& other) {
    count += other.count;
    if (other.min < min) min = other.min;
    if (other.max > max) max = other.max;
    sum += other.sum;
  }
};

// Collects one metric's samples and rollup aggregates per (agent, target) into a plan's buckets.
// Agents are the caller's integer keys (the store's rids), turned into ids when building the
// answer. Keeps the raw samples as well while there are at most `rawLimit` of them, so a range
// holding few samples can be answered with them.
class SeriesBuilder {
 public:
  SeriesBuilder(const SeriesPlan& plan, std::size_t rawLimit);

  // Non-finite values are skipped. `ts` outside the plan's range is skipped.
  void addSample(std::int64_t agent, std::string_view target, TimeNs ts, double value);
  // `bucketStart` is a level bucket's start within the plan's range.
  void addAggregate(std::int64_t agent, std::string_view target, TimeNs bucketStart, const SampleAggregate& a);

  std::size_t samples() const { return samples_; }
  bool rawKept() const { return samples_ <= rawLimit_; }

  using AgentName = std::function<std::string(std::int64_t)>;
  // The buckets; the range they summarise is the plan's.
  SeriesData downsampled(const AgentName& agentName) const;
  // For samples all taken from [from, to): one point per sample while rawKept(), else the buckets;
  // the range is [from, to) either way.
  SeriesData answer(const AgentName& agentName, TimeNs from, TimeNs to) const;

 private:
  struct One {
    std::int64_t agent = 0;
    std::string target;
    std::vector<SampleAggregate> buckets;              // plan_.buckets of them, allocated on first use
    std::vector<std::pair<TimeNs, double>> rawPoints;  // while rawKept()
  };
  One& series(std::int64_t agent, std::string_view target);
  std::vector<std::pair<std::string, const One*>> sorted(const AgentName& agentName) const;  // by id, target

  SeriesPlan plan_;
  std::size_t rawLimit_;
  std::size_t samples_ = 0;
  std::vector<One> series_;
  static constexpr std::size_t kScannedSeries = 16;     // looked up by comparing; more: index_
  std::unordered_map<std::string, std::size_t> index_;  // "<agent>\n<target>" -> series_
  std::string key_;                                     // reused lookup key
};

}  // namespace streamswarm::server

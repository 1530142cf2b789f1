// What the Store returns for charts: one metric of a test over time, per (agent, target) series,
// downsampled to buckets of count/min/max/sum or as raw samples.
#pragma once

#include "server/storage/records.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::server {

struct SeriesQuery {
  std::string testId;
  std::string metric;
  std::optional<std::string> agentId;  // none: every agent
  std::optional<std::string> target;   // none: every target
  std::optional<TimeNs> from;          // inclusive; none: the test's first result
  std::optional<TimeNs> to;            // exclusive; none: just after the test's last result
  std::size_t points = 1'000;          // at most this many points per series (at least 1)
};

// One bucket (or, raw, one sample: min = avg = max, count 1). Non-finite values are left out.
struct SeriesPoint {
  TimeNs start = 0;
  double min = 0;
  double avg = 0;
  double max = 0;
  std::int64_t count = 0;
};

struct Series {
  std::string agentId;
  std::string target;
  std::vector<SeriesPoint> points;  // ascending start; empty buckets are left out
};

struct SeriesData {
  // The range the points summarise: the query's (or the test's data) range for raw samples; for
  // buckets, that range widened to whole buckets. None when there is nothing to chart.
  std::optional<TimeNs> from;
  std::optional<TimeNs> to;
  TimeNs bucketNs = 0;  // 0: raw samples
  bool downsampled = false;
  std::vector<Series> series;  // by agent id, then target
};

// What has been stored for a test: the metric names and the (agent id, target) series.
struct TestSeriesCatalog {
  std::vector<std::string> metrics;                         // sorted
  std::vector<std::pair<std::string, std::string>> series;  // sorted
};

}  // namespace streamswarm::server

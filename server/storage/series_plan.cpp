#include "server/storage/series_plan.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace streamswarm::server {

namespace {

TimeNs ceilDiv(TimeNs a, TimeNs b) {
  return a / b + (a % b != 0 ? 1 : 0);  // a >= 0, b > 0
}

SeriesPoint bucketPoint(TimeNs start, const SampleAggregate& a) {
  return {.start = start, .min = a.min, .avg = a.sum / static_cast<double>(a.count), .max = a.max, .count = a.count};
}

}  // namespace

std::span<const std::int64_t> rollupWidthsFor(TimeNs intervalNs) {
  const auto first = std::find_if(kRollupWidthsS.begin(), kRollupWidthsS.end(), [&](std::int64_t w) {
    return w * kNsPerSecond >= kMinSamplesPerRollupBucket * intervalNs;
  });
  return {first, kRollupWidthsS.end()};
}

TimeNs floorTo(TimeNs t, TimeNs width) {
  const TimeNs q = t / width;
  return (t % width < 0 ? q - 1 : q) * width;
}

SeriesPlan planSeries(TimeNs from, TimeNs to, std::size_t points, std::span<const std::int64_t> widthsS) {
  const auto n = static_cast<TimeNs>(std::max<std::size_t>(points, 1));
  const TimeNs wanted = ceilDiv(to - from, n);
  SeriesPlan plan;
  TimeNs unit = kNsPerMs;
  for (const std::int64_t w : widthsS)
    if (w * kNsPerSecond <= wanted) plan.levelNs = unit = w * kNsPerSecond;
  // Starting on a level boundary, whole level buckets make whole grid buckets. The span from
  // there is at most one unit longer than the range, and sizing buckets by it keeps them <= n.
  plan.start = floorTo(from, unit);
  const TimeNs span = to - plan.start;
  plan.bucketNs = ceilDiv(ceilDiv(span, n), unit) * unit;
  plan.buckets = static_cast<std::size_t>(ceilDiv(span, plan.bucketNs));
  return plan;
}

SeriesBuilder::SeriesBuilder(const SeriesPlan& plan, std::size_t rawLimit) : plan_(plan), rawLimit_(rawLimit) {}

SeriesBuilder::One& SeriesBuilder::series(std::int64_t agent, std::string_view target) {
  // Rows come in time order, alternating between a few series: comparing with each is cheaper
  // than hashing a key per row. Beyond a few, the hash map.
  if (index_.empty()) {
    for (One& s : series_)
      if (s.agent == agent && s.target == target) return s;
    if (series_.size() < kScannedSeries) {
      series_.push_back(One{.agent = agent, .target = std::string(target), .buckets = {}, .rawPoints = {}});
      return series_.back();
    }
    for (std::size_t i = 0; i < series_.size(); ++i)
      index_.emplace(std::to_string(series_[i].agent) + '\n' + series_[i].target, i);
  }
  key_.assign(std::to_string(agent)).append(1, '\n').append(target);
  const auto [it, added] = index_.try_emplace(key_, series_.size());
  if (added) series_.push_back(One{.agent = agent, .target = std::string(target), .buckets = {}, .rawPoints = {}});
  return series_[it->second];
}

void SeriesBuilder::addSample(std::int64_t agent, std::string_view target, TimeNs ts, double value) {
  if (!std::isfinite(value) || ts < plan_.start || ts >= plan_.end()) return;
  One& s = series(agent, target);
  if (s.buckets.empty()) s.buckets.resize(plan_.buckets);
  s.buckets[static_cast<std::size_t>((ts - plan_.start) / plan_.bucketNs)].add(value);
  ++samples_;
  if (samples_ <= rawLimit_) {
    s.rawPoints.emplace_back(ts, value);
  } else if (samples_ == rawLimit_ + 1) {
    for (One& other : series_) std::vector<std::pair<TimeNs, double>>().swap(other.rawPoints);
  }
}

void SeriesBuilder::addAggregate(std::int64_t agent, std::string_view target, TimeNs bucketStart,
                                 const SampleAggregate& a) {
  if (a.count <= 0 || bucketStart < plan_.start || bucketStart >= plan_.end()) return;
  One& s = series(agent, target);
  if (s.buckets.empty()) s.buckets.resize(plan_.buckets);
  s.buckets[static_cast<std::size_t>((bucketStart - plan_.start) / plan_.bucketNs)].merge(a);
  // Aggregates have no raw samples to keep: from here on only buckets can answer.
  samples_ += static_cast<std::size_t>(a.count);
  rawLimit_ = 0;
  for (One& other : series_) std::vector<std::pair<TimeNs, double>>().swap(other.rawPoints);
}

std::vector<std::pair<std::string, const SeriesBuilder::One*>> SeriesBuilder::sorted(const AgentName& agentName) const {
  std::vector<std::pair<std::string, const One*>> out;
  out.reserve(series_.size());
  for (const One& s : series_) out.emplace_back(agentName(s.agent), &s);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second->target) < std::tie(b.first, b.second->target);
  });
  return out;
}

SeriesData SeriesBuilder::downsampled(const AgentName& agentName) const {
  SeriesData data{
      .from = plan_.start, .to = plan_.end(), .bucketNs = plan_.bucketNs, .downsampled = true, .series = {}};
  for (const auto& [name, one] : sorted(agentName)) {
    Series out{.agentId = name, .target = one->target, .points = {}};
    const auto& buckets = one->buckets;
    for (std::size_t b = 0; b < buckets.size(); ++b)
      if (buckets[b].count > 0)
        out.points.push_back(bucketPoint(plan_.start + static_cast<TimeNs>(b) * plan_.bucketNs, buckets[b]));
    data.series.push_back(std::move(out));
  }
  return data;
}

SeriesData SeriesBuilder::answer(const AgentName& agentName, TimeNs from, TimeNs to) const {
  if (!rawKept()) {
    auto data = downsampled(agentName);
    data.from = from;
    data.to = to;
    return data;
  }
  SeriesData data{.from = from, .to = to, .bucketNs = 0, .downsampled = false, .series = {}};
  for (const auto& [name, one] : sorted(agentName)) {
    auto samples = one->rawPoints;
    std::stable_sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Series out{.agentId = name, .target = one->target, .points = {}};
    out.points.reserve(samples.size());
    for (const auto& [ts, v] : samples) out.points.push_back({.start = ts, .min = v, .avg = v, .max = v, .count = 1});
    data.series.push_back(std::move(out));
  }
  return data;
}

}  // namespace streamswarm::server

#include "server/storage/sqlite_series.hpp"

#include "server/storage/metric_blob.hpp"
#include "server/storage/store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace streamswarm::server::sqlite {

namespace {

// One level bucket of one series of one metric, while a pass sums it up.
struct BucketKey {
  std::int64_t test, metric, widthS, start, agent;
  std::uint32_t target;
  bool operator==(const BucketKey&) const = default;
};

struct BucketKeyHash {
  std::size_t operator()(const BucketKey& k) const {
    std::size_t h = 0;
    for (const auto v : {k.test, k.metric, k.widthS, k.start, k.agent, static_cast<std::int64_t>(k.target)})
      h = h * 0x9e3779b97f4a7c15ULL + std::hash<std::int64_t>{}(v);
    return h;
  }
};

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct SeriesKeyHash {
  std::size_t operator()(const RollupPass::SeriesKey& k) const {
    return BucketKeyHash{}({k.test, k.metric, 0, 0, k.agent, k.target});
  }
};

struct SeriesKeyEqual {
  bool operator()(const RollupPass::SeriesKey& a, const RollupPass::SeriesKey& b) const {
    return a.test == b.test && a.agent == b.agent && a.metric == b.metric && a.target == b.target;
  }
};

std::int64_t clampToInt64(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, std::numeric_limits<std::int64_t>::max()));
}

std::pair<std::int64_t, std::int64_t> rollupState(Connection& c) {
  Cursor q(c.statement("SELECT watermark, deletions FROM rollup_state WHERE id = 1"));
  if (!q.next()) throw StoreError("rollup_state has no row");
  return {q.integer(0), q.integer(1)};
}

// The metric's value in a row's packed metrics; none when the row lacks it.
std::optional<double> valueIn(const Cursor& q, int column, std::int64_t metricId) {
  bool ok = true;
  const auto v = findMetric(q.blob(column), static_cast<std::uint64_t>(metricId), ok);
  if (!ok) throw StoreError("corrupt metrics in a results row");
  return v;
}

struct TestRow {
  std::int64_t rid = 0;
  TimeNs intervalNs = 0;
};

std::optional<TestRow> findTestRow(Connection& c, const std::string& id) {
  Cursor q(c.statement("SELECT rid, interval_ns FROM tests WHERE id = ?1"));
  q.bindText(1, id);
  if (!q.next()) return std::nullopt;
  return TestRow{q.integer(0), q.integer(1)};
}

std::optional<std::pair<TimeNs, TimeNs>> testExtent(Connection& c, std::int64_t testRid) {
  Cursor first(c.statement(kFirstTsSql));
  first.bindInt(1, testRid);
  if (!first.next() || first.isNull(0)) return std::nullopt;
  Cursor last(c.statement(kLastTsSql));
  last.bindInt(1, testRid);
  if (!last.next() || last.isNull(0)) return std::nullopt;
  return std::pair{first.integer(0), last.integer(0)};
}

}  // namespace

// ---- The worker's pass --------------------------------------------------------------------------

RollupPass collectRollups(Connection& reader, std::size_t maxRows, std::size_t maxWrites) {
  ReadSnapshot snapshot(reader);
  RollupPass pass;
  std::tie(pass.watermark, pass.deletions) = rollupState(reader);
  pass.lastRowid = pass.watermark;

  std::unordered_map<std::int64_t, std::span<const std::int64_t>> widthsOf;  // test rid -> kept levels
  std::unordered_map<std::string, std::uint32_t, TextHash, std::equal_to<>> targetIndex;
  std::unordered_map<BucketKey, SampleAggregate, BucketKeyHash> finest;   // at each test's finest level
  std::unordered_map<BucketKey, SampleAggregate, BucketKeyHash> coarser;  // keys as met, sums at the end
  std::unordered_set<RollupPass::SeriesKey, SeriesKeyHash, SeriesKeyEqual> series;
  std::size_t writes = 0;  // rows to write: buckets at every level, new series

  // A rowid range rather than a row count: SQLite passes over the results of no test (an agent's
  // local sections: nothing to chart) without handing them out.
  std::int64_t top = 0;
  {
    Cursor q(reader.statement("SELECT coalesce(max(rowid), 0) FROM results"));
    if (q.next()) top = q.integer(0);
  }
  const std::int64_t last = top - pass.watermark > clampToInt64(maxRows) ? pass.watermark + clampToInt64(maxRows) : top;
  if (last <= pass.watermark) return pass;
  pass.lastRowid = last;
  Cursor rows(reader.statement(kCollectSql));
  rows.bindInt(1, pass.watermark).bindInt(2, last);
  while (rows.next()) {
    if (writes >= maxWrites) {
      pass.lastRowid = rows.integer(0) - 1;  // the rows before this one are all in
      break;
    }
    const std::int64_t test = rows.integer(1);
    auto widths = widthsOf.find(test);
    if (widths == widthsOf.end()) {
      Cursor t(reader.statement("SELECT interval_ns FROM tests WHERE rid = ?1"));
      t.bindInt(1, test);
      // The foreign key keeps a result's test; a damaged database rolls nothing up for it.
      widths = widthsOf.emplace(test, t.next() ? rollupWidthsFor(t.integer(0)) : std::span<const std::int64_t>()).first;
    }
    const std::int64_t agent = rows.integer(2);
    auto target = targetIndex.find(rows.textView(3));
    if (target == targetIndex.end()) {
      target = targetIndex.emplace(rows.textView(3), static_cast<std::uint32_t>(pass.targets.size())).first;
      pass.targets.push_back(target->first);
    }
    const TimeNs ts = rows.integer(4);
    MetricBlobReader metrics(rows.blob(5));
    for (PackedMetric m; metrics.next(m);) {
      const auto metric = static_cast<std::int64_t>(m.id);
      writes += series.insert({test, agent, metric, target->second}).second ? 1 : 0;
      if (widths->second.empty() || !std::isfinite(m.value)) continue;
      const std::int64_t w = widths->second.front();
      const auto [bucket, isNew] =
          finest.try_emplace({test, metric, w, floorTo(ts, w * kNsPerSecond), agent, target->second});
      bucket->second.add(m.value);
      if (!isNew) continue;
      ++writes;
      for (const std::int64_t coarse : widths->second.subspan(1))
        writes += coarser.try_emplace({test, metric, coarse, floorTo(ts, coarse * kNsPerSecond), agent, target->second})
                      .second;
    }
    if (!metrics.ok()) throw StoreError("corrupt metrics in results row " + std::to_string(rows.integer(0)));
  }
  pass.results = static_cast<std::size_t>(pass.lastRowid - pass.watermark);
  pass.cut = pass.lastRowid < top;

  // Coarser levels are merges of the finest: each width divides the next.
  for (const auto& [key, aggregate] : finest)
    for (const std::int64_t w : widthsOf.at(key.test).subspan(1))
      coarser[{key.test, key.metric, w, floorTo(key.start, w * kNsPerSecond), key.agent, key.target}].merge(aggregate);
  pass.buckets.reserve(finest.size() + coarser.size());
  for (const auto& [key, aggregate] : finest)
    pass.buckets.push_back({key.test, key.metric, key.widthS, key.start, key.agent, key.target, aggregate});
  for (const auto& [key, aggregate] : coarser)
    pass.buckets.push_back({key.test, key.metric, key.widthS, key.start, key.agent, key.target, aggregate});
  pass.series.assign(series.begin(), series.end());
  return pass;
}

bool applyRollups(Connection& writer, const RollupPass& pass) {
  if (pass.results == 0) return true;
  Transaction tx(writer);
  if (rollupState(writer) != std::pair{pass.watermark, pass.deletions}) return false;
  {
    Statement& upsert = writer.statement(
        "INSERT INTO rollups (test, metric, width_s, bucket, agent, target, samples, min_value, max_value, sum_value) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO UPDATE SET "
        "samples = samples + excluded.samples, min_value = min(min_value, excluded.min_value), "
        "max_value = max(max_value, excluded.max_value), sum_value = sum_value + excluded.sum_value");
    for (const auto& b : pass.buckets) {
      Cursor q(upsert);
      q.bindInt(1, b.test).bindInt(2, b.metric).bindInt(3, b.widthS).bindInt(4, b.start).bindInt(5, b.agent);
      q.bindTextStatic(6, pass.targets[b.target]).bindInt(7, b.aggregate.count);
      q.bindReal(8, b.aggregate.min).bindReal(9, b.aggregate.max).bindReal(10, b.aggregate.sum).run();
    }
  }
  {
    Statement& insert =
        writer.statement("INSERT OR IGNORE INTO rollup_series (test, agent, target, metric) VALUES (?1, ?2, ?3, ?4)");
    for (const auto& s : pass.series) {
      Cursor q(insert);
      q.bindInt(1, s.test).bindInt(2, s.agent).bindTextStatic(3, pass.targets[s.target]).bindInt(4, s.metric).run();
    }
  }
  {
    Cursor q(writer.statement("UPDATE rollup_state SET watermark = ?1 WHERE id = 1"));
    q.bindInt(1, pass.lastRowid).run();
  }
  tx.commit();
  return true;
}

// ---- Deleting -----------------------------------------------------------------------------------

void noteResultsDeleted(Connection& writer) {
  writer.exec(
      "UPDATE rollup_state SET deletions = deletions + 1, "
      "watermark = min(watermark, coalesce((SELECT max(rowid) FROM results), 0)) WHERE id = 1");
}

std::size_t deleteRollupsOfTest(Connection& writer, std::int64_t testRid, std::optional<std::size_t> limit) {
  if (limit) {
    Cursor q(writer.statement(
        "DELETE FROM rollups WHERE (test, metric, width_s, bucket, agent, target) IN "
        "(SELECT test, metric, width_s, bucket, agent, target FROM rollups WHERE test = ?1 LIMIT ?2)"));
    q.bindInt(1, testRid).bindInt(2, clampToInt64(*limit)).run();
    return static_cast<std::size_t>(writer.changes());
  }
  std::size_t deleted = 0;
  {
    Cursor q(writer.statement("DELETE FROM rollups WHERE test = ?1"));
    q.bindInt(1, testRid).run();
    deleted = static_cast<std::size_t>(writer.changes());
  }
  Cursor q(writer.statement("DELETE FROM rollup_series WHERE test = ?1"));
  q.bindInt(1, testRid).run();
  return deleted;
}

std::size_t rollupBacklog(Connection& reader) {
  Cursor q(reader.statement("SELECT count(*) FROM results WHERE rowid > (SELECT watermark FROM rollup_state)"));
  return q.next() ? static_cast<std::size_t>(q.integer(0)) : 0;
}

// ---- Charts -------------------------------------------------------------------------------------

std::string seriesSql(SeriesSource source, bool byAgent, bool byTarget) {
  std::string sql;
  int next = 4;  // the first filter parameter
  switch (source) {
    case SeriesSource::kRollups:
      sql =
          "SELECT agent, target, bucket, samples, min_value, max_value, sum_value FROM rollups "
          "WHERE test = ?1 AND metric = ?2 AND width_s = ?3 AND bucket >= ?4 AND bucket < ?5";
      next = 6;
      break;
    case SeriesSource::kTail:
      sql =
          "SELECT agent, target, ts, metrics FROM results NOT INDEXED WHERE rowid > "
          "(SELECT watermark FROM rollup_state) AND test = ?1 AND ts >= ?2 AND ts < ?3";
      break;
    case SeriesSource::kRaw:
      sql = "SELECT agent, target, ts, metrics FROM results WHERE test = ?1 AND ts >= ?2 AND ts < ?3";
      break;
  }
  if (byAgent) sql += " AND agent = ?" + std::to_string(next);
  if (byTarget) sql += " AND target = ?" + std::to_string(next + 1);
  return sql;
}

std::optional<SeriesData> querySeries(Connection& reader, const SeriesQuery& query, NameDictionary& metricNames,
                                      NameDictionary& agentIds) {
  ReadSnapshot snapshot(reader);
  const auto test = findTestRow(reader, query.testId);
  if (!test) return std::nullopt;
  SeriesData nothing{.from = query.from, .to = query.to, .bucketNs = 0, .downsampled = false, .series = {}};
  const auto metric = metricNames.findId(reader, query.metric);
  if (!metric) return nothing;
  std::optional<std::int64_t> agent;
  if (query.agentId && !(agent = agentIds.findId(reader, *query.agentId))) return nothing;
  TimeNs from = 0, to = 0;
  if (!query.from || !query.to) {
    const auto extent = testExtent(reader, test->rid);
    if (!extent) return nothing;
    from = query.from.value_or(extent->first);
    to = query.to.value_or(extent->second + 1);
  }
  if (query.from) from = *query.from;
  if (query.to) to = *query.to;
  if (from >= to) return nothing;

  const auto agentName = [&](std::int64_t rid) { return agentIds.nameOf(reader, rid); };
  const auto bindFilters = [&](Cursor& q, int agentParam) {
    if (agent) q.bindInt(agentParam, *agent);
    if (query.target) q.bindText(agentParam + 1, *query.target);
  };
  const auto sql = [&](SeriesSource source) { return seriesSql(source, agent.has_value(), query.target.has_value()); };

  const SeriesPlan plan = planSeries(from, to, query.points, rollupWidthsFor(test->intervalNs));
  if (plan.levelNs > 0) {
    // Whole level buckets from the rollups, and the rows the worker has not reached yet.
    SeriesBuilder buckets(plan, 0);
    {
      Cursor q(reader.statement(sql(SeriesSource::kRollups)));
      q.bindInt(1, test->rid).bindInt(2, *metric).bindInt(3, plan.levelNs / kNsPerSecond);
      q.bindInt(4, plan.start).bindInt(5, plan.end());
      bindFilters(q, 6);
      while (q.next())
        buckets.addAggregate(q.integer(0), q.textView(1), q.integer(2),
                             {.count = q.integer(3), .min = q.real(4), .max = q.real(5), .sum = q.real(6)});
    }
    {
      Cursor q(reader.statement(sql(SeriesSource::kTail)));
      q.bindInt(1, test->rid).bindInt(2, plan.start).bindInt(3, plan.end());
      bindFilters(q, 4);
      while (q.next())
        if (const auto v = valueIn(q, 3, *metric)) buckets.addSample(q.integer(0), q.textView(1), q.integer(2), *v);
    }
    if (buckets.samples() > query.points) return buckets.downsampled(agentName);
  }

  // Few samples in range (or no level fine enough): read them.
  SeriesBuilder samples(planSeries(from, to, query.points, {}), query.points);
  Cursor q(reader.statement(sql(SeriesSource::kRaw)));
  q.bindInt(1, test->rid).bindInt(2, from).bindInt(3, to);
  bindFilters(q, 4);
  while (q.next())
    if (const auto v = valueIn(q, 3, *metric)) samples.addSample(q.integer(0), q.textView(1), q.integer(2), *v);
  return samples.answer(agentName, from, to);
}

std::optional<TestSeriesCatalog> describeTestSeries(Connection& reader, const std::string& testId,
                                                    NameDictionary& metricNames, NameDictionary& agentIds) {
  ReadSnapshot snapshot(reader);
  const auto test = findTestRow(reader, testId);
  if (!test) return std::nullopt;
  std::set<std::int64_t> metrics;
  std::set<std::pair<std::int64_t, std::string>> series;
  {
    Cursor q(reader.statement("SELECT agent, target, metric FROM rollup_series WHERE test = ?1"));
    q.bindInt(1, test->rid);
    while (q.next()) {
      series.emplace(q.integer(0), q.text(1));
      metrics.insert(q.integer(2));
    }
  }
  {
    Cursor q(reader.statement(
        "SELECT agent, target, metrics FROM results NOT INDEXED WHERE rowid > (SELECT watermark FROM rollup_state) "
        "AND test = ?1"));
    q.bindInt(1, test->rid);
    while (q.next()) {
      series.emplace(q.integer(0), q.text(1));
      MetricBlobReader packed(q.blob(2));
      for (PackedMetric m; packed.next(m);) metrics.insert(static_cast<std::int64_t>(m.id));
      if (!packed.ok()) throw StoreError("corrupt metrics in a results row");
    }
  }
  TestSeriesCatalog out;
  for (const auto id : metrics) out.metrics.push_back(metricNames.nameOf(reader, id));
  for (const auto& [agent, target] : series) out.series.emplace_back(agentIds.nameOf(reader, agent), target);
  std::sort(out.metrics.begin(), out.metrics.end());
  std::sort(out.series.begin(), out.series.end());
  return out;
}

}  // namespace streamswarm::server::sqlite

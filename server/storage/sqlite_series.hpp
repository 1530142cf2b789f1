// The rollups of test results in SQLite (tables in sqlite_schema.cpp, levels and grids in
// series_plan.hpp): the worker's two halves (collect on a read snapshot, apply in a short write
// transaction), what deleting results must do to them, and the chart queries over them.
#pragma once

#include "server/storage/name_dictionary.hpp"
#include "server/storage/series_plan.hpp"
#include "server/storage/sqlite_connection.hpp"
#include "server/storage/store.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::server::sqlite {

// What one worker pass read: aggregates per level bucket and the series seen, to be added.
struct RollupPass final : server::RollupPass {
  std::size_t rows() const override { return results; }
  bool more() const override { return cut; }

  std::int64_t watermark = 0;  // rollup_state as the pass read it
  std::int64_t deletions = 0;
  std::int64_t lastRowid = 0;  // the watermark once applied
  std::size_t results = 0;     // rowids moved past (results of no test, and deleted ones, included)
  bool cut = false;            // stopped at maxRows or maxWrites

  struct Bucket {
    std::int64_t test = 0, metric = 0, widthS = 0, start = 0, agent = 0;
    std::uint32_t target = 0;  // index into targets
    SampleAggregate aggregate;
  };
  struct SeriesKey {
    std::int64_t test = 0, agent = 0, metric = 0;
    std::uint32_t target = 0;
  };
  std::vector<Bucket> buckets;
  std::vector<SeriesKey> series;
  std::vector<std::string> targets;
};

// Reads results above the watermark, in rowid order, on a snapshot of its own: up to `maxRows`
// rowids, and no more once they make `maxWrites` rows to write.
RollupPass collectRollups(Connection& reader, std::size_t maxRows, std::size_t maxWrites);
// ?1 watermark, ?2 last rowid of the pass. NOT INDEXED: the partial index on test would otherwise
// look like a way to find "test IS NOT NULL".
inline constexpr const char* kCollectSql =
    "SELECT rowid, test, agent, target, ts, metrics FROM results NOT INDEXED "
    "WHERE rowid > ?1 AND rowid <= ?2 AND test IS NOT NULL ORDER BY rowid";
// Adds a pass and advances the watermark, in one transaction. False, writing nothing, when
// results were deleted or the watermark moved since the pass was read: collect again.
bool applyRollups(Connection& writer, const RollupPass& pass);

// Part of every transaction that deletes results (see rollup_state in sqlite_schema.cpp).
void noteResultsDeleted(Connection& writer);
// Deletes up to `limit` rollup rows of a test (all of them, and its series, when none); returns
// how many rows went.
std::size_t deleteRollupsOfTest(Connection& writer, std::int64_t testRid, std::optional<std::size_t> limit);

// Results not rolled up yet.
std::size_t rollupBacklog(Connection& reader);

// The statements of a chart query (their plans are checked by the storage tests). Filters by
// agent and target are added only when asked for: a "?6 IS NULL OR" on every row doubles a scan.
enum class SeriesSource {
  kRollups,  // ?1 test rid, ?2 metric id, ?3 width_s, ?4..?5 bucket range
  kTail,     // ?1 test rid, ?2..?3 ts range: results above the watermark (NOT INDEXED walks the
             // short rowid range there, never the test's whole index range)
  kRaw,      // as kTail, every result in the range
};
// Then ?6 (rollups; ?4 for results) agent rid and ?7 (?5) target, when filtered by.
std::string seriesSql(SeriesSource source, bool byAgent, bool byTarget);
// A test's first and last result: one index seek each (min and max in one statement would scan).
inline constexpr const char* kFirstTsSql = "SELECT min(ts) FROM results WHERE test = ?1";
inline constexpr const char* kLastTsSql = "SELECT max(ts) FROM results WHERE test = ?1";

// Store::querySeries and Store::describeTestSeries, each on one read snapshot.
std::optional<SeriesData> querySeries(Connection& reader, const SeriesQuery& query, NameDictionary& metricNames,
                                      NameDictionary& agentIds);
std::optional<TestSeriesCatalog> describeTestSeries(Connection& reader, const std::string& testId,
                                                    NameDictionary& metricNames, NameDictionary& agentIds);

}  // namespace streamswarm::server::sqlite

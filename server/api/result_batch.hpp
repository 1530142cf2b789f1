// Parses a POST /api/v1/agents/{id}/results body into ResultRecords. On the hot path of ingest:
// read token by token straight into the records (ResultBatchParser), no DOM in between.
#pragma once

#include "server/storage/records.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::server {

inline constexpr std::size_t kMaxBatchResults = 5000;
inline constexpr std::size_t kMaxMetricsPerResult = 10'000;

struct ResultBatch {
  std::optional<std::int64_t> dropped;  // the agent's cumulative count of results its full spool dropped
  std::vector<ResultRecord> results;
};

// Throws ApiError: 400 "malformed JSON at ..." (as parseJsonBody), 400 naming results[i].field for
// malformed results and a seq that does not increase, 413 for more than kMaxBatchResults. Sets
// agentId on every record.
ResultBatch parseResultBatch(std::string_view body, const std::string& agentId);

// parseResultBatch into the records of batches already handled and given back: a plugin sends the
// same metrics run after run, so the strings holding their names are overwritten in place instead
// of allocated and freed for every result. Thread-safe.
class ResultBatchReader {
 public:
  // Batches kept for reuse (one per request in flight is enough), and the most metrics one may
  // hold (about 7 MB of records): what an idle reader keeps is bounded.
  static constexpr std::size_t kMaxSpareBatches = 4;
  static constexpr std::size_t kMaxSpareMetrics = 100'000;

  ResultBatch read(std::string_view body, const std::string& agentId);
  // Hands a batch's records back for the next read (a batch over the limits is freed instead).
  void recycle(ResultBatch&& batch);

 private:
  std::mutex mutex_;
  std::vector<std::vector<ResultRecord>> spares_;
};

}  // namespace streamswarm::server

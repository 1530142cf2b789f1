// Parses a POST /api/v1/agents/{id}/results body into ResultRecords. Pure and on the hot path of
// ingest: one parse into a monotonic arena, strings moved out once.
#pragma once

#include "server/storage/records.hpp"

#include <cstdint>
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

// Throws ApiError: 400 naming results[i].field for malformed results and a seq that does not
// increase, 413 for more than kMaxBatchResults. Sets agentId on every record.
ResultBatch parseResultBatch(std::string_view body, const std::string& agentId);

}  // namespace streamswarm::server

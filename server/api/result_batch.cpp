#include "server/api/result_batch.hpp"

#include "server/api/result_batch_parser.hpp"

#include <algorithm>

namespace streamswarm::server {

ResultBatch parseResultBatch(std::string_view body, const std::string& agentId) {
  return ResultBatchParser::parse(body, agentId, {});
}

ResultBatch ResultBatchReader::read(std::string_view body, const std::string& agentId) {
  std::vector<ResultRecord> records;
  {
    // The largest set: the most names to find in place.
    std::lock_guard lock(mutex_);
    const auto largest = std::max_element(spares_.begin(), spares_.end(),
                                          [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (largest != spares_.end()) {
      records = std::move(*largest);
      spares_.erase(largest);
    }
  }
  return ResultBatchParser::parse(body, agentId, std::move(records));
}

void ResultBatchReader::recycle(ResultBatch&& batch) {
  std::size_t metrics = 0;
  for (const auto& r : batch.results) metrics += r.metrics.size();
  if (metrics > kMaxSpareMetrics) return;
  std::lock_guard lock(mutex_);
  if (spares_.size() < kMaxSpareBatches) spares_.push_back(std::move(batch.results));
}

}  // namespace streamswarm::server

// Results shaped like the ones agents send: a ping result with 10 metrics against a target, a
// sysmetrics result with 40 host metrics. Shared by the ingest benchmarks so the raw-insert
// baseline, the store and the HTTP path all handle the same rows.
#pragma once

#include "server/storage/records.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace streamswarm::bench {

enum class ResultKind { kPing, kSysmetrics };

inline constexpr std::size_t kPingMetrics = 10;
inline constexpr std::size_t kSysmetricsMetrics = 40;

// One agent's results, one batch at a time: seq 1, 2, 3 ... and timestamps 1 s apart per result
// (so several agents' rows interleave in time as they would on a server).
class ResultStream {
 public:
  // `testId`: the test the results belong to (none: the agent's local configuration).
  ResultStream(ResultKind kind, std::optional<std::string> testId, std::uint64_t seed);

  std::vector<server::ResultRecord> nextBatch(std::size_t size);

 private:
  server::ResultRecord next();

  ResultKind kind_;
  std::optional<std::string> testId_;
  std::mt19937_64 rng_;
  std::int64_t seq_ = 0;
  server::TimeNs ts_;
};

// What one simulated agent posts in one request.
struct AgentBatch {
  std::string agentId;
  std::vector<server::ResultRecord> results;
};

struct WorkloadShape {
  ResultKind kind = ResultKind::kPing;
  std::size_t agents = 8;
  std::size_t batchSize = 1'000;
  std::size_t totalResults = 100'000;  // rounded up to whole batches
  std::uint64_t seed = 1;
};

// Agents "ag-bench-<i>" take turns sending a batch each. Ping results belong to test
// "t-bench-ping" (one test on every agent); sysmetrics results to no test (local sections).
std::vector<AgentBatch> makeWorkload(const WorkloadShape& shape);
std::string agentIdFor(std::size_t index);
inline constexpr const char* kPingTestId = "t-bench-ping";

const char* kindName(ResultKind kind);

}  // namespace streamswarm::bench

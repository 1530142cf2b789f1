#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::core {

// One measurement as the agent hands it on (to stdout now, to the server's spool later).
struct ProbeResult {
  std::string plugin;
  std::string instance;  // empty for the unnamed instance
  std::string testId;    // the server test this run belongs to; empty for a local config section
  std::string target;    // empty when the probe has none
  std::int64_t timestampNs = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::optional<std::string> document;  // one JSON object, checked when received
  std::uint32_t documentSchema = 0;
  std::string error;  // empty when the measurement succeeded
};

// One line of JSON, numbers in their shortest exact form:
// {"plugin","test_id"?,"instance"?,"target"?,"timestamp","metrics":{},"document"?,"document_schema"?,"error"?}
std::string toJsonLine(const ProbeResult& result);

// UTC, RFC 3339 with microseconds: 2026-11-21T23:59:01.123456Z
std::string rfc3339(std::int64_t unixNs);

}  // namespace streamswarm::core

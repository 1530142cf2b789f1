// Every field of a ResultRecord as one line of text, so tests compare records whole and a failure
// shows what differs.
#pragma once

#include "server/storage/records.hpp"

#include <charconv>
#include <string>
#include <vector>

namespace streamswarm::server::testing {

inline std::string recordText(const ResultRecord& r) {
  const auto number = [](double d) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);  // shortest that reads back exactly
    return std::string(buffer, end);
  };
  std::string s = "agent=" + r.agentId + " seq=" + std::to_string(r.seq) + " test=" + r.testId.value_or("(none)") +
                  " plugin=" + r.plugin + " instance=" + r.instance + " target=" + r.target +
                  " time=" + std::to_string(r.timestamp) + " metrics={";
  for (const auto& [name, value] : r.metrics) s += name + ":" + number(value) + ",";
  s += "} document=" + r.documentJson.value_or("(none)") + " schema=" + std::to_string(r.documentSchema) +
       " error=" + r.error;
  return s;
}

inline std::vector<std::string> recordTexts(const std::vector<ResultRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(recordText(r));
  return out;
}

}  // namespace streamswarm::server::testing

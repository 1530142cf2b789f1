#include "core/probe_result.hpp"

#include <streamswarm/document.hpp>

#include <cstdio>
#include <ctime>

namespace streamswarm::core {

std::string rfc3339(std::int64_t unixNs) {
  auto seconds = static_cast<std::time_t>(unixNs / 1'000'000'000);
  auto micros = (unixNs % 1'000'000'000) / 1000;
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[96];  // sized for any int fields, so the format cannot truncate
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  return buffer;
}

std::string toJsonLine(const ProbeResult& r) {
  JsonWriter w;
  w.beginObject().field("plugin", r.plugin);
  if (!r.testId.empty()) w.field("test_id", r.testId);
  if (!r.instance.empty()) w.field("instance", r.instance);
  if (!r.target.empty()) w.field("target", r.target);
  w.field("timestamp", rfc3339(r.timestampNs));
  w.key("metrics").beginObject();
  for (const auto& [name, value] : r.metrics) w.field(name, value);
  w.endObject();
  if (r.document) {
    w.key("document").rawValue(*r.document);
    w.field("document_schema", static_cast<std::int64_t>(r.documentSchema));
  }
  if (!r.error.empty()) w.field("error", r.error);
  return w.endObject().str();
}

}  // namespace streamswarm::core

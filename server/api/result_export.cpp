#include "server/api/result_export.hpp"

#include "server/api/json_body.hpp"
#include "server/api/record_json.hpp"
#include "server/api/rfc3339.hpp"

#include <boost/json/serialize.hpp>

namespace streamswarm::server {

namespace {

constexpr const char* kCsvHeader = "timestamp,agent,target,metric,value,error\r\n";

void appendCsvRows(std::string& out, const ResultRecord& r) {
  const auto row = [&](std::string_view metric, const double* value) {
    appendCsvField(out, formatRfc3339(r.timestamp));
    out += ',';
    appendCsvField(out, r.agentId);
    out += ',';
    appendCsvField(out, r.target);
    out += ',';
    appendCsvField(out, metric);
    out += ',';
    if (value) appendShortest(out, *value);
    out += ',';
    appendCsvField(out, r.error);
    out += "\r\n";
  };
  if (r.metrics.empty()) row({}, nullptr);
  for (const auto& [name, value] : r.metrics) row(name, &value);
}

// Only characters that need no quoting in a header parameter: a test id is chosen by the caller.
std::string fileName(const ResultQuery& query, ExportFormat format) {
  std::string name = "results";
  if (query.testId) {
    name += '-';
    for (const char c : *query.testId) {
      const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '_' || c == '.';
      name += plain ? c : '_';
    }
  }
  return name + (format == ExportFormat::kCsv ? ".csv" : ".json");
}

}  // namespace

std::optional<ExportFormat> exportFormatFromName(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "json") return ExportFormat::kJson;
  return std::nullopt;
}

void appendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

ApiResponse exportResults(Store& store, const ResultQuery& query, ExportFormat format, std::size_t maxBytes) {
  const bool csv = format == ExportFormat::kCsv;
  std::string body = csv ? kCsvHeader : "{\"results\":[";
  const std::string close = csv ? "" : "]}";
  const char* truncated = nullptr;
  std::size_t results = 0;
  // One result more than the limit tells a complete export from a cut one.
  ResultQuery scan = query;
  ++scan.limit;
  store.forEachResult(scan, [&](ResultRecord& r) {
    if (results == query.limit) {
      truncated = "limit";
      return false;
    }
    const auto before = body.size();
    if (csv) {
      appendCsvRows(body, r);
    } else {
      if (results > 0) body += ',';
      body += boost::json::serialize(resultJson(r));
    }
    if (body.size() + close.size() > maxBytes) {
      body.resize(before);
      truncated = "size";
      return false;
    }
    ++results;
    return true;
  });
  body += close;

  ApiResponse response;
  response.contentType = csv ? "text/csv; charset=utf-8" : "application/json";
  response.body = std::move(body);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + fileName(query, format) + "\"");
  if (truncated) response.headers.emplace_back("X-Results-Truncated", truncated);
  return response;
}

}  // namespace streamswarm::server

// GET /api/v1/results?format=csv|json: the results a query matches as a file to download.
// The body is built row by row from the store's cursor (no list of records in between), and is
// bounded twice: by the query's limit (up to kMaxExportResults results) and by kMaxExportBytes.
// When either cuts the export short, the response says so in X-Results-Truncated.
#pragma once

#include "server/http/api_message.hpp"
#include "server/storage/store.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

inline constexpr std::size_t kMaxExportResults = 1'000'000;
// A million single-metric results take ~100 MB of CSV; sysmetrics' 40 metrics a result would
// take 4 GB, which no server should build in memory for one request.
inline constexpr std::size_t kMaxExportBytes = 256 * 1024 * 1024;

enum class ExportFormat { kCsv, kJson };

std::optional<ExportFormat> exportFormatFromName(std::string_view name);

// One RFC 4180 field: quoted (with quotes doubled) when it holds a comma, quote, CR or LF.
void appendCsvField(std::string& out, std::string_view field);

// CSV: a header row, then one row per result and metric (a result without metrics: one row with
// metric and value empty): timestamp,agent,target,metric,value,error, CRLF line ends. JSON: the
// body GET /api/v1/results returns. Both as attachments named after the test.
ApiResponse exportResults(Store& store, const ResultQuery& query, ExportFormat format,
                          std::size_t maxBytes = kMaxExportBytes);

}  // namespace streamswarm::server

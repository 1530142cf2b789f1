#include "server/api/result_batch.hpp"

#include "server/api/json_body.hpp"
#include "server/api/rfc3339.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

[[noreturn]] void bad(std::size_t i, std::string_view field, std::string_view what) {
  throw ApiError(400, "field 'results[" + std::to_string(i) + "]." + std::string(field) + "' " + std::string(what));
}

std::string stringField(const json::object& o, std::size_t i, std::string_view key, bool required) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) {
    if (required) bad(i, key, "is required");
    return {};
  }
  if (!v->is_string()) bad(i, key, "must be a string");
  return std::string(v->get_string());
}

ResultRecord parseResult(const json::value& item, std::size_t i, const std::string& agentId) {
  if (!item.is_object()) throw ApiError(400, "field 'results[" + std::to_string(i) + "]' must be an object");
  const auto& o = item.get_object();
  ResultRecord r;
  r.agentId = agentId;
  // Boost.JSON reads every integer that fits as int64; anything else is not a usable seq.
  const auto* seq = o.if_contains("seq");
  if (!seq || !seq->is_int64()) bad(i, "seq", "is required and must be a positive 64-bit integer");
  r.seq = seq->get_int64();
  if (r.seq <= 0) bad(i, "seq", "must be positive");
  if (const auto* test = o.if_contains("test_id"); test && !test->is_null()) {
    if (!test->is_string()) bad(i, "test_id", "must be a string or null");
    r.testId = std::string(test->get_string());
  }
  r.plugin = stringField(o, i, "plugin", true);
  if (r.plugin.empty()) bad(i, "plugin", "is empty");
  r.instance = stringField(o, i, "instance", false);
  r.target = stringField(o, i, "target", false);
  r.error = stringField(o, i, "error", false);
  const auto* ts = o.if_contains("timestamp");
  if (!ts || !ts->is_string()) bad(i, "timestamp", "is required and must be an RFC 3339 string");
  const auto parsed = parseRfc3339(ts->get_string());
  if (!parsed) bad(i, "timestamp", "is not an RFC 3339 time");
  r.timestamp = *parsed;
  if (const auto* metrics = o.if_contains("metrics"); metrics && !metrics->is_null()) {
    if (!metrics->is_object()) bad(i, "metrics", "must be an object of numbers");
    const auto& m = metrics->get_object();
    if (m.size() > kMaxMetricsPerResult) bad(i, "metrics", "has too many entries");
    r.metrics.reserve(m.size());
    for (const auto& kv : m) {
      if (!kv.value().is_number()) bad(i, "metrics." + std::string(kv.key()), "must be a number");
      r.metrics.emplace_back(std::string(kv.key()), kv.value().to_number<double>());
    }
  }
  if (const auto* doc = o.if_contains("document"); doc && !doc->is_null()) {
    if (!doc->is_object()) bad(i, "document", "must be an object");
    r.documentJson = json::serialize(*doc);
  }
  if (const auto* schema = o.if_contains("document_schema"); schema && !schema->is_null()) {
    if (!schema->is_int64() || schema->get_int64() < 0 || schema->get_int64() > UINT32_MAX)
      bad(i, "document_schema", "must be a non-negative integer");
    r.documentSchema = static_cast<std::uint32_t>(schema->get_int64());
  }
  return r;
}

}  // namespace

ResultBatch parseResultBatch(std::string_view body, const std::string& agentId) {
  // Every node of the parse lives in one arena freed at once: no per-node allocation.
  json::monotonic_resource arena;
  const auto v = parseJsonBody(body, &arena);
  if (!v.is_object()) throw ApiError(400, "request body must be a JSON object");
  const auto& o = v.get_object();
  ResultBatch batch;
  if (const auto dropped = optionalInteger(o, "dropped")) {
    if (*dropped < 0) throw ApiError(400, "field 'dropped' must not be negative");
    batch.dropped = *dropped;
  }
  const auto* results = o.if_contains("results");
  if (!results || !results->is_array()) throw ApiError(400, "field 'results' is required and must be an array");
  const auto& items = results->get_array();
  if (items.size() > kMaxBatchResults)
    throw ApiError(413,
                   "batch of " + std::to_string(items.size()) + " results exceeds " + std::to_string(kMaxBatchResults));
  batch.results.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto r = parseResult(items[i], i, agentId);
    if (!batch.results.empty() && r.seq <= batch.results.back().seq)
      bad(i, "seq",
          "must increase within a batch (" + std::to_string(r.seq) + " after " +
              std::to_string(batch.results.back().seq) + ")");
    batch.results.push_back(std::move(r));
  }
  return batch;
}

}  // namespace streamswarm::server

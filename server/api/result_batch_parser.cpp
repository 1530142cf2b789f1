#include "server/api/result_batch_parser.hpp"

#include "server/api/json_body.hpp"
#include "server/api/rfc3339.hpp"
#include "server/http/api_error.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

using Metrics = std::vector<std::pair<std::string, double>>;

// A metric's value until a number arrives for it. JSON numbers are never NaN (the parser takes no
// "NaN"; overflowing exponents read as infinity), so NaN marks a value that was not a number.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

// When names may repeat, duplicates are folded after this many entries, so that a result
// repeating a few names cannot grow without bound before its end.
constexpr std::size_t kMetricsBeforeFolding = 2 * kMaxMetricsPerResult;

// Whether the first `n` names of `a` and `b` are the same.
bool sameNames(const Metrics& a, const Metrics& b, std::size_t n) {
  return a.size() >= n && b.size() >= n &&
         std::equal(a.begin(), a.begin() + n, b.begin(),
                    [](const auto& x, const auto& y) { return x.first == y.first; });
}

// Calls `use` with a whole key or string: `last`, after the parts gathered before it (if any).
template <class Use>
void withParts(std::string& parts, std::string_view last, Use&& use) {
  if (parts.empty()) return use(last);
  parts.append(last);
  use(std::string_view(parts));
  parts.clear();
}

std::string problem(std::size_t i, std::string_view field, std::string_view what) {
  return "field 'results[" + std::to_string(i) + "]." + std::string(field) + "' " + std::string(what);
}

// Keeps each name once, where it came first, with the value it was given last: what a JSON
// object parsed into a DOM holds for duplicate keys.
void dropDuplicateNames(Metrics& metrics, std::vector<std::uint32_t>& order) {
  order.resize(metrics.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const int c = metrics[a].first.compare(metrics[b].first);
    return c < 0 || (c == 0 && a < b);
  });
  const auto sameName = [&](std::size_t k) { return metrics[order[k]].first == metrics[order[k - 1]].first; };
  std::size_t k = 1;
  while (k < order.size() && !sameName(k)) ++k;
  if (k >= order.size()) return;
  // Within a run of one name, `order` is ascending: the first entry stays and takes the last value.
  std::vector<bool> drop(metrics.size());
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first;
    while (last + 1 < order.size() && metrics[order[last + 1]].first == metrics[order[first]].first) ++last;
    if (last > first) metrics[order[first]].second = metrics[order[last]].second;
    for (std::size_t j = first + 1; j <= last; ++j) drop[order[j]] = true;
    first = last + 1;
  }
  std::size_t kept = 0;
  for (std::size_t j = 0; j < metrics.size(); ++j)
    if (!drop[j]) {
      if (kept != j) metrics[kept] = std::move(metrics[j]);
      ++kept;
    }
  metrics.resize(kept);
}

}  // namespace

ResultBatch ResultBatchParser::parse(std::string_view body, const std::string& agentId,
                                     std::vector<ResultRecord>&& records) {
  // In this file, so that the tokenizer and the handler compile together (and inline).
  json::basic_parser<ResultBatchParser> parser(json::parse_options{}, agentId, std::move(records));
  // The steps of json::stream_parser's write() and finish(), so that malformed JSON is found and
  // located as in every other body (parseJsonBody).
  json::error_code ec;
  const auto consumed = parser.write_some(true, body.data(), body.size(), ec);
  if (!ec && consumed < body.size()) ec = json::error::extra_data;
  if (!ec) parser.write_some(false, nullptr, 0, ec);
  if (ec) throwMalformedJson(body, consumed, ec);
  return parser.handler().batch();
}

ResultBatchParser::ResultBatchParser(const std::string& agentId, std::vector<ResultRecord>&& records)
    : agentId_(agentId) {
  batch_.results = std::move(records);
}

template <class ToDocument, class Read>
bool ResultBatchParser::route(ToDocument&& toDocument, Read&& read) {
  if (documentDepth_ > 0)
    toDocument();
  else if (skipDepth_ == 0)
    read();
  return true;
}

bool ResultBatchParser::openedInside() {
  if (documentDepth_ > 0)
    ++documentDepth_;
  else if (skipDepth_ > 0)
    ++skipDepth_;
  else
    return false;
  return true;
}

bool ResultBatchParser::on_object_begin(json::error_code&) {
  if (openedInside()) return true;
  beginValue(Kind::kObject);
  switch (slot_) {
    case Slot::kBody: scope_ = Scope::kBody; break;
    case Slot::kResult: beginResult(); break;
    case Slot::kMetrics: beginMetrics(); break;
    case Slot::kDocument:
      document_.reset(&documentArena_);
      documentDepth_ = 1;
      break;
    default: skipDepth_ = 1; break;
  }
  return true;
}

bool ResultBatchParser::on_object_end(std::size_t n, json::error_code&) {
  if (documentDepth_ > 0) {
    document_.push_object(n);
    if (--documentDepth_ == 0) record().documentJson = json::serialize(document_.release());
    return true;
  }
  if (skipDepth_ > 0) {
    --skipDepth_;
    return true;
  }
  switch (scope_) {
    case Scope::kMetrics: endMetrics(); break;
    case Scope::kResult: endResult(); break;
    default: scope_ = Scope::kNone; break;
  }
  return true;
}

bool ResultBatchParser::on_array_begin(json::error_code&) {
  if (openedInside()) return true;
  beginValue(Kind::kArray);
  if (slot_ == Slot::kResults)
    beginResults();
  else
    skipDepth_ = 1;
  return true;
}

bool ResultBatchParser::on_array_end(std::size_t n, json::error_code&) {
  if (documentDepth_ > 0) {
    document_.push_array(n);
    --documentDepth_;  // a document is an object: never the last to close
    return true;
  }
  if (skipDepth_ > 0) {
    --skipDepth_;
    return true;
  }
  scope_ = Scope::kBody;  // the results array: the only one read
  return true;
}

bool ResultBatchParser::on_key_part(std::string_view s, std::size_t, json::error_code&) {
  return route([&] { document_.push_chars(s); }, [&] { key_.append(s); });
}

bool ResultBatchParser::on_key(std::string_view s, std::size_t, json::error_code&) {
  return route([&] { document_.push_key(s); }, [&] { withParts(key_, s, [this](std::string_view k) { onKey(k); }); });
}

bool ResultBatchParser::on_string_part(std::string_view s, std::size_t, json::error_code&) {
  return route([&] { document_.push_chars(s); }, [&] { text_.append(s); });
}

bool ResultBatchParser::on_string(std::string_view s, std::size_t, json::error_code&) {
  return route([&] { document_.push_string(s); },
               [&] { withParts(text_, s, [this](std::string_view t) { onString(t); }); });
}

bool ResultBatchParser::on_int64(std::int64_t i, std::string_view, json::error_code&) {
  return route([&] { document_.push_int64(i); }, [&] { onNumber(Kind::kInt64, i, static_cast<double>(i)); });
}

bool ResultBatchParser::on_uint64(std::uint64_t u, std::string_view, json::error_code&) {
  return route([&] { document_.push_uint64(u); }, [&] { onNumber(Kind::kNumber, 0, static_cast<double>(u)); });
}

bool ResultBatchParser::on_double(double d, std::string_view, json::error_code&) {
  return route([&] { document_.push_double(d); }, [&] { onNumber(Kind::kNumber, 0, d); });
}

bool ResultBatchParser::on_bool(bool b, json::error_code&) {
  return route([&] { document_.push_bool(b); }, [&] { beginValue(Kind::kBool); });
}

bool ResultBatchParser::on_null(json::error_code&) {
  return route([&] { document_.push_null(); }, [&] { beginValue(Kind::kNull); });
}

void ResultBatchParser::onKey(std::string_view key) {
  switch (scope_) {
    case Scope::kBody:
      slot_ = key == "dropped" ? Slot::kDropped : key == "results" ? Slot::kResults : Slot::kIgnored;
      return;
    case Scope::kResult: {
      static constexpr std::pair<std::string_view, Slot> kFields[] = {{"seq", Slot::kSeq},
                                                                      {"plugin", Slot::kPlugin},
                                                                      {"timestamp", Slot::kTimestamp},
                                                                      {"metrics", Slot::kMetrics},
                                                                      {"target", Slot::kTarget},
                                                                      {"test_id", Slot::kTestId},
                                                                      {"instance", Slot::kInstance},
                                                                      {"error", Slot::kError},
                                                                      {"document", Slot::kDocument},
                                                                      {"document_schema", Slot::kDocumentSchema}};
      slot_ = Slot::kIgnored;
      for (const auto& [name, slot] : kFields)
        if (key == name) slot_ = slot;
      return;
    }
    case Scope::kMetrics: {
      auto& metrics = record().metrics;
      if (metricCount_ == kMetricsBeforeFolding) {
        metrics.resize(metricCount_);
        dropDuplicateNames(metrics, nameOrder_);
        metricCount_ = metrics.size();
        tooManyMetrics_ = metricCount_ > kMaxMetricsPerResult;
      }
      if (tooManyMetrics_) {
        slot_ = Slot::kIgnored;
        return;
      }
      const auto j = metricCount_++;
      slot_ = Slot::kMetric;
      // The names this record held before, all distinct: while they come again in their order,
      // nothing is copied and nothing can repeat.
      if (namesAsRecycled_ && j < metrics.size() && metrics[j].first == key) {
        metrics[j].second = kNotANumber;
        return;
      }
      // Nor can the names of the result before, in their order. Only other names are checked
      // for duplicates (at the end).
      if (namesAsRecycled_) {
        namesAsRecycled_ = false;
        namesAsBefore_ = namesAsBefore_ && sameNames(metrics, resultBefore().metrics, j);
      }
      namesAsBefore_ = namesAsBefore_ && j < resultBefore().metrics.size() && resultBefore().metrics[j].first == key;
      if (j < metrics.size()) {
        metrics[j].first.assign(key);
        metrics[j].second = kNotANumber;
      } else {
        metrics.emplace_back(key, kNotANumber);
      }
      return;
    }
    default: slot_ = Slot::kIgnored; return;
  }
}

void ResultBatchParser::beginValue(Kind k) {
  kind(slot_) = k;
  if (slot_ == Slot::kResult) {
    if (k != Kind::kObject && !firstProblem_)
      firstProblem_ = "field 'results[" + std::to_string(resultCount_) + "]' must be an object";
    ++resultCount_;
  } else if (slot_ == Slot::kMetric && k != Kind::kInt64 && k != Kind::kNumber) {
    ++nonNumbers_;
  }
}

void ResultBatchParser::onString(std::string_view text) {
  beginValue(Kind::kString);
  switch (slot_) {
    case Slot::kTestId:
      if (auto& id = record().testId)
        id->assign(text);
      else
        id.emplace(text);
      break;
    case Slot::kPlugin: record().plugin.assign(text); break;
    case Slot::kInstance: record().instance.assign(text); break;
    case Slot::kTarget: record().target.assign(text); break;
    case Slot::kError: record().error.assign(text); break;
    case Slot::kTimestamp: timestamp_ = parseRfc3339(text); break;
    default: break;
  }
}

void ResultBatchParser::onNumber(Kind k, std::int64_t i, double d) {
  if (slot_ == Slot::kMetric) {  // most values of a batch: nothing else to note
    record().metrics[metricCount_ - 1].second = d;
    return;
  }
  beginValue(k);
  switch (slot_) {
    case Slot::kSeq: record().seq = i; break;
    case Slot::kDocumentSchema: documentSchema_ = i; break;
    case Slot::kDropped:
      droppedInteger_ = i;
      droppedNumber_ = d;
      break;
    default: break;
  }
}

void ResultBatchParser::beginResults() {
  // A repeated "results" replaces the one before, as in a DOM.
  scope_ = Scope::kResults;
  slot_ = Slot::kResult;
  kept_ = 0;
  resultCount_ = 0;
  firstProblem_.reset();
}

void ResultBatchParser::beginResult() {
  scope_ = Scope::kResult;
  if (kept_ == batch_.results.size()) batch_.results.emplace_back();
  // The other fields get their values at the end (settleResult); strings keep their buffers.
  record().agentId.assign(agentId_);
  metricCount_ = 0;
  std::fill(&kind(Slot::kSeq), &kind(Slot::kError) + 1, Kind::kAbsent);
  documentSchema_ = 0;
  timestamp_.reset();
}

void ResultBatchParser::beginMetrics() {
  scope_ = Scope::kMetrics;
  namesAsRecycled_ = true;
  namesAsBefore_ = kept_ > 0;
  // Sized as the result before: a plugin reports the same metrics run after run.
  if (namesAsBefore_) record().metrics.reserve(resultBefore().metrics.size());
  metricCount_ = 0;
  nonNumbers_ = 0;
  tooManyMetrics_ = false;
}

void ResultBatchParser::endMetrics() {
  scope_ = Scope::kResult;
  auto& metrics = record().metrics;
  metrics.resize(metricCount_);
  if (!namesAsRecycled_ && !namesAsBefore_) dropDuplicateNames(metrics, nameOrder_);
  if (metrics.size() > kMaxMetricsPerResult) tooManyMetrics_ = true;
}

void ResultBatchParser::endResult() {
  scope_ = Scope::kResults;
  slot_ = Slot::kResult;
  // Past the first problem or the size limit the batch is refused: nothing more is kept.
  if (firstProblem_ || kept_ >= kMaxBatchResults) return;
  firstProblem_ = checkResult();
  if (firstProblem_) return;
  settleResult();
  ++kept_;
}

// The checks of the result read, in the order the DOM path made them.
std::optional<std::string> ResultBatchParser::checkResult() const {
  const auto i = resultCount_ - 1;
  const auto& r = batch_.results[kept_];
  if (kind(Slot::kSeq) != Kind::kInt64) return problem(i, "seq", "is required and must be a positive 64-bit integer");
  if (r.seq <= 0) return problem(i, "seq", "must be positive");
  const auto absent = [&](Slot s) { return kind(s) == Kind::kAbsent || kind(s) == Kind::kNull; };
  if (!absent(Slot::kTestId) && kind(Slot::kTestId) != Kind::kString)
    return problem(i, "test_id", "must be a string or null");
  if (absent(Slot::kPlugin)) return problem(i, "plugin", "is required");
  if (kind(Slot::kPlugin) != Kind::kString) return problem(i, "plugin", "must be a string");
  if (r.plugin.empty()) return problem(i, "plugin", "is empty");
  for (const auto& [slot, name] :
       {std::pair{Slot::kInstance, "instance"}, std::pair{Slot::kTarget, "target"}, std::pair{Slot::kError, "error"}})
    if (!absent(slot) && kind(slot) != Kind::kString) return problem(i, name, "must be a string");
  if (kind(Slot::kTimestamp) != Kind::kString)
    return problem(i, "timestamp", "is required and must be an RFC 3339 string");
  if (!timestamp_) return problem(i, "timestamp", "is not an RFC 3339 time");
  if (!absent(Slot::kMetrics)) {
    if (kind(Slot::kMetrics) != Kind::kObject) return problem(i, "metrics", "must be an object of numbers");
    if (tooManyMetrics_) return problem(i, "metrics", "has too many entries");
    if (nonNumbers_ > 0)
      for (const auto& [name, value] : r.metrics)
        if (std::isnan(value)) return problem(i, "metrics." + name, "must be a number");
  }
  if (!absent(Slot::kDocument) && kind(Slot::kDocument) != Kind::kObject)
    return problem(i, "document", "must be an object");
  if (!absent(Slot::kDocumentSchema) &&
      (kind(Slot::kDocumentSchema) != Kind::kInt64 || documentSchema_ < 0 || documentSchema_ > UINT32_MAX))
    return problem(i, "document_schema", "must be a non-negative integer");
  if (kept_ > 0 && r.seq <= resultBefore().seq)
    return problem(i, "seq",
                   "must increase within a batch (" + std::to_string(r.seq) + " after " +
                       std::to_string(resultBefore().seq) + ")");
  return std::nullopt;
}

void ResultBatchParser::settleResult() {
  // Absent, null, or replaced by a later null: the value a new record has.
  auto& r = record();
  if (kind(Slot::kTestId) != Kind::kString) r.testId.reset();
  if (kind(Slot::kInstance) != Kind::kString) r.instance.clear();
  if (kind(Slot::kTarget) != Kind::kString) r.target.clear();
  if (kind(Slot::kError) != Kind::kString) r.error.clear();
  if (kind(Slot::kMetrics) != Kind::kObject) r.metrics.clear();
  if (kind(Slot::kDocument) != Kind::kObject) r.documentJson.reset();
  r.documentSchema = kind(Slot::kDocumentSchema) == Kind::kInt64 ? static_cast<std::uint32_t>(documentSchema_) : 0;
  r.timestamp = *timestamp_;
}

ResultBatch ResultBatchParser::batch() {
  if (kind(Slot::kBody) != Kind::kObject) throw ApiError(400, "request body must be a JSON object");
  switch (kind(Slot::kDropped)) {
    case Kind::kAbsent:
    case Kind::kNull: break;
    case Kind::kInt64: batch_.dropped = droppedInteger_; break;
    case Kind::kNumber:  // integral doubles too, as optionalInteger reads them
      if ((batch_.dropped = integralDouble(droppedNumber_))) break;
      [[fallthrough]];
    default: throw ApiError(400, "field 'dropped' must be an integer");
  }
  if (batch_.dropped && *batch_.dropped < 0) throw ApiError(400, "field 'dropped' must not be negative");
  if (kind(Slot::kResults) != Kind::kArray) throw ApiError(400, "field 'results' is required and must be an array");
  if (resultCount_ > kMaxBatchResults)
    throw ApiError(413,
                   "batch of " + std::to_string(resultCount_) + " results exceeds " + std::to_string(kMaxBatchResults));
  if (firstProblem_) throw ApiError(400, *firstProblem_);
  batch_.results.resize(kept_);
  return std::move(batch_);
}

}  // namespace streamswarm::server

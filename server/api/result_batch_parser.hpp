// Reads a results body straight into ResultRecords as boost::json::basic_parser reports its
// tokens (this class is its handler), without building a DOM first. Each check waits until the
// value it needs is complete, and each problem until the end, so a body gets the answer the DOM
// path gave: malformed JSON anywhere first, then the body's type, 'dropped', 'results', the batch
// size, and the first bad result, its fields checked in a fixed order. Duplicate keys: the last
// value wins, in the first key's place (as in a boost::json::object).
#pragma once

#include "server/api/result_batch.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::server {

class ResultBatchParser {
 public:
  // The DOM's own limits, so a body too large for one is too large for the other.
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  // Reads `body` into `records` (from a batch before: their strings are overwritten in place).
  // Throws ApiError as parseResultBatch.
  static ResultBatch parse(std::string_view body, const std::string& agentId, std::vector<ResultRecord>&& records);

  ResultBatchParser(const std::string& agentId, std::vector<ResultRecord>&& records);

  // The batch read, or ApiError naming its first problem. Only after a parse without error.
  ResultBatch batch();

  // basic_parser's handler interface. None fails the parse: problems are reported by batch().
  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&);
  bool on_object_end(std::size_t n, boost::json::error_code&);
  bool on_array_begin(boost::json::error_code&);
  bool on_array_end(std::size_t n, boost::json::error_code&);
  bool on_key_part(std::string_view s, std::size_t n, boost::json::error_code&);
  bool on_key(std::string_view s, std::size_t n, boost::json::error_code&);
  bool on_string_part(std::string_view s, std::size_t n, boost::json::error_code&);
  bool on_string(std::string_view s, std::size_t n, boost::json::error_code&);
  bool on_number_part(std::string_view, boost::json::error_code&) { return true; }
  bool on_int64(std::int64_t i, std::string_view, boost::json::error_code&);
  bool on_uint64(std::uint64_t u, std::string_view, boost::json::error_code&);
  bool on_double(double d, std::string_view, boost::json::error_code&);
  bool on_bool(bool b, boost::json::error_code&);
  bool on_null(boost::json::error_code&);
  bool on_comment_part(std::string_view, boost::json::error_code&) { return true; }
  bool on_comment(std::string_view, boost::json::error_code&) { return true; }

 private:
  // What the next value is: the body, one of its fields, a result, a result's field, a metric.
  enum class Slot : std::uint8_t {
    kBody,
    kDropped,
    kResults,
    kResult,
    kSeq,  // kSeq..kError: the fields of a result, reset for each one
    kTestId,
    kPlugin,
    kInstance,
    kTarget,
    kTimestamp,
    kMetrics,
    kDocument,
    kDocumentSchema,
    kError,
    kMetric,
    kIgnored,  // a field nobody reads
    kCount
  };
  enum class Kind : std::uint8_t { kAbsent, kNull, kBool, kInt64, kNumber, kString, kObject, kArray };
  // The container the parser is in, of those it reads.
  enum class Scope : std::uint8_t { kNone, kBody, kResults, kResult, kMetrics };

  // Where a token goes: into the document being built, nowhere inside a skipped container, else
  // to `read`.
  template <class ToDocument, class Read>
  bool route(ToDocument&& toDocument, Read&& read);
  // Whether an object or array opened inside the document or a skipped container (then counted).
  bool openedInside();
  void onKey(std::string_view key);
  void onString(std::string_view text);
  void onNumber(Kind kind, std::int64_t i, double d);
  void beginValue(Kind kind);
  void beginResults();
  void beginResult();
  void beginMetrics();
  void endMetrics();
  void endResult();
  std::optional<std::string> checkResult() const;
  void settleResult();
  // The result being read: the one after those kept.
  ResultRecord& record() { return batch_.results[kept_]; }
  // The last result kept (there must be one).
  const ResultRecord& resultBefore() const { return batch_.results[kept_ - 1]; }
  Kind& kind(Slot s) { return kinds_[static_cast<std::size_t>(s)]; }
  Kind kind(Slot s) const { return kinds_[static_cast<std::size_t>(s)]; }

  const std::string& agentId_;
  ResultBatch batch_;  // results [0, kept_) are read; those after, records to reuse
  std::size_t kept_ = 0;
  Scope scope_ = Scope::kNone;
  Slot slot_ = Slot::kBody;
  std::array<Kind, static_cast<std::size_t>(Slot::kCount)> kinds_{};
  std::int64_t droppedInteger_ = 0;
  double droppedNumber_ = 0;
  std::size_t resultCount_ = 0;              // results in the array, kept or not
  std::optional<std::string> firstProblem_;  // of the first bad result

  // Of the result being read; its checks wait for its end.
  std::int64_t documentSchema_ = 0;
  std::optional<TimeNs> timestamp_;
  std::size_t metricCount_ = 0;           // metrics read into record().metrics, which may hold more
  std::size_t nonNumbers_ = 0;            // metrics whose value is not a number
  bool namesAsRecycled_ = false;          // metric names so far are those the record held before
  bool namesAsBefore_ = false;            // metric names so far are those of the result before
  bool tooManyMetrics_ = false;           // more distinct names than kMaxMetricsPerResult
  std::vector<std::uint32_t> nameOrder_;  // scratch of dropDuplicateNames

  // Tokens split into parts (escapes, long strings) are put together here.
  std::string key_;
  std::string text_;
  // Containers nobody reads are skipped to their end; a document is built as a DOM and kept
  // serialized, as the DOM path did.
  std::size_t skipDepth_ = 0;
  std::size_t documentDepth_ = 0;
  boost::json::monotonic_resource documentArena_;
  boost::json::value_stack document_;
};

}  // namespace streamswarm::server

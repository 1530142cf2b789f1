#define BOOST_TEST_MODULE server_result_batch_parser
// Result batches read token by token (ResultBatchParser, behind parseResultBatch and
// ResultBatchReader), on canned bodies: tokens split by escapes, documents, skipped fields,
// malformed and deeply nested JSON, numbers at the limits, duplicate keys, the order problems are
// reported in (as when the body was parsed whole first), and records reused between batches.
#include "server/api/result_batch.hpp"
#include "server/http/api_error.hpp"
#include "tests/server/api/result_record_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;

namespace {

constexpr const char* kTime = R"("timestamp":"2026-11-21T23:41:53Z")";

std::pair<unsigned, std::string> failure(const std::string& body) {
  try {
    parseResultBatch(body, "ag-1");
  } catch (const ApiError& e) {
    return {e.status(), e.what()};
  }
  return {0, {}};
}

// A body of one result: seq 1, plugin "p", a timestamp, then `fields` (",..." or nothing).
std::string oneResult(const std::string& fields) {
  return std::string(R"({"results":[{"seq":1,"plugin":"p",)") + kTime + fields + "}]}";
}

ResultRecord only(const std::string& body) {
  auto batch = parseResultBatch(body, "ag-1");
  BOOST_TEST_REQUIRE(batch.results.size() == 1u);
  return batch.results[0];
}

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

BOOST_AUTO_TEST_CASE(escaped_and_split_tokens_are_read_whole) {
  // Escapes make the tokenizer hand a string over in parts; a long one too.
  const std::string longTarget = std::string(9000, 'a') + "\\u0062" + std::string(9000, 'c');
  const auto r = only(R"({"res\u0075lts":[{"se\u0071":7,"plugin":"sys\u0074em","target":")" + longTarget + "\"," +
                      kTime + R"(,"metrics":{"cpu\u002euser":1.5,"tab\there":2}}]})");
  BOOST_TEST(r.seq == 7);
  BOOST_TEST(r.plugin == "system");
  BOOST_TEST(r.target == std::string(9000, 'a') + "b" + std::string(9000, 'c'));
  BOOST_REQUIRE(r.metrics.size() == 2u);
  BOOST_TEST(r.metrics[0].first == "cpu.user");
  BOOST_TEST(r.metrics[1].first == "tab\there");
  BOOST_TEST(r.timestamp == 1'795'304'513'000'000'000);
}

BOOST_AUTO_TEST_CASE(documents_are_kept_as_the_dom_serializes_them) {
  const std::vector<std::string> documents{
      R"({"hops":[1,2.5,{"k":null,"t":true}],"big":18446744073709551615,"neg":-3,"s":"\u00e9\n","e":{},"a":[]})",
      R"({"k":1,"k":{"deeper":[[1],[2,{"x":"y"}]]}})",  // duplicate key: the last value, in the first place
      R"({"long":")" + std::string(5000, 'x') + R"(\"q\""})", "{}"};
  for (const auto& doc : documents) {
    const auto r = only(oneResult(R"(,"document":)" + doc + R"(,"document_schema":3)"));
    BOOST_TEST(r.documentJson.value() == boost::json::serialize(boost::json::parse(doc)));
    BOOST_TEST(r.documentSchema == 3u);
  }
}

BOOST_AUTO_TEST_CASE(unknown_fields_of_any_shape_are_skipped) {
  const auto batch = parseResultBatch(
      R"({"x":{"results":[{"seq":-1}],"dropped":-5},"y":[{"metrics":"no"},[[]]],"dropped":2,
          "results":[{"seq":3,"plugin":"p",)" +
          std::string(kTime) + R"(,"extra":{"seq":"no","metrics":[1]},"more":[{"plugin":5}],"n":null,
          "metrics":{"a":1}},{"seq":4,"plugin":"q",)" +
          kTime + R"(}],"z":"results"})",
      "ag-1");
  BOOST_TEST(batch.dropped.value() == 2);
  BOOST_REQUIRE(batch.results.size() == 2u);
  BOOST_TEST(batch.results[0].seq == 3);
  BOOST_TEST(batch.results[0].metrics.size() == 1u);
  BOOST_TEST(batch.results[1].plugin == "q");
  BOOST_TEST(batch.results[1].metrics.empty());
}

BOOST_AUTO_TEST_CASE(malformed_json_wins_over_every_field_problem) {
  // A field problem early in the body still yields to malformed JSON after it.
  for (const std::string body :
       {R"({"dropped":-1,"results":[1,{"seq":0}] x)", R"({"results":[{"seq":0}],})", R"({"results":[{"seq":0}]} {})",
        R"({"results":[{"seq":0,"plugin":"p"}]/*c*/})", R"({"results":[{"seq":01}]})", R"({"results":[{"seq":NaN}]})",
        "{\"results\":[{\"plugin\":\"\xff\"}]}", "{\"results\":[{\"plugin\":\"a\nb\"}]}"}) {
    const auto [status, message] = failure(body);
    BOOST_TEST(status == 400u, body);
    BOOST_TEST(message.starts_with("malformed JSON at line "), body << ": " << message);
  }
  // Every cut of a valid body is malformed, and the error points inside it.
  const std::string valid = oneResult(R"(,"metrics":{"a\u0062":1.5e3},"document":{"d":[true,null]})");
  for (std::size_t cut = 0; cut < valid.size(); ++cut) {
    const auto [status, message] = failure(valid.substr(0, cut));
    BOOST_TEST_REQUIRE(status == 400u, cut);
    BOOST_TEST_REQUIRE(message.find("(offset " + std::to_string(cut) + ")") != std::string::npos, message);
  }
  BOOST_TEST(failure(valid).first == 0u);
}

BOOST_AUTO_TEST_CASE(nesting_beyond_the_limit_is_malformed) {
  // Body, results, result and document take four levels of the parser's 32, wherever the depth is.
  BOOST_TEST(only(oneResult(R"(,"document":{"d":)" + nested(28) + "}")).documentJson.has_value());
  BOOST_TEST(only(oneResult(R"(,"skipped":{"d":)" + nested(28) + "}")).seq == 1);
  for (const auto* field : {"document", "skipped", "metrics"}) {
    const auto [status, message] = failure(oneResult(",\"" + std::string(field) + "\":{\"d\":" + nested(29) + "}"));
    BOOST_TEST(status == 400u);
    BOOST_TEST(message.starts_with("malformed JSON"), message);
  }
}

BOOST_AUTO_TEST_CASE(numbers_at_the_limits) {
  BOOST_TEST(only(R"({"results":[{"seq":9223372036854775807,"plugin":"p",)" + std::string(kTime) + "}]}").seq ==
             INT64_MAX);
  for (const auto* seq : {"9223372036854775808", "18446744073709551616", "1e400", "1.0", "-0.0"})
    BOOST_TEST(failure(R"({"results":[{"seq":)" + std::string(seq) + R"(,"plugin":"p",)" + kTime + "}]}").second ==
               "field 'results[0].seq' is required and must be a positive 64-bit integer");
  BOOST_TEST(failure(R"({"results":[{"seq":-9223372036854775808,"plugin":"p",)" + std::string(kTime) + "}]}").second ==
             "field 'results[0].seq' must be positive");

  const auto r = only(oneResult(R"(,"metrics":{"huge":1e400,"big":18446744073709551616,"max":1.7976931348623157e308,
                                  "tiny":-4.9e-324,"int":-9223372036854775808,"u":18446744073709551615})"));
  BOOST_REQUIRE(r.metrics.size() == 6u);
  BOOST_TEST(std::isinf(r.metrics[0].second));  // read as infinity, as the DOM read it
  BOOST_TEST(r.metrics[1].second == 18446744073709551616.0);
  BOOST_TEST(r.metrics[2].second == 1.7976931348623157e308);
  BOOST_TEST(r.metrics[4].second == -9223372036854775808.0);
  BOOST_TEST(r.metrics[5].second == 18446744073709551615.0);

  BOOST_TEST(only(oneResult(R"(,"document":{},"document_schema":4294967295)")).documentSchema == UINT32_MAX);
  for (const auto* schema : {"4294967296", "-1", "1.0", "\"1\""})
    BOOST_TEST(failure(oneResult(R"(,"document_schema":)" + std::string(schema))).second ==
               "field 'results[0].document_schema' must be a non-negative integer");

  // 'dropped' takes integral doubles below 9e15, as before.
  BOOST_TEST(parseResultBatch(R"({"dropped":2.0,"results":[]})", "ag-1").dropped.value() == 2);
  BOOST_TEST(parseResultBatch(R"({"dropped":null,"results":[]})", "ag-1").dropped.has_value() == false);
  for (const auto* dropped : {"2.5", "1e16", "18446744073709551615", "\"3\"", "true", "[]"})
    BOOST_TEST(failure(R"({"dropped":)" + std::string(dropped) + R"(,"results":[]})").second ==
               "field 'dropped' must be an integer");
}

BOOST_AUTO_TEST_CASE(the_last_of_duplicate_keys_wins) {
  auto r = only(R"({"results":[{"seq":5,"seq":1,"plugin":"p","plugin":"q","instance":"i","instance":null,)" +
                std::string(kTime) + R"(,"test_id":"t","test_id":null,"document":{},"document":null}]})");
  BOOST_TEST(r.seq == 1);
  BOOST_TEST(r.plugin == "q");
  BOOST_TEST(r.instance.empty());
  BOOST_TEST(!r.testId);
  BOOST_TEST(!r.documentJson);

  // A repeated metric keeps its first place and takes its last value, whatever the types before.
  r = only(oneResult(R"(,"metrics":{"a":1,"b":2,"a":3,"c":"x","c":4,"b":5})"));
  BOOST_TEST(recordText(r).find("metrics={a:3,b:5,c:4,}") != std::string::npos, recordText(r));
  BOOST_TEST(failure(oneResult(R"(,"metrics":{"a":1,"b":2,"a":"x"})")).second ==
             "field 'results[0].metrics.a' must be a number");
  r = only(oneResult(R"(,"metrics":{"a":1},"metrics":{"b":2})"));
  BOOST_TEST(recordText(r).find("metrics={b:2,}") != std::string::npos, recordText(r));
  r = only(oneResult(R"(,"metrics":{"a":1},"metrics":null)"));
  BOOST_TEST(r.metrics.empty());

  // A repeated "results" replaces the array before, with its problems.
  auto batch = parseResultBatch(
      R"({"results":[1,2],"dropped":1,"results":[{"seq":9,"plugin":"p",)" + std::string(kTime) + R"(}],"dropped":3})",
      "ag-1");
  BOOST_REQUIRE(batch.results.size() == 1u);
  BOOST_TEST(batch.results[0].seq == 9);
  BOOST_TEST(batch.dropped.value() == 3);
  BOOST_TEST(failure(R"({"results":[],"results":5})").second == "field 'results' is required and must be an array");
}

BOOST_AUTO_TEST_CASE(problems_are_reported_in_a_fixed_order) {
  // Within a result: seq, test_id, plugin, instance, target, error, timestamp, metrics, document,
  // document_schema, then the order of seqs, wherever the fields are in the body.
  BOOST_TEST(failure(R"({"results":[{"document":1,"plugin":5,"timestamp":0}]})").second ==
             "field 'results[0].seq' is required and must be a positive 64-bit integer");
  BOOST_TEST(failure(R"({"results":[{"document":1,"plugin":5,"seq":1,"timestamp":0}]})").second ==
             "field 'results[0].plugin' must be a string");
  BOOST_TEST(failure(R"({"results":[{"document":1,"error":5,"seq":1,"plugin":"p","timestamp":0}]})").second ==
             "field 'results[0].error' must be a string");
  BOOST_TEST(
      failure(R"({"results":[{"document":1,"metrics":{"a":"x"},"seq":1,"plugin":"p","timestamp":"x"}]})").second ==
      "field 'results[0].timestamp' is not an RFC 3339 time");
  BOOST_TEST(failure(oneResult(R"(,"document_schema":-1,"document":1,"metrics":{"a":"x","b":null})")).second ==
             "field 'results[0].metrics.a' must be a number");
  BOOST_TEST(failure(oneResult(R"(,"document_schema":-1,"document":[])")).second ==
             "field 'results[0].document' must be an object");
  BOOST_TEST(failure(oneResult(R"(,"plugin":"")")).second == "field 'results[0].plugin' is empty");
  BOOST_TEST(failure(oneResult(R"(,"plugin":null)")).second == "field 'results[0].plugin' is required");
  BOOST_TEST(failure(oneResult(R"(,"timestamp":null)")).second ==
             "field 'results[0].timestamp' is required and must be an RFC 3339 string");

  // Between results, the first bad one; then the body: its type, 'dropped', 'results', the size.
  const auto good = [](int seq) { return R"({"seq":)" + std::to_string(seq) + R"(,"plugin":"p",)" + kTime + "}"; };
  BOOST_TEST(failure(R"({"results":[)" + good(2) + "," + good(1) + ",7]}").second ==
             "field 'results[1].seq' must increase within a batch (1 after 2)");
  BOOST_TEST(failure(R"({"results":[)" + good(1) + R"(,7,{"seq":0}]})").second ==
             "field 'results[1]' must be an object");
  BOOST_TEST(failure(R"([{"results":[]}])").second == "request body must be a JSON object");
  BOOST_TEST(failure("5").second == "request body must be a JSON object");
  BOOST_TEST(failure(R"({"results":[7],"dropped":-1})").second == "field 'dropped' must not be negative");
  BOOST_TEST(failure(R"({"dropped":1})").second == "field 'results' is required and must be an array");
  std::string body = R"({"results":[{"seq":0})";
  for (std::size_t i = 1; i <= kMaxBatchResults + 1; ++i) body += "," + good(static_cast<int>(i));
  BOOST_TEST(failure(body + "]}").first == 413u);
  BOOST_TEST(failure(body + "]}").second == "batch of 5002 results exceeds 5000");
}

BOOST_AUTO_TEST_CASE(metric_limits_count_distinct_names) {
  const auto metrics = [](std::size_t entries, std::size_t names) {
    std::string m = R"(,"metrics":{)";
    for (std::size_t i = 0; i < entries; ++i)
      m += (i > 0 ? ",\"m" : "\"m") + std::to_string(i % names) + "\":" + std::to_string(i);
    return m + "}";
  };
  BOOST_TEST(only(oneResult(metrics(kMaxMetricsPerResult, kMaxMetricsPerResult))).metrics.size() ==
             kMaxMetricsPerResult);
  BOOST_TEST(failure(oneResult(metrics(kMaxMetricsPerResult + 1, kMaxMetricsPerResult + 1))).second ==
             "field 'results[0].metrics' has too many entries");
  // Far more entries than the limit, repeating few names: the names once each, the last values.
  const auto r = only(oneResult(metrics(5 * kMaxMetricsPerResult, 100)));
  BOOST_REQUIRE(r.metrics.size() == 100u);
  BOOST_TEST(r.metrics[0].first == "m0");
  BOOST_TEST(r.metrics[0].second == 5 * kMaxMetricsPerResult - 100);
  BOOST_TEST(r.metrics[99].first == "m99");
  BOOST_TEST(r.metrics[99].second == 5 * kMaxMetricsPerResult - 1);
  BOOST_TEST(failure(oneResult(metrics(5 * kMaxMetricsPerResult, kMaxMetricsPerResult + 1))).second ==
             "field 'results[0].metrics' has too many entries");
}

BOOST_AUTO_TEST_CASE(a_reader_reuses_records_without_carrying_anything_over) {
  // Shapes that differ from batch to batch and result to result: more and fewer results and
  // metrics, other and longer names, fields present then absent, a rejected batch in between.
  const auto result = [](int seq, const std::string& fields) {
    return R"({"seq":)" + std::to_string(seq) + R"(,"plugin":"p",)" + kTime + fields + "}";
  };
  const std::vector<std::string> bodies{
      R"({"dropped":1,"results":[)" + result(1, R"(,"metrics":{"cpu.user_percent":1,"mem.available_bytes":2})") + "," +
          result(2, R"(,"metrics":{"cpu.user_percent":3,"mem.available_bytes":4},"target":"t","test_id":"x")") + "," +
          result(3, R"(,"document":{"a":1},"document_schema":2,"error":"e","instance":"i")") + "]}",
      R"({"results":[)" + result(4, R"(,"metrics":{"a":1})") + "]}",
      R"({"results":[)" + result(5, R"(,"metrics":{"a":1,"b":2,"a":3})") + "," + result(5, "") + "]}",
      R"({"results":[)" + result(6, R"(,"metrics":{"mem.available_bytes":1,"cpu.user_percent":2,"c":3})") + "," +
          result(7, R"(,"metrics":{"mem.available_bytes":1,"cpu.user_percent":2,"c":3,"d":4})") + "," +
          result(8, R"(,"metrics":{"x":1,"x":2})") + "," + result(9, "") + "]}",
      R"({"results":[)" + result(10, R"(,"metrics":{"a_much_longer_metric_name_than_before":1})") + "]}",
      R"({"results":[]})",
      R"({"results":[)" + result(11, R"(,"metrics":{"cpu.user_percent":1,"mem.available_bytes":2})") + "]}",
      R"({"results":[)" + result(11, R"(,"metrics":{"cpu.user_percent":1,"mem.available_bytes":"x"})") + "]}",
      R"({"results":[)" + result(12, R"(,"target":"t","test_id":"x","instance":"i","error":"e","document":{})") + "]}",
      R"({"results":[)" + result(13, "") + "]}"};
  // The batch read (by `reader`, or fresh without one), or the problem.
  const auto outcome = [](ResultBatchReader* reader, const std::string& body) -> std::vector<std::string> {
    try {
      auto batch = reader ? reader->read(body, "ag-1") : parseResultBatch(body, "ag-1");
      auto texts = recordTexts(batch.results);
      texts.push_back("dropped=" + std::to_string(batch.dropped.value_or(-1)));
      if (reader) reader->recycle(std::move(batch));
      return texts;
    } catch (const ApiError& e) {
      return {e.what()};
    }
  };
  ResultBatchReader reader;
  for (int round = 0; round < 3; ++round)
    for (const auto& body : bodies) BOOST_TEST(outcome(&reader, body) == outcome(nullptr, body), body);
  // Each body read into the records of the one before.
  for (std::size_t i = 1; i < bodies.size(); ++i) {
    ResultBatchReader pair;
    outcome(&pair, bodies[i - 1]);
    BOOST_TEST(outcome(&pair, bodies[i]) == outcome(nullptr, bodies[i]), bodies[i]);
  }
}

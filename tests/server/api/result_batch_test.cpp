#define BOOST_TEST_MODULE server_result_batch
// Parsing request bodies: malformed JSON is located, result batches are read field by field and
// every rejection names results[i].field.
#include "server/api/result_batch.hpp"
#include "server/api/json_body.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::server;

namespace {

template <class F>
std::pair<unsigned, std::string> failure(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return {e.status(), e.what()};
  }
  return {0, {}};
}

std::pair<unsigned, std::string> batchFailure(const std::string& body) {
  return failure([&] { parseResultBatch(body, "ag-1"); });
}

std::string oneResult(const std::string& fields) {
  return R"({"results":[{"seq":1,"plugin":"ping","timestamp":"2026-11-21T23:41:53Z")" + fields + "}]}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(malformed_json_is_located) {
  auto [status, message] = failure([] { parseJsonBody("{\n  \"a\": 1,\n  \"b\" 2\n}"); });
  BOOST_TEST(status == 400u);
  BOOST_TEST(message.starts_with("malformed JSON at line 3, column 7 (offset 18): "), message);
  std::tie(status, message) = failure([] { parseJsonBody(R"({"a":)"); });
  BOOST_TEST(status == 400u);
  BOOST_TEST(message.starts_with("malformed JSON at line 1, column 6 (offset 5)"), message);
  std::tie(status, message) = failure([] { parseJsonBody(""); });
  BOOST_TEST(status == 400u);
  std::tie(status, message) = failure([] { parseJsonObject("[1,2]"); });
  BOOST_TEST(message == "request body must be a JSON object");
}

BOOST_AUTO_TEST_CASE(a_full_result_is_read) {
  const auto batch = parseResultBatch(
      R"({"dropped":4,"results":[
        {"seq":17,"test_id":"t-1","plugin":"ping","instance":"lan","target":"10.0.0.1",
         "timestamp":"2026-11-21T23:41:53.5Z","metrics":{"rtt_avg_ms":1.25,"loss_ratio":0},
         "document":{"hops":[1,2]},"document_schema":2,"error":"partial"},
        {"seq":19,"test_id":null,"plugin":"sysmetrics","timestamp":"2026-11-21T23:41:54Z","metrics":{}}]})",
      "ag-1");
  BOOST_TEST(batch.dropped.value() == 4);
  BOOST_REQUIRE(batch.results.size() == 2u);
  const auto& r = batch.results[0];
  BOOST_TEST(r.agentId == "ag-1");
  BOOST_TEST(r.seq == 17);
  BOOST_TEST(r.testId.value() == "t-1");
  BOOST_TEST(r.instance == "lan");
  BOOST_TEST(r.target == "10.0.0.1");
  BOOST_TEST(r.error == "partial");
  BOOST_REQUIRE(r.metrics.size() == 2u);
  BOOST_TEST(r.metrics[0].first == "rtt_avg_ms");
  BOOST_TEST(r.metrics[0].second == 1.25);
  BOOST_TEST(r.documentJson.value() == R"({"hops":[1,2]})");
  BOOST_TEST(r.documentSchema == 2u);
  BOOST_TEST(!batch.results[1].testId);
  BOOST_TEST(!batch.results[1].documentJson);
}

BOOST_AUTO_TEST_CASE(bad_results_name_the_field) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"results":[{"plugin":"ping","timestamp":"2026-11-21T23:41:53Z"}]})", "'results[0].seq'"},
      {R"({"results":[{"seq":0,"plugin":"ping","timestamp":"2026-11-21T23:41:53Z"}]})", "'results[0].seq'"},
      {R"({"results":[{"seq":1.5,"plugin":"ping","timestamp":"2026-11-21T23:41:53Z"}]})", "'results[0].seq'"},
      {R"({"results":[{"seq":18446744073709551615,"plugin":"p","timestamp":"2026-11-21T23:41:53Z"}]})",
       "'results[0].seq'"},
      {R"({"results":[{"seq":1,"timestamp":"2026-11-21T23:41:53Z"}]})", "'results[0].plugin'"},
      {R"({"results":[{"seq":1,"plugin":"ping"}]})", "'results[0].timestamp'"},
      {oneResult(R"(,"timestamp":"yesterday")"), "'results[0].timestamp'"},
      {oneResult(R"(,"metrics":{"rtt":"1"})"), "'results[0].metrics.rtt'"},
      {oneResult(R"(,"metrics":[1])"), "'results[0].metrics'"},
      {oneResult(R"(,"document":"text")"), "'results[0].document'"},
      {oneResult(R"(,"document_schema":-1)"), "'results[0].document_schema'"},
      {oneResult(R"(,"test_id":5)"), "'results[0].test_id'"},
      {R"({"results":[1]})", "'results[0]'"},
      {R"({"results":{}})", "'results'"},
      {R"({"dropped":-1,"results":[]})", "'dropped'"},
      {R"({"results":[{"seq":5,"plugin":"p","timestamp":"2026-11-21T23:41:53Z"},
                      {"seq":5,"plugin":"p","timestamp":"2026-11-21T23:41:53Z"}]})",
       "'results[1].seq' must increase within a batch (5 after 5)"},
  };
  for (const auto& [body, expected] : cases) {
    const auto [status, message] = batchFailure(body);
    BOOST_TEST(status == 400u, body);
    BOOST_TEST(message.find(expected) != std::string::npos, message << " lacks " << expected);
  }
}

BOOST_AUTO_TEST_CASE(batches_over_the_limit_are_413) {
  std::string body = R"({"results":[)";
  for (std::size_t i = 1; i <= kMaxBatchResults + 1; ++i)
    body += (i > 1 ? "," : "") + std::string(R"({"seq":)") + std::to_string(i) +
            R"(,"plugin":"p","timestamp":"2026-11-21T23:41:53Z"})";
  body += "]}";
  const auto [status, message] = batchFailure(body);
  BOOST_TEST(status == 413u);
  BOOST_TEST(message == "batch of 5001 results exceeds 5000");
}

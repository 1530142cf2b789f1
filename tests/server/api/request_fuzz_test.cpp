#define BOOST_TEST_MODULE server_request_fuzz
// Deterministic mutation fuzzing of what the server parses from the network: result batches,
// test definitions, RFC 3339 times, credentials, bearer headers and query strings. Seeds are
// valid inputs; each round flips, inserts, deletes or splices bytes with a fixed PRNG seed, so a
// failure reproduces. Runs under ASan+UBSan with the unit label: nothing may crash or throw
// anything but ApiError, what parses must be well-formed, and a result batch read into reused
// records must be the one a fresh read gives.
#include "server/api/result_batch.hpp"
#include "server/api/rfc3339.hpp"
#include "server/api/test_validation.hpp"
#include "server/auth/credential_format.hpp"
#include "server/http/api_error.hpp"
#include "tests/server/api/result_record_text.hpp"
#include "tests/server/api/sample_agents.hpp"
#include "tests/support/fuzz_mutator.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <set>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;
using streamswarm::testsupport::FuzzMutator;

namespace {

constexpr int kRounds = 20'000;

// Tokens of JSON, RFC 3339 times, credentials and query strings, and numbers at the limits.
FuzzMutator mutator(std::uint32_t seed) {
  return FuzzMutator(seed, {"\"",
                            "\\",
                            "{",
                            "}",
                            "[",
                            "]",
                            ",",
                            ":",
                            "-1",
                            "0",
                            "1e308",
                            "1e400",
                            "18446744073709551616",
                            "9999999999999999999",
                            "-0",
                            "nan",
                            "1.5",
                            "true",
                            "null",
                            "%",
                            "%0",
                            "%zz",
                            "T",
                            "Z",
                            "+",
                            ".",
                            "_",
                            " ",
                            std::string(1, '\0'),
                            "\xff",
                            "60",
                            "24:00",
                            "ssa_",
                            "ag-",
                            "Bearer ",
                            "\r\n",
                            "\\u0073",
                            "\"seq\":",
                            "\"metrics\":",
                            "\"results\":",
                            "\"a\":1,",
                            "{\"x\":[{}]}"});
}

// Runs `f`; only ApiError may escape it.
template <class F>
bool acceptedOrApiError(F&& f) {
  try {
    f();
    return true;
  } catch (const ApiError&) {
    return false;
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(result_batches) {
  const std::vector<std::string> seeds{
      R"({"dropped":3,"results":[{"seq":1,"test_id":"t-1","plugin":"ping","instance":"a","target":"127.0.0.1",
         "timestamp":"2026-11-21T23:41:53.660623Z","metrics":{"rtt_avg_ms":1.5,"hop.3.rtt_ms":2},
         "document":{"hops":[1,{"x":null}]},"document_schema":2,"error":"timeout"},
         {"seq":9,"plugin":"sysmetrics","timestamp":"2026-11-21T23:41:54Z","metrics":{}}]})",
      R"({"results":[]})",
      R"({"results":[{"seq":5,"test_id":null,"plugin":"p","timestamp":"2026-01-01T00:00:00+02:00"}]})",
      R"({"results":[{"seq":1,"plugin":"s","timestamp":"2026-01-01T00:00:00Z","metrics":{"cpu.user_percent":1,
         "mem.available_bytes":2e9}},{"seq":2,"plugin":"s","timestamp":"2026-01-01T00:00:01Z","metrics":{
         "cpu.user_percent":3,"mem.available_bytes":4,"m\u0065m":5,"cpu.user_percent":6}}]})"};
  auto m = mutator(1);
  // Reads reusing the records of the reads before must give what a fresh read gives.
  ResultBatchReader reader;
  std::size_t parsed = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto body = m.mutate(seeds);
    ResultBatch batch;
    if (!acceptedOrApiError([&] { batch = parseResultBatch(body, "ag-1"); })) {
      BOOST_REQUIRE(!acceptedOrApiError([&] { reader.read(body, "ag-1"); }));
      continue;
    }
    ++parsed;
    auto reused = reader.read(body, "ag-1");
    BOOST_REQUIRE(recordTexts(reused.results) == recordTexts(batch.results));
    reader.recycle(std::move(reused));
    std::int64_t last = 0;
    for (const auto& r : batch.results) {
      BOOST_REQUIRE(r.seq > last);
      BOOST_REQUIRE(!r.plugin.empty());
      BOOST_REQUIRE(r.timestamp >= 0);
      BOOST_REQUIRE(r.metrics.size() <= kMaxMetricsPerResult);
      std::set<std::string> names;
      for (const auto& [name, value] : r.metrics) {
        BOOST_REQUIRE(names.insert(name).second);
        BOOST_REQUIRE(!std::isnan(value));
      }
      if (r.documentJson) BOOST_REQUIRE(boost::json::parse(*r.documentJson).is_object());
      last = r.seq;
    }
  }
  BOOST_TEST(parsed > 100u);  // the mutations keep some inputs valid, so the checks above ran
}

BOOST_AUTO_TEST_CASE(test_definitions) {
  const std::vector<AgentRecord> agents{registeredAgent("ag-000000000001", {"dc1"}, {pingSchema(), sysSchema()})};
  const std::vector<std::string> seeds{
      R"({"name":"n","plugin":"ping","targets":["127.0.0.1","[::1]:53","https://x.example/"],"options":{"count":"5",
         "timeout":"250ms","mode":"udp"},"agents":["ag-000000000001"],"labels":["dc1"],"start":"2026-11-21T23:41:53Z",
         "duration_s":60,"interval_s":10,"recurring_every_s":3600})",
      R"({"plugin":"sysmetrics","options":{"scope":"all"},"labels":["dc1"],"interval_s":1.5})"};
  auto m = mutator(2);
  std::size_t accepted = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto text = m.mutate(seeds);
    boost::json::error_code ec;
    const auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) continue;
    TestRecord t;
    if (!acceptedOrApiError([&] { t = validateTestRequest(v.get_object(), agents, 0); })) continue;
    ++accepted;
    BOOST_REQUIRE(t.intervalNs >= 1'000'000'000);
    BOOST_REQUIRE(!t.durationNs || *t.durationNs > 0);
    for (const auto& target : t.targets) BOOST_REQUIRE(!targetProblem(target));
  }
  BOOST_TEST(accepted > 100u);
}

BOOST_AUTO_TEST_CASE(times_credentials_and_headers) {
  const std::vector<std::string> times{"2026-11-21T23:41:53.660623Z", "2024-02-29t00:00:00+05:30",
                                       "1970-01-01 00:00:00.123456789-00:00"};
  const auto secret = std::string(64, 'a');
  const std::vector<std::string> credentials{"sse_0123456789ab_" + secret, "ssk_0123456789ab_" + secret,
                                             "ssa_ag-0123456789ab_" + secret, "Bearer ssa_ag-0123456789ab_" + secret};
  const std::vector<std::string> queries{"since=17&wait=30", "test=t-1&metric=rtt%2Eavg&from=2026-01-01T00%3A00Z",
                                         "a=b+c&&=&x"};
  auto m = mutator(3);
  for (int i = 0; i < kRounds; ++i) {
    if (const auto t = parseRfc3339(m.mutate(times))) {
      // Microseconds survive formatting and parsing back.
      BOOST_REQUIRE(*t >= 0);
      BOOST_REQUIRE(parseRfc3339(formatRfc3339(*t)).value() == *t / 1000 * 1000);
    }
    if (const auto c = parseCredential(m.mutate(credentials)))
      BOOST_REQUIRE(parseCredential(formatCredential(c->kind, c->id, c->secret)).has_value());
    const auto header = m.mutate(credentials);  // parseBearer returns a view into it
    if (const auto token = parseBearer(header))
      BOOST_REQUIRE((!token->empty() && token->find(' ') == std::string_view::npos));
    ApiRequest req;
    req.query = m.mutate(queries);
    for (const auto* name : {"since", "wait", "test", "metric", "from", "x", ""}) req.queryParam(name);
  }
}

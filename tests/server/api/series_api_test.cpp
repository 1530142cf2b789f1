#define BOOST_TEST_MODULE server_series_api
// Chart and export endpoints over the in-memory store: what they answer, every 4xx they give, and
// that each asks for a credential. The SQLite side (rollups) has its own tests in
// tests/server/storage; the real server process is exercised by tests/server/integration.
#include "server/api/series_api.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/result_export.hpp"
#include "server/api/rfc3339.hpp"
#include "server/auth/sessions.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/auth/web_access.hpp"
#include "tests/server/api/api_request.hpp"
#include "tests/server/api/sample_agents.hpp"
#include "tests/server/fake_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;
namespace json = boost::json;

namespace {

constexpr TimeNs kNow = 1'800'000'000'000'000'000;
constexpr TimeNs kS = 1'000'000'000;
constexpr TimeNs kStart = kNow - 86'400 * kS;

struct Api {
  FakeStore store;
  Sessions sessions{store, [] { return kNow; }};
  WebAccess access{store, sessions, [] { return kNow; }};
  AdminApi adminApi{store, access, [] { return kNow; }, {}};
  SeriesApi seriesApi{store, access};
  Router router;
  std::string token;
  std::int64_t seq = 0;

  Api() {
    adminApi.addRoutes(router);
    seriesApi.addRoutes(router);
    auto issued = issueToken(TokenKind::kAdmin, "ops", std::nullopt, std::nullopt, kNow);
    store.createToken(issued.record);
    token = issued.token;
    store.createAgent(registeredAgent("ag-a", {}, {pingSchema()}));
    store.createAgent(registeredAgent("ag-b", {}, {pingSchema(), sysSchema()}));
    TestRecord t;
    t.id = "t-000000000001";
    t.plugin = "ping";
    t.intervalNs = 1 * kS;
    store.createTest(t);
  }

  ApiResponse get(const std::string& target, bool authorized = true) {
    std::optional<ApiResponse> answer;
    router.dispatch(apiRequest("GET", target, {}, authorized ? token : std::string()),
                    [&](ApiResponse r) { answer = std::move(r); });
    BOOST_REQUIRE(answer);
    return *answer;
  }

  void add(const std::string& agent, TimeNs ts, std::vector<std::pair<std::string, double>> metrics,
           const std::string& target = "8.8.8.8", const std::string& error = "") {
    ResultRecord r;
    r.agentId = agent;
    r.seq = ++seq;
    r.testId = "t-000000000001";
    r.plugin = "ping";
    r.target = target;
    r.timestamp = ts;
    r.metrics = std::move(metrics);
    r.error = error;
    store.ingest(agent, std::vector<ResultRecord>{r}, 0);
  }

  static std::string error(const ApiResponse& r) { return std::string(json::parse(r.body).at("error").as_string()); }
};

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

const std::string kSeries = "/api/v1/tests/t-000000000001/series";

}  // namespace

BOOST_FIXTURE_TEST_CASE(every_route_needs_a_credential, Api) {
  for (const auto& target : {kSeries + "?metric=rtt_avg_ms", std::string("/api/v1/tests/t-000000000001/metrics"),
                             std::string("/api/v1/results?format=csv")}) {
    const auto r = get(target, false);
    BOOST_TEST(r.status == 401u, target);
    BOOST_TEST(r.body.find("timestamp") == std::string::npos);
  }
}

BOOST_FIXTURE_TEST_CASE(unknown_tests_are_404, Api) {
  BOOST_TEST(get("/api/v1/tests/t-00000000000f/series?metric=rtt_avg_ms").status == 404u);
  BOOST_TEST(get("/api/v1/tests/t-00000000000f/metrics").status == 404u);
}

BOOST_FIXTURE_TEST_CASE(bad_parameters_are_400_naming_the_parameter, Api) {
  add("ag-a", kStart, {{"rtt_avg_ms", 1}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "'metric' is required"},
      {"?metric=", "'metric' is required"},
      {"?metric=rtt_max_ms", "unknown metric 'rtt_max_ms'"},
      {"?metric=cpu.busy_ratio", "unknown metric"},  // another plugin's
      {"?metric=rtt_avg_ms&points=0", "'points' must be an integer in 1..10000"},
      {"?metric=rtt_avg_ms&points=10001", "'points'"},
      {"?metric=rtt_avg_ms&points=12x", "'points'"},
      {"?metric=rtt_avg_ms&points=-1", "'points'"},
      {"?metric=rtt_avg_ms&from=yesterday", "'from' is not an RFC 3339 time"},
      {"?metric=rtt_avg_ms&to=2026-13-01T00:00:00Z", "'to' is not an RFC 3339 time"},
      {"?metric=rtt_avg_ms&from=2026-11-22T00:00:00Z&to=2026-11-22T00:00:00Z", "'from' must be before 'to'"},
      {"?metric=rtt_avg_ms&from=2026-11-22T00:00:01Z&to=2026-11-22T00:00:00Z", "'from' must be before 'to'"},
  };
  for (const auto& [query, message] : cases) {
    const auto r = get(kSeries + query);
    BOOST_TEST(r.status == 400u, query);
    BOOST_TEST(error(r).find(message) != std::string::npos, query << ": " << error(r));
  }
}

BOOST_FIXTURE_TEST_CASE(declared_metrics_not_stored_yet_chart_as_empty, Api) {
  for (const auto* metric : {"loss_ratio", "hop.3.rtt_ms"}) {
    const auto r = get(kSeries + "?metric=" + metric);
    BOOST_TEST(r.status == 200u, metric << ": " << r.body);
    const auto o = json::parse(r.body).as_object();
    BOOST_TEST(o.at("series").as_array().empty());
    BOOST_TEST(o.at("from").is_null());  // no results at all yet
  }
}

BOOST_FIXTURE_TEST_CASE(few_samples_come_back_as_they_are, Api) {
  add("ag-b", kStart + 2 * kS, {{"rtt_avg_ms", 2.5}, {"loss_ratio", 0}});
  add("ag-a", kStart, {{"rtt_avg_ms", 1.25}});
  add("ag-a", kStart + 1 * kS + 500'000, {{"rtt_avg_ms", 0.1}});
  const auto r = get(kSeries + "?metric=rtt_avg_ms");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(r.contentType == "application/json");
  const auto o = json::parse(r.body).as_object();
  BOOST_TEST(o.at("test").as_string() == "t-000000000001");
  BOOST_TEST(o.at("metric").as_string() == "rtt_avg_ms");
  BOOST_TEST(o.at("downsampled").as_bool() == false);
  BOOST_TEST(o.at("bucket_s").to_number<double>() == 0);
  BOOST_TEST(o.at("from").as_string() == formatRfc3339(kStart));
  BOOST_TEST(o.at("to").as_string() == formatRfc3339(kStart + 2 * kS + 1));
  const auto& series = o.at("series").as_array();
  BOOST_TEST_REQUIRE(series.size() == 2u);
  BOOST_TEST(series[0].at("agent").as_string() == "ag-a");
  BOOST_TEST(series[0].at("target").as_string() == "8.8.8.8");
  const auto& points = series[0].at("points").as_array();
  BOOST_TEST_REQUIRE(points.size() == 2u);
  // [t_ms, min, avg, max, count]; the second sample's 0.5 ms stays below the millisecond.
  BOOST_TEST(json::serialize(points[0]) == "[" + std::to_string(kStart / 1'000'000) + ",1.25E0,1.25E0,1.25E0,1]");
  BOOST_TEST(points[1].as_array()[0].as_int64() == (kStart + kS) / 1'000'000);
  BOOST_TEST(points[1].as_array()[2].as_double() == 0.1);
}

BOOST_FIXTURE_TEST_CASE(many_samples_are_downsampled_to_the_points_asked_for, Api) {
  for (int i = 0; i < 600; ++i) add(i % 2 ? "ag-a" : "ag-b", kStart + i * kS, {{"rtt_avg_ms", 1.0 * i}});
  const auto r = get(kSeries + "?metric=rtt_avg_ms&agent=ag-a&points=30");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  const auto o = json::parse(r.body).as_object();
  BOOST_TEST(o.at("downsampled").as_bool());
  BOOST_TEST(o.at("bucket_s").to_number<double>() == 20);  // 600 s / 30 points: the 10 s level, 20 s buckets
  const auto& series = o.at("series").as_array();
  BOOST_TEST_REQUIRE(series.size() == 1u);
  BOOST_TEST(series[0].at("agent").as_string() == "ag-a");
  const auto& points = series[0].at("points").as_array();
  BOOST_TEST(points.size() <= 30u);
  std::int64_t count = 0;
  for (const auto& p : points) {
    const auto& a = p.as_array();
    BOOST_TEST(a.size() == 5u);
    BOOST_TEST(a[1].to_number<double>() <= a[2].to_number<double>());
    BOOST_TEST(a[2].to_number<double>() <= a[3].to_number<double>());
    count += a[4].as_int64();
  }
  BOOST_TEST(count == 300);
  // A window with a handful of samples: those samples.
  const auto window = get(kSeries + "?metric=rtt_avg_ms&points=30&from=" + formatRfc3339(kStart + 100 * kS) +
                          "&to=" + formatRfc3339(kStart + 110 * kS));
  const auto w = json::parse(window.body).as_object();
  BOOST_TEST(!w.at("downsampled").as_bool());
  BOOST_TEST(w.at("series").as_array().size() == 2u);
  BOOST_TEST(w.at("series").as_array()[0].at("points").as_array().size() == 5u);
}

BOOST_FIXTURE_TEST_CASE(metrics_lists_declared_and_stored_metrics_and_the_series, Api) {
  add("ag-a", kStart, {{"rtt_avg_ms", 1}, {"hop.4.rtt_ms", 3}}, "8.8.8.8");
  add("ag-b", kStart, {{"legacy_metric", 1}}, "9.9.9.9");
  const auto r = get("/api/v1/tests/t-000000000001/metrics");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  const auto o = json::parse(r.body).as_object();
  std::ostringstream metrics;
  for (const auto& m : o.at("metrics").as_array())
    metrics << std::string(m.at("name").as_string()) << ":" << std::string(m.at("unit").as_string()) << ":"
            << std::string(m.at("type").as_string()) << " ";
  BOOST_TEST(metrics.str() == "rtt_avg_ms:ms:gauge loss_ratio::gauge hop.4.rtt_ms:ms:gauge legacy_metric::unknown ");
  const auto& series = o.at("series").as_array();
  BOOST_TEST_REQUIRE(series.size() == 2u);
  BOOST_TEST(series[1].at("agent").as_string() == "ag-b");
  BOOST_TEST(series[1].at("target").as_string() == "9.9.9.9");
  // A stored metric the plugin no longer declares still charts.
  BOOST_TEST(get(kSeries + "?metric=legacy_metric").status == 200u);
}

BOOST_FIXTURE_TEST_CASE(csv_export_quotes_fields_per_rfc_4180, Api) {
  add("ag-a", kStart, {{"rtt_avg_ms", 1.5}, {"loss_ratio", 0}}, "a,b");
  add("ag-b", kStart + kS, {}, "say \"hi\"", "timeout\nafter 1 s");
  const auto r = get("/api/v1/results?test=t-000000000001&format=csv");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(r.contentType == "text/csv; charset=utf-8");
  BOOST_TEST(header(r, "Content-Disposition") == "attachment; filename=\"results-t-000000000001.csv\"");
  BOOST_TEST(header(r, "X-Results-Truncated").empty());
  const std::string t0 = formatRfc3339(kStart), t1 = formatRfc3339(kStart + kS);
  BOOST_TEST(r.body == "timestamp,agent,target,metric,value,error\r\n" + t0 + ",ag-a,\"a,b\",rtt_avg_ms,1.5,\r\n" + t0 +
                           ",ag-a,\"a,b\",loss_ratio,0,\r\n" + t1 +
                           ",ag-b,\"say \"\"hi\"\"\",,,\"timeout\nafter 1 s\"\r\n");
  // One metric only.
  const auto one = get("/api/v1/results?test=t-000000000001&metric=loss_ratio&format=csv");
  BOOST_TEST(one.body == "timestamp,agent,target,metric,value,error\r\n" + t0 + ",ag-a,\"a,b\",loss_ratio,0,\r\n");
}

BOOST_FIXTURE_TEST_CASE(json_export_is_the_query_body_as_an_attachment, Api) {
  for (int i = 0; i < 5; ++i) add("ag-a", kStart + i * kS, {{"rtt_avg_ms", 1.0 * i}});
  const auto plain = get("/api/v1/results?test=t-000000000001");
  const auto exported = get("/api/v1/results?test=t-000000000001&format=json");
  BOOST_TEST_REQUIRE(exported.status == 200u);
  BOOST_TEST(exported.contentType == "application/json");
  BOOST_TEST(json::parse(exported.body) == json::parse(plain.body));
  BOOST_TEST(header(exported, "Content-Disposition") == "attachment; filename=\"results-t-000000000001.json\"");
  BOOST_TEST(header(plain, "Content-Disposition").empty());
  // The file name keeps only plain characters of what the caller typed.
  const auto odd = get("/api/v1/results?test=t%22%3B%20x&format=json");
  BOOST_TEST(header(odd, "Content-Disposition") == "attachment; filename=\"results-t___x.json\"");
}

BOOST_FIXTURE_TEST_CASE(exports_say_when_they_are_cut_short, Api) {
  for (int i = 0; i < 10; ++i) add("ag-a", kStart + i * kS, {{"rtt_avg_ms", 1.0 * i}});
  const auto limited = get("/api/v1/results?test=t-000000000001&format=csv&limit=4");
  BOOST_TEST(header(limited, "X-Results-Truncated") == "limit");
  BOOST_TEST(std::count(limited.body.begin(), limited.body.end(), '\n') == 5);
  BOOST_TEST(header(get("/api/v1/results?test=t-000000000001&format=csv&limit=10"), "X-Results-Truncated").empty());

  ResultQuery q;
  q.testId = "t-000000000001";
  const auto full = exportResults(store, q, ExportFormat::kCsv);
  const auto cut = exportResults(store, q, ExportFormat::kCsv, full.body.size() - 1);
  BOOST_TEST(header(cut, "X-Results-Truncated") == "size");
  BOOST_TEST(cut.body == full.body.substr(0, cut.body.size()));  // whole rows, the last one left out
  BOOST_TEST(std::count(cut.body.begin(), cut.body.end(), '\n') == 10);
  const auto cutJson = exportResults(store, q, ExportFormat::kJson, 600);
  BOOST_TEST(header(cutJson, "X-Results-Truncated") == "size");
  BOOST_TEST(cutJson.body.size() <= 600u);
  BOOST_TEST(json::parse(cutJson.body).at("results").as_array().size() >= 1u);
}

BOOST_FIXTURE_TEST_CASE(export_parameters_are_checked, Api) {
  BOOST_TEST(get("/api/v1/results?format=xml").status == 400u);
  BOOST_TEST(error(get("/api/v1/results?format=xml")).find("'format' must be csv or json") != std::string::npos);
  BOOST_TEST(get("/api/v1/results?format=csv&limit=1000000").status == 200u);
  BOOST_TEST(get("/api/v1/results?format=csv&limit=1000001").status == 400u);
  BOOST_TEST(get("/api/v1/results?limit=100001").status == 400u);  // the plain query keeps its bound
  BOOST_TEST(get("/api/v1/results?format=csv&from=nope").status == 400u);
}

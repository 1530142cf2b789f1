#define BOOST_TEST_MODULE server_api
#include "core/server_api.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;
namespace json = boost::json;

namespace {

std::optional<ServerUrl> url(const std::string& text) {
  std::string error;
  auto u = parseServerUrl(text, error);
  BOOST_TEST((u.has_value() == error.empty()), text << ": " << error);
  return u;
}

std::string urlError(const std::string& text) {
  std::string error;
  BOOST_TEST(!parseServerUrl(text, error), text);
  return error;
}

ServerTest test(std::int64_t start, std::int64_t interval, std::int64_t jitter, std::optional<std::int64_t> end) {
  ServerTest t;
  t.id = "t-1";
  t.plugin = "ping";
  t.startNs = start;
  t.intervalNs = interval;
  t.jitterNs = jitter;
  t.endNs = end;
  return t;
}

PluginSchema pingSchema() {
  PluginSchema s;
  s.name = "ping";
  s.version = "1.0.0";
  s.configKeys = {
      {"targets", SS_TYPE_LIST, std::nullopt, "hosts", 1, 0, ""},
      {"count", SS_TYPE_INT, "5", "packets", 1, 100, ""},
      {"interval", SS_TYPE_DURATION, "1s", "between packets", 0.01, 60, ""},
      {"source", SS_TYPE_STRING, "", "source address", 1, 0, ""},
  };
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(server_urls) {
  auto u = url("http://127.0.0.1:8080");
  BOOST_TEST(!u->tls);
  BOOST_TEST(u->host == "127.0.0.1");
  BOOST_TEST(u->port == 8080);
  BOOST_TEST(u->basePath == "");
  BOOST_TEST(u->hostHeader() == "127.0.0.1:8080");
  u = url("https://swarm.example.org/");
  BOOST_TEST(u->tls);
  BOOST_TEST(u->port == 443);
  BOOST_TEST(u->basePath == "");
  BOOST_TEST(u->hostHeader() == "swarm.example.org");
  u = url("https://[::1]:8443/streamswarm/");
  BOOST_TEST(u->host == "::1");
  BOOST_TEST(u->port == 8443);
  BOOST_TEST(u->basePath == "/streamswarm");
  BOOST_TEST(u->hostHeader() == "[::1]:8443");
  BOOST_TEST(u->describe() == "https://[::1]:8443/streamswarm");

  BOOST_TEST(urlError("ftp://x").find("not an http:// or https:// URL") != std::string::npos);
  BOOST_TEST(urlError("http://:80").find("has no host") != std::string::npos);
  BOOST_TEST(urlError("http://host:0").find("port '0'") != std::string::npos);
  BOOST_TEST(urlError("http://host:http").find("port 'http'") != std::string::npos);
  BOOST_TEST(urlError("http://user@host").find("user info") != std::string::npos);
  BOOST_TEST(urlError("http://host/?a=b").find("query") != std::string::npos);
  BOOST_TEST(urlError("http://[::1").find("unclosed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rfc3339_round_trip_and_offsets) {
  BOOST_TEST(*parseRfc3339("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parseRfc3339("2023-11-14T22:13:20.123456Z") == 1'700'000'000'123'456'000);
  BOOST_TEST(*parseRfc3339("2023-11-14T22:13:20.123456789Z") == 1'700'000'000'123'456'789);
  BOOST_TEST(*parseRfc3339("2023-11-15T00:13:20+02:00") == 1'700'000'000'000'000'000);
  BOOST_TEST(*parseRfc3339("2023-11-14T21:13:20.5-01:00") == 1'700'000'000'500'000'000);
  for (const std::int64_t ns : {std::int64_t{0}, std::int64_t{1'700'000'000'123'456'000}, std::int64_t{-1'000'000}})
    BOOST_TEST(*parseRfc3339(rfc3339(ns)) == ns);
  for (const auto* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20Zjunk", "2023-11-14T25:13:20Z", "2023-11-14T22:13:20+0200"})
    BOOST_TEST(!parseRfc3339(bad), bad);
}

BOOST_AUTO_TEST_CASE(enrollment_bodies) {
  const auto body = json::parse(enrollBody("sse_abc_def", "host-7", {"dc1", "rack4"})).as_object();
  BOOST_TEST(body.at("token").as_string() == "sse_abc_def");
  BOOST_TEST(body.at("name").as_string() == "host-7");
  BOOST_TEST(body.at("labels").as_array().size() == 2u);

  const auto e = parseEnrollment(R"({"agent_id":"ag-0123456789ab","credential":"ssa_ag-0123456789ab_ff00"})");
  BOOST_TEST(e.agentId == "ag-0123456789ab");
  BOOST_TEST(e.credential == "ssa_ag-0123456789ab_ff00");
  BOOST_CHECK_THROW(parseEnrollment("{}"), std::invalid_argument);
  BOOST_CHECK_THROW(parseEnrollment("not json"), std::invalid_argument);
  BOOST_CHECK_THROW(parseEnrollment(R"({"agent_id":"ag-1","credential":"ssa_ag-2_ff"})"), std::invalid_argument);

  BOOST_TEST(*agentIdOfCredential("ssa_ag-0123456789ab_ff00") == "ag-0123456789ab");
  BOOST_TEST(!agentIdOfCredential("sse_ag-1_ff"));
  BOOST_TEST(!agentIdOfCredential("ssa_ag-1_"));
  BOOST_TEST(!agentIdOfCredential("ssa__ff"));
  BOOST_TEST(!agentIdOfCredential("ssa_ag-1_f f"));
}

BOOST_AUTO_TEST_CASE(registration_and_heartbeat_bodies) {
  SystemInfo s;
  s.hostname = "h";
  s.os = "Debian GNU/Linux 12 (bookworm)";
  s.kernel = "6.1.0";
  s.arch = "x86_64";
  s.cpus = 2;
  s.memoryBytes = 1u << 30;
  s.bootTimeNs = 1'700'000'000'000'000'000;
  const std::vector<PluginSchema> plugins{pingSchema()};
  auto body = json::parse(registerBody("host-7", "0.1.0", {"dc1"}, s, plugins)).as_object();
  BOOST_TEST(body.at("version").as_string() == "0.1.0");
  BOOST_TEST(body.at("system").at("cpus").as_int64() == 2);
  BOOST_TEST(body.at("system").at("memory_bytes").to_number<std::uint64_t>() == 1u << 30);
  BOOST_TEST(body.at("system").at("boot_time").as_string() == "2023-11-14T22:13:20.000000Z");
  // The plugin schema travels as core::toJson makes it, so the server reads it back with schemaFromJson.
  BOOST_TEST(schemaFromJson(body.at("plugins").as_array().at(0)).configKeys.size() == 4u);
  s.bootTimeNs = 0;
  body = json::parse(registerBody("host-7", "0.1.0", {}, s, {})).as_object();
  BOOST_TEST(!body.at("system").as_object().contains("boot_time"));  // unknown: left out, not null

  auto r = parseRegistration(R"({"agent_id":"ag-1","heartbeat_interval_s":10,"server_time":"x"})");
  BOOST_TEST(r.heartbeatInterval.count() == 10);
  BOOST_TEST(!r.lastSeq);
  r = parseRegistration(R"({"last_seq":41})");
  BOOST_TEST(*r.lastSeq == 41);

  const auto hb = json::parse(heartbeatBody(3, 7));
  BOOST_TEST(hb.at("spool").at("pending").as_int64() == 3);
  BOOST_TEST(hb.at("spool").at("dropped").as_int64() == 7);
}

BOOST_AUTO_TEST_CASE(test_sets) {
  const auto set = parseTestSet(R"({"version":12,"tests":[
    {"id":"t-a","plugin":"ping","options":{"targets":"a,b","count":"3"},"interval_s":10.0,"jitter_s":1.234,
     "start":"2023-11-14T22:13:20Z","end":null},
    {"id":"t-b","plugin":"sysmetrics","options":{},"interval_s":0.5,"start":"2023-11-14T22:13:20Z",
     "end":"2023-11-14T22:23:20Z"}]})");
  BOOST_TEST(set.version == 12);
  BOOST_REQUIRE_EQUAL(set.tests.size(), 2u);
  const auto& a = set.tests[0];
  BOOST_TEST(a.options.at("targets") == "a,b");
  BOOST_TEST(a.intervalNs == 10'000'000'000);
  BOOST_TEST(a.jitterNs == 1'234'000'000);
  BOOST_TEST(a.startNs == 1'700'000'000'000'000'000);
  BOOST_TEST(!a.endNs);
  BOOST_TEST(set.tests[1].intervalNs == 500'000'000);
  BOOST_TEST(*set.tests[1].endNs == 1'700'000'600'000'000'000);
  BOOST_TEST(set.tests[1].jitterNs == 0);

  auto changed = a;
  changed.jitterNs = 0;
  BOOST_TEST(changed.sameInstance(a));  // a new timing keeps the instance
  BOOST_TEST(!(changed == a));
  changed.options["count"] = "4";
  BOOST_TEST(!changed.sameInstance(a));

  auto message = [](const std::string& body) {
    try {
      parseTestSet(body);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  BOOST_TEST(message(R"({"tests":[]})") == "missing field 'version'");
  BOOST_TEST(message(R"({"version":1,"tests":[{"id":"t-x","plugin":"p","interval_s":0,"start":"x"}]})") ==
             "test t-x: field 'interval_s' is not positive");
  BOOST_TEST(message(R"({"version":1,"tests":[{"id":"t-x","plugin":"p","interval_s":1,"start":"yesterday"}]})") ==
             "test t-x: field 'start' is not an RFC 3339 time: 'yesterday'");
}

BOOST_AUTO_TEST_CASE(targets_of_the_agent_api) {
  const auto u = *url("http://h:1/base");
  BOOST_TEST(agentTarget(u, "ag-1", "register") == "/base/api/v1/agents/ag-1/register");
  BOOST_TEST(testsTarget(u, "ag-1", 7, std::chrono::seconds(25)) == "/base/api/v1/agents/ag-1/tests?wait=25&since=7");
  BOOST_TEST(testsTarget(u, "ag-1", std::nullopt, std::chrono::seconds(25)) ==
             "/base/api/v1/agents/ag-1/tests?wait=25");
}

BOOST_AUTO_TEST_CASE(result_payloads_and_batches) {
  ProbeResult r;
  r.plugin = "probe_a";
  r.timestampNs = 1'700'000'000'000'000'000;
  r.metrics = {{"test.value", 42}};
  const auto local = spoolPayload(r);
  BOOST_TEST(json::parse(local).at("test_id").is_null());
  r.testId = "t-1";
  const auto fromTest = spoolPayload(r);
  BOOST_TEST(json::parse(fromTest).at("test_id").as_string() == "t-1");

  const std::vector<SpoolEntry> batch{{17, local}, {18, fromTest}};
  const auto body = json::parse(resultsBody(batch, 5)).as_object();
  BOOST_TEST(body.at("dropped").as_int64() == 5);
  const auto& results = body.at("results").as_array();
  BOOST_REQUIRE_EQUAL(results.size(), 2u);
  BOOST_TEST(results[0].at("seq").as_int64() == 17);
  BOOST_TEST(results[1].at("seq").as_int64() == 18);
  BOOST_TEST(results[1].at("plugin").as_string() == "probe_a");
  BOOST_TEST(results[1].at("metrics").at("test.value").as_int64() == 42);
  BOOST_TEST(json::parse(resultsBody({}, 0)).at("results").as_array().empty());
  BOOST_TEST(withSeq(3, "{}") == R"({"seq":3})");

  const auto ack = parseBatchAck(R"({"accepted":1,"duplicates":1,"acked_seq":18})");
  BOOST_TEST(ack.accepted == 1);
  BOOST_TEST(ack.duplicates == 1);
  BOOST_TEST(ack.ackedSeq == 18);
  BOOST_CHECK_THROW(parseBatchAck(R"({"accepted":1})"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(error_bodies) {
  auto e = parseApiError(R"({"error":"unknown test t-x","seq":17})");
  BOOST_TEST(e.message == "unknown test t-x");
  BOOST_TEST(*e.seq == 17);
  e = parseApiError(R"({"error":"request body exceeds 8388608 bytes"})");
  BOOST_TEST(!e.seq);
  e = parseApiError("<html>bad gateway</html>");
  BOOST_TEST(e.message == "<html>bad gateway</html>");
  BOOST_TEST(parseApiError("").message == "(empty body)");
  BOOST_TEST(parseApiError(std::string(1000, 'x')).message.size() == 300u);
}

BOOST_AUTO_TEST_CASE(backoff_doubles_to_thirty_seconds_and_resets) {
  Backoff b;
  std::vector<std::int64_t> ms;
  for (int i = 0; i < 9; ++i) ms.push_back(b.next().count());
  BOOST_TEST(ms == (std::vector<std::int64_t>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}),
             boost::test_tools::per_element());
  b.reset();
  BOOST_TEST(b.next().count() == 500);
}

BOOST_AUTO_TEST_CASE(run_slots_follow_start_jitter_and_interval_until_the_end) {
  const auto t = test(1000, 100, 30, 1330);
  BOOST_TEST(*nextSlotNs(t, 0) == 1030);  // before the start: the first slot
  BOOST_TEST(*nextSlotNs(t, 1030) == 1030);
  BOOST_TEST(*nextSlotNs(t, 1031) == 1130);
  BOOST_TEST(*nextSlotNs(t, 1200) == 1230);
  BOOST_TEST(!nextSlotNs(t, 1231));  // 1330 is the end: no run there
  BOOST_TEST(*nextSlotNs(test(1000, 100, 0, std::nullopt), 1'000'000) == 1'000'000);
}

BOOST_AUTO_TEST_CASE(test_options_get_defaults_and_are_checked_again) {
  auto o = testOptions(pingSchema(), {{"targets", "a,b"}, {"interval", "250000000ns"}});
  BOOST_TEST(o.error == "");
  BOOST_TEST(o.options.at("targets") == "a,b");
  BOOST_TEST(o.options.at("interval") == "250000000ns");  // the server's normal form, unchanged
  BOOST_TEST(o.options.at("count") == "5");               // the default filled in
  BOOST_TEST(o.options.at("source") == "");               // an empty default stays unset

  BOOST_TEST(testOptions(pingSchema(), {{"count", "3"}}).error ==
             "option 'targets' is required by plugin 'ping' and missing");
  BOOST_TEST(testOptions(pingSchema(), {{"targets", "a"}, {"ttl", "3"}}).error ==
             "option 'ttl' is unknown to plugin 'ping' 1.0.0 on this agent");
  BOOST_TEST(testOptions(pingSchema(), {{"targets", "a"}, {"count", "1000"}}).error ==
             "option 'count': 1000 is outside 1..100");
}

#define BOOST_TEST_MODULE server_integration
// The real streamswarm-server binary with its SQLite store, on loopback: tokens from the CLI,
// enrollment, registration, heartbeats, tests reaching a waiting long poll, exactly-once result
// ingest, bad requests that change nothing, TLS, SIGTERM, and the server's own timers (tests
// completing, agents going offline) with nobody watching.
#include "core/probe_result.hpp"
#include "tests/server/integration/server_fixture.hpp"
#include "tests/support/test_pki.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <future>
#include <thread>

namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using namespace std::chrono_literals;
using namespace streamswarm::testsupport::integration;

namespace {

// The tests poll in another thread, on its own connection, as an agent waiting for work does.
std::future<ts::HttpResponse> pollAsync(const Server& s, const Agent& a, std::uint64_t since, int waitS) {
  return std::async(std::launch::async,
                    [url = s.server->url(), credential = a.credential, path = a.path("/tests"), since, waitS] {
                      ts::HttpClient c(url);
                      c.setBearer(credential);
                      return c.get(path + "?since=" + std::to_string(since) + "&wait=" + std::to_string(waitS));
                    });
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(enroll_register_heartbeat_poll_and_deliver_exactly_once, Server) {
  BOOST_TEST(parse(client()->get("/healthz")).at("status").as_string() == "ok");
  auto a = agent();
  auto r = a.client->post(a.path("/heartbeat"), R"({"spool":{"pending":0,"dropped":0}})");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(parse(r).contains("server_time"));

  const auto test = createTest();
  BOOST_TEST(testState(test) == "running");
  r = a.client->get(a.path("/tests"));
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  auto tests = parse(r).at("tests").as_array();
  BOOST_REQUIRE(tests.size() == 1u);
  BOOST_TEST(str(tests[0].at("id")) == test);
  BOOST_TEST(str(tests[0].at("options").at("targets")) == "127.0.0.1");
  BOOST_TEST(str(tests[0].at("options").at("count")) == "2");

  const auto body = batch({result(1, test), result(2, test), result(4, ""), result(7, test, 9.5)});
  r = a.client->post(a.path("/results"), body);
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(parse(r).at("accepted").as_int64() == 4);
  BOOST_TEST(parse(r).at("acked_seq").as_int64() == 7);

  // The agent did not get the answer (say) and sends the same batch again: stored once.
  r = a.client->post(a.path("/results"), body);
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(parse(r).at("accepted").as_int64() == 0);
  BOOST_TEST(parse(r).at("duplicates").as_int64() == 4);
  BOOST_TEST(parse(r).at("acked_seq").as_int64() == 7);

  BOOST_TEST(results() == 4u);
  BOOST_TEST(results("?test=" + test) == 3u);
  BOOST_TEST(results("?agent=" + a.id + "&metric=rtt_avg_ms") == 4u);
  BOOST_TEST(results("?metric=no_such_metric") == 0u);
  BOOST_TEST(results("?test=" + test + "&limit=2") == 2u);
  const auto stored = parse(admin->get("/api/v1/results?test=" + test)).at("results").as_array();
  BOOST_TEST(str(stored[0].at("agent_id")) == a.id);
  BOOST_TEST(stored[2].at("metrics").at("rtt_avg_ms").to_number<double>() == 9.5);

  const auto info = agentInfo(a.id);
  BOOST_TEST(info.at("online").as_bool());
  BOOST_TEST(info.at("last_seq").as_int64() == 7);
  BOOST_TEST(str(info.at("system").at("hostname")) == "h");
  BOOST_TEST(info.at("plugins").as_array().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_change_wakes_a_waiting_long_poll, Server) {
  auto a = agent();
  const auto first = parse(a.client->get(a.path("/tests")));
  const auto version = first.at("version").to_number<std::uint64_t>();
  BOOST_TEST(first.at("tests").as_array().empty());

  // Nothing changes: the poll is parked (not answered at once).
  auto poll = pollAsync(*this, a, version, 25);
  BOOST_TEST((poll.wait_for(300ms) == std::future_status::timeout));
  const auto test = createTest();
  BOOST_REQUIRE_MESSAGE(poll.wait_for(kEventually) == std::future_status::ready, "the long poll was not woken");
  auto woken = parse(poll.get());
  BOOST_TEST(woken.at("version").to_number<std::uint64_t>() > version);
  BOOST_REQUIRE(woken.at("tests").as_array().size() == 1u);
  BOOST_TEST(str(woken.at("tests").as_array()[0].at("id")) == test);

  // Stopping it wakes the next poll, which no longer lists it.
  poll = pollAsync(*this, a, woken.at("version").to_number<std::uint64_t>(), 25);
  BOOST_TEST((poll.wait_for(300ms) == std::future_status::timeout));
  BOOST_TEST(admin->post("/api/v1/tests/" + test + "/stop").status == 200u);
  BOOST_REQUIRE(poll.wait_for(kEventually) == std::future_status::ready);
  BOOST_TEST(parse(poll.get()).at("tests").as_array().empty());
  BOOST_TEST(testState(test) == "stopped");

  // With nothing happening, a short wait ends with the same version.
  const auto now = parse(a.client->get(a.path("/tests"))).at("version").to_number<std::uint64_t>();
  const auto idle = parse(a.client->get(a.path("/tests?since=" + std::to_string(now) + "&wait=0.2")));
  BOOST_TEST(idle.at("version").to_number<std::uint64_t>() == now);
}

BOOST_FIXTURE_TEST_CASE(bad_requests_get_the_right_status_and_change_nothing, Server) {
  auto a = agent();
  auto b = agent();
  const auto test = createTest();
  BOOST_TEST_REQUIRE(a.client->post(a.path("/results"), batch({result(1, test)})).status == 200u);
  const auto resultsBefore = results();
  const auto testsBefore = tests();
  const auto unchanged = [&] {
    BOOST_TEST(results() == resultsBefore);
    BOOST_TEST(tests() == testsBefore);
    BOOST_TEST(agentInfo(a.id).at("last_seq").as_int64() == 1);
  };
  const auto errorOf = [](const ts::HttpResponse& r) { return str(parse(r).at("error")); };

  // Malformed JSON: 400 with the parser's reason and position.
  auto r = a.client->post(a.path("/results"), R"({"results":[{"seq":2,)");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(errorOf(r).starts_with("malformed JSON at line 1, column 22 (offset 21)"), errorOf(r));
  r = admin->post("/api/v1/tests", "{\"plugin\": ping}");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(errorOf(r).starts_with("malformed JSON"), errorOf(r));
  // A wrong content type is tolerated when the body parses.
  r = a.client->post(a.path("/heartbeat"), "{}", {{"Content-Type", "text/plain"}});
  BOOST_TEST(r.status == 200u);
  unchanged();

  // Over 8 MiB: 413 before the body is read (the client still gets the answer).
  r = a.client->post(a.path("/results"), std::string(8 * 1024 * 1024 + 1, ' '));
  BOOST_TEST(r.status == 413u);
  BOOST_TEST(errorOf(r) == "request body exceeds 8388608 bytes");
  // Over 5,000 results: 413 too.
  std::vector<std::string> many;
  for (int i = 0; i < 5001; ++i) many.push_back(result(100 + i, test));
  r = a.client->post(a.path("/results"), batch(many));
  BOOST_TEST(r.status == 413u);
  BOOST_TEST(errorOf(r) == "batch of 5001 results exceeds 5000");
  unchanged();

  // Wrong or missing credentials: 401.
  auto anonymous = client();
  r = anonymous->post(a.path("/results"), batch({result(2, test)}));
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(errorOf(r) == "missing or malformed Authorization header");
  auto forged = a.credential;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  r = client(forged)->post(a.path("/results"), batch({result(2, test)}));
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(client("ssk_nonsense")->get("/api/v1/tests").status == 401u);
  // An agent posting as another: 403.
  r = a.client->post(b.path("/results"), batch({result(2, test)}));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(errorOf(r) == "agent " + a.id + " may only act as itself");
  // An agent on the admin API: 403.
  BOOST_TEST(a.client->post("/api/v1/tests", "{}").status == 403u);
  unchanged();

  // A result naming an unknown test: 422 naming it and the seq; nothing of the batch stored.
  r = a.client->post(a.path("/results"), batch({result(2, test), result(3, "t-0123456789ab"), result(4, test)}));
  BOOST_TEST(r.status == 422u);
  BOOST_TEST(errorOf(r) == "unknown test t-0123456789ab");
  BOOST_TEST(parse(r).at("seq").as_int64() == 3);
  unchanged();

  // Bad plugin options: 400 naming the key.
  r = admin->post(
      "/api/v1/tests",
      R"({"plugin":"ping","targets":["127.0.0.1"],"labels":["dc1"],"options":{"count":"many"},"interval_s":5})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(errorOf(r).find("option 'count'") != std::string::npos, errorOf(r));
  r = admin->post(
      "/api/v1/tests",
      R"({"plugin":"ping","targets":["127.0.0.1"],"labels":["dc1"],"options":{"colour":"red"},"interval_s":5})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(errorOf(r).find("unknown option 'colour'") != std::string::npos, errorOf(r));
  r = admin->post("/api/v1/tests", R"({"plugin":"ping","targets":["not a host"],"labels":["dc1"],"interval_s":5})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(errorOf(r).find("targets[0]") != std::string::npos, errorOf(r));
  r = admin->post("/api/v1/tests",
                  R"({"plugin":"traceroute","targets":["127.0.0.1"],"labels":["dc1"],"interval_s":5})");
  BOOST_TEST(r.status == 400u);
  unchanged();

  // Unknown route, wrong method.
  BOOST_TEST(admin->get("/api/v1/nothing").status == 404u);
  r = admin->request("PUT", "/api/v1/tests/" + test);
  BOOST_TEST(r.status == 405u);
  BOOST_TEST(r.header("Allow") == "GET, DELETE");
  BOOST_TEST(admin->get("/api/v1/tests/t-0123456789ab").status == 404u);
  unchanged();
}

BOOST_FIXTURE_TEST_CASE(http_framing_limits, Server) {
  auto c = client();
  // One connection carries many requests.
  for (int i = 0; i < 5; ++i) BOOST_TEST(c->get("/healthz").status == 200u);
  BOOST_TEST(c->connected());
  // A header over 16 KiB: 431, and the connection is closed.
  auto r = c->get("/healthz", {{"X-Padding", std::string(17 * 1024, 'p')}});
  BOOST_TEST(r.status == 431u);
  BOOST_TEST(!c->connected());
  // Not HTTP at all: 400.
  r = c->raw("HELLO\r\n\r\n");
  BOOST_TEST(r.status == 400u);
  // HTTP/1.0 without keep-alive: answered, then closed.
  r = client()->raw("GET /healthz HTTP/1.0\r\n\r\n");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(client()->get("/api/v1/openapi.yaml").body.starts_with("openapi: 3."));
}

BOOST_FIXTURE_TEST_CASE(enrollment_tokens_from_the_cli_are_used_up_and_revocable, Server) {
  const auto once = enrollmentToken({"--uses", "1"});
  enroll("dc1", once);
  auto r = client()->post("/api/v1/enroll", R"({"token":")" + once + R"(","name":"again"})");
  BOOST_TEST(r.status == 401u);

  const auto revoked = enrollmentToken();
  const auto id = revoked.substr(4, 12);
  BOOST_TEST(ts::serverCli(data.path(), {"token", "list"}).starts_with("ID"));
  ts::serverCli(data.path(), {"token", "revoke", id});
  BOOST_TEST(client()->post("/api/v1/enroll", R"({"token":")" + revoked + R"(","name":"x"})").status == 401u);

  // The admin API makes them too, shows them once, and revokes them.
  r = admin->post("/api/v1/enrollment-tokens", R"({"name":"api","uses":2})");
  BOOST_TEST_REQUIRE(r.status == 201u, r.body);
  const auto token = str(parse(r).at("token"));
  const auto tokenId = str(parse(r).at("id"));
  const auto listed = parse(admin->get("/api/v1/enrollment-tokens")).at("tokens").as_array();
  BOOST_TEST(
      std::none_of(listed.begin(), listed.end(), [](const json::value& t) { return t.as_object().contains("token"); }));
  BOOST_TEST(admin->del("/api/v1/enrollment-tokens/" + tokenId).status == 204u);
  BOOST_TEST(client()->post("/api/v1/enroll", R"({"token":")" + token + R"(","name":"x"})").status == 401u);
}

BOOST_FIXTURE_TEST_CASE(a_revoked_agent_is_refused, Server) {
  auto a = agent();
  BOOST_TEST(a.client->post(a.path("/heartbeat")).status == 200u);
  BOOST_TEST(admin->post("/api/v1/agents/" + a.id + "/revoke").status == 200u);
  const auto r = a.client->post(a.path("/heartbeat"));
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(agentInfo(a.id).at("revoked").as_bool());
}

BOOST_FIXTURE_TEST_CASE(a_test_completes_after_its_duration_with_nobody_watching, Server) {
  auto a = agent();
  const auto test = createTest(R"(,"duration_s":1)");
  BOOST_TEST(testState(test) == "running");
  // No client asks anything for the duration: the server's timer decides.
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(eventually([&] { return testState(test) == "completed"; }), "state: " << testState(test));
  BOOST_TEST(parse(a.client->get(a.path("/tests"))).at("tests").as_array().empty());
  // A pending test starts by itself too.
  const auto later =
      createTest(R"(,"start":")" +
                 streamswarm::core::rfc3339(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                (std::chrono::system_clock::now() + 1s).time_since_epoch())
                                                .count()) +
                 "\"");
  BOOST_TEST(testState(later) == "pending");
  std::this_thread::sleep_for(1200ms);
  BOOST_TEST(eventually([&] { return testState(later) == "running"; }), "state: " << testState(later));
}

BOOST_AUTO_TEST_CASE(agents_are_marked_offline_by_the_servers_timer) {
  Server s;
  s.server->stop();
  s.start({"--offline-after", "1s"});
  auto a = s.agent();
  BOOST_TEST(a.client->post(a.path("/heartbeat")).status == 200u);
  BOOST_TEST(s.agentInfo(a.id).at("online").as_bool());
  std::this_thread::sleep_for(1200ms);
  BOOST_TEST(eventually([&] { return !s.agentInfo(a.id).at("online").as_bool(); }));
  // A heartbeat brings it back.
  BOOST_TEST(a.client->post(a.path("/heartbeat")).status == 200u);
  BOOST_TEST(s.agentInfo(a.id).at("online").as_bool());
}

BOOST_AUTO_TEST_CASE(sigterm_answers_waiting_polls_and_exits_zero) {
  Server s;
  auto a = s.agent();
  const auto version = parse(a.client->get(a.path("/tests"))).at("version").to_number<std::uint64_t>();
  auto poll = pollAsync(s, a, version, 25);
  BOOST_TEST((poll.wait_for(300ms) == std::future_status::timeout));
  s.server->process().signal(SIGTERM);
  BOOST_REQUIRE_MESSAGE(poll.wait_for(kEventually) == std::future_status::ready, "the parked poll was not answered");
  BOOST_TEST(poll.get().status == 200u);
  BOOST_TEST(s.server->process().wait(30s) == 0);
  BOOST_TEST(s.server->process().err().find("stopped") != std::string::npos);

  // The database survives: a restart on the same data directory knows the agent.
  s.start();
  BOOST_TEST(s.agentInfo(a.id).at("id").as_string() == a.id);
  BOOST_TEST(s.server->stop(SIGINT) == 0);
}

BOOST_AUTO_TEST_CASE(tls_with_a_test_made_certificate) {
  // A root CA, an intermediate and a leaf for 127.0.0.1: the server presents the chain, clients
  // trust only the root.
  ts::TempDir pki;
  ts::TestPki ca(pki.path());
  const auto leaf = ca.issue("server", {"localhost"}, {"127.0.0.1"}, -1h, 24h);

  Server s;
  s.server->stop();
  ts::HttpClient::Options trustTestCa;
  trustTestCa.caFile = ca.rootFile();
  s.start({"--tls-cert", leaf.chainFile.string(), "--tls-key", leaf.keyFile.string()}, trustTestCa);
  BOOST_TEST(s.server->url().starts_with("https://127.0.0.1:"));
  BOOST_TEST(s.admin->get("/healthz").status == 200u);
  BOOST_TEST(s.admin->get("/api/v1/tests").status == 200u);
  BOOST_TEST(s.admin->get("/api/v1/tests").status == 200u);  // kept alive over TLS

  // An agent enrolls over TLS, verifying the server against the CA.
  ts::HttpClient agent(s.server->url(), trustTestCa);
  const auto r = agent.post("/api/v1/enroll", R"({"token":")" + s.enrollmentToken() + R"(","name":"tls-host"})");
  BOOST_TEST(r.status == 201u, r.body);

  // Without the CA the certificate is not trusted; plain HTTP gets no answer.
  ts::HttpClient::Options systemStore;
  ts::HttpClient untrusting(s.server->url(), systemStore);
  BOOST_CHECK_THROW(untrusting.get("/healthz"), std::runtime_error);
  ts::HttpClient::Options quick;
  quick.timeout = 3s;
  ts::HttpClient plain("http://127.0.0.1:" + std::to_string(s.server->port()), quick);
  BOOST_CHECK_THROW(plain.get("/healthz"), std::runtime_error);
  BOOST_TEST(s.server->stop() == 0);
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_get_503) {
  Server s;
  s.server->stop();
  s.start({"--max-connections", "2"});
  // The admin client holds one kept-alive connection; a second fits; a third is refused.
  BOOST_TEST(s.admin->get("/healthz").status == 200u);
  auto second = s.client();
  BOOST_TEST(second->get("/healthz").status == 200u);
  auto third = s.client();
  const auto r = third->get("/healthz");
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(parse(r).at("error").as_string() == "too many connections");
  // Closing one makes room again.
  second->close();
  BOOST_TEST(eventually([&] { return s.client()->get("/healthz").status == 200u; }));
}

BOOST_FIXTURE_TEST_CASE(charts_and_exports_of_a_test, Server) {
  auto a = agent();
  const auto test = createTest();
  // 3,000 results 5 s apart (the test's interval): about four hours.
  constexpr std::int64_t kResults = 3'000;
  constexpr std::int64_t kStartNs = 1'795'000'000'000'000'000;
  std::vector<std::string> results;
  for (std::int64_t i = 0; i < kResults; ++i)
    results.push_back(json::serialize(
        json::object{{"seq", i + 1},
                     {"test_id", test},
                     {"plugin", "ping"},
                     {"target", "127.0.0.1"},
                     {"timestamp", streamswarm::core::rfc3339(kStartNs + i * 5'000'000'000)},
                     {"metrics", json::object{{"rtt_avg_ms", static_cast<double>(i % 100)}, {"loss_ratio", 0}}}}));
  const auto posted = a.client->post(a.path("/results"), batch(results));
  BOOST_TEST_REQUIRE(posted.status == 200u, posted.body);

  const auto metrics = parse(admin->get("/api/v1/tests/" + test + "/metrics"));
  BOOST_TEST(str(metrics.at("metrics").as_array()[0].at("name")) == "rtt_avg_ms");
  BOOST_TEST(str(metrics.at("metrics").as_array()[0].at("unit")) == "ms");
  BOOST_TEST(json::serialize(metrics.at("series")) ==
             json::serialize(json::array{json::object{{"agent", a.id}, {"target", "127.0.0.1"}}}));

  // Whatever the rollup worker has reached, every sample is in the chart, once.
  const auto chart = [&] {
    const auto r = admin->get("/api/v1/tests/" + test + "/series?metric=rtt_avg_ms&points=100");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    const auto o = parse(r);
    BOOST_TEST(o.at("downsampled").as_bool());
    std::int64_t count = 0;
    double low = 1e9, high = -1e9;
    for (const auto& p : o.at("series").as_array().at(0).at("points").as_array()) {
      count += p.as_array()[4].as_int64();
      low = std::min(low, p.as_array()[1].to_number<double>());
      high = std::max(high, p.as_array()[3].to_number<double>());
    }
    BOOST_TEST(count == kResults);
    BOOST_TEST(low == 0);
    BOOST_TEST(high == 99);
    BOOST_TEST(o.at("series").as_array().at(0).at("points").as_array().size() <= 100u);
    return r.body;
  };
  chart();
  std::this_thread::sleep_for(1s);  // the worker polls every 200 ms: rolled up by now, or nearly
  const auto rolledUp = chart();
  BOOST_TEST(client()->get("/api/v1/tests/" + test + "/series?metric=rtt_avg_ms").status == 401u);
  BOOST_TEST(admin->get("/api/v1/tests/" + test + "/series?metric=nope").status == 400u);

  const auto csv = admin->get("/api/v1/results?test=" + test + "&format=csv");
  BOOST_TEST_REQUIRE(csv.status == 200u);
  BOOST_TEST(csv.header("Content-Type") == "text/csv; charset=utf-8");
  BOOST_TEST(csv.header("Content-Disposition") == "attachment; filename=\"results-" + test + ".csv\"");
  BOOST_TEST(csv.body.starts_with("timestamp,agent,target,metric,value,error\r\n"));
  BOOST_TEST(std::count(csv.body.begin(), csv.body.end(), '\n') == 1 + 2 * kResults);

  // The rollups are in the database: a restarted server answers the same.
  server->stop();
  start();
  BOOST_TEST(chart() == rolledUp);

  BOOST_TEST(admin->del("/api/v1/tests/" + test).status == 204u);
  BOOST_TEST(admin->get("/api/v1/tests/" + test + "/series?metric=rtt_avg_ms").status == 404u);
  BOOST_TEST(server->process().err().find("rollups:") == std::string::npos, server->process().err());
}

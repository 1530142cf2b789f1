#define BOOST_TEST_MODULE server_agent_api
// The agent API over an in-memory store: enrollment, registration, the exactly-once result
// ingest with its 422 rejections (which store nothing), heartbeats and the tests poll. The real
// HTTP server and SQLite store are exercised by tests/server/integration.
#include "server/api/agent_api.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/test_validation.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/auth/web_access.hpp"
#include "server/scheduler/tests_notifier.hpp"
#include "tests/server/api/api_request.hpp"
#include "tests/server/api/sample_agents.hpp"
#include "tests/server/fake_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;
namespace json = boost::json;

namespace {

constexpr TimeNs kNow = 1'800'000'000'000'000'000;

struct Api {
  FakeStore store;
  boost::asio::io_context io;
  TestsNotifier notifier{io, 100};
  TimeNs now = kNow;
  int changes = 0;
  AgentApi agentApi{store, notifier, [this] { return now; }, [this] { ++changes; }};
  Sessions sessions{store, [this] { return now; }};
  WebAccess access{store, sessions, [this] { return now; }};
  AdminApi adminApi{store, access, [this] { return now; },
                    [this] {
                      ++changes;
                      notifier.bump();
                    }};
  Router router;
  std::string adminToken;

  Api() {
    agentApi.addRoutes(router);
    adminApi.addRoutes(router);
    auto issued = issueToken(TokenKind::kAdmin, "ops", std::nullopt, std::nullopt, kNow);
    store.createToken(issued.record);
    adminToken = issued.token;
  }

  ApiResponse call(const std::string& method, const std::string& target, const std::string& body,
                   const std::string& token) {
    std::optional<ApiResponse> answer;
    router.dispatch(apiRequest(method, target, body, token), [&](ApiResponse r) { answer = std::move(r); });
    io.restart();
    io.run();  // completes long polls answered "at once" (they are posted)
    BOOST_REQUIRE(answer);
    return *answer;
  }

  // Enrolls and registers an agent with ping and sysmetrics; returns {id, credential}.
  std::pair<std::string, std::string> agent(const std::string& label = "dc1") {
    auto token = issueToken(TokenKind::kEnrollment, "", std::nullopt, 1, kNow);
    store.createToken(token.record);
    const auto enrolled = call("POST", "/api/v1/enroll",
                               R"({"token":")" + token.token + R"(","name":"h","labels":[")" + label + "\"]}", "");
    BOOST_REQUIRE(enrolled.status == 201u);
    const auto o = json::parse(enrolled.body).as_object();
    const std::string id(o.at("agent_id").as_string()), credential(o.at("credential").as_string());
    const auto registered = call("POST", "/api/v1/agents/" + id + "/register",
                                 R"({"version":"0.1.0","system":{"hostname":"h","boot_time":"2026-11-21T23:00:00Z"},
                                     "plugins":)" +
                                     pluginsJson({pingSchema(), sysSchema()}) + "}",
                                 credential);
    BOOST_REQUIRE_MESSAGE(registered.status == 200u, registered.body);
    return {id, credential};
  }

  std::string createTest(const std::string& label = "dc1") {
    const auto r =
        call("POST", "/api/v1/tests",
             R"({"plugin":"ping","targets":["127.0.0.1"],"labels":[")" + label + R"("],"interval_s":5})", adminToken);
    BOOST_REQUIRE_MESSAGE(r.status == 201u, r.body);
    return std::string(json::parse(r.body).at("id").as_string());
  }

  std::size_t stored() { return store.countResults({}); }
};

std::string result(std::int64_t seq, const std::string& extra = {}) {
  return R"({"seq":)" + std::to_string(seq) +
         R"(,"plugin":"ping","target":"127.0.0.1","timestamp":"2026-11-21T23:41:53Z","metrics":{"rtt_avg_ms":0.1})" +
         extra + "}";
}

std::string batch(const std::vector<std::string>& results, int dropped = 0) {
  std::string body = R"({"dropped":)" + std::to_string(dropped) + R"(,"results":[)";
  for (std::size_t i = 0; i < results.size(); ++i) body += (i ? "," : "") + results[i];
  return body + "]}";
}

json::object bodyOf(const ApiResponse& r) {
  return json::parse(r.body).as_object();
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(enrollment_gives_a_working_credential_once, Api) {
  auto token = issueToken(TokenKind::kEnrollment, "", std::nullopt, 1, kNow);
  store.createToken(token.record);
  const auto body = R"({"token":")" + token.token + R"(","name":"host-7","labels":["dc1"]})";
  const auto r = call("POST", "/api/v1/enroll", body, "");
  BOOST_TEST(r.status == 201u);
  const auto id = std::string(bodyOf(r).at("agent_id").as_string());
  BOOST_TEST(store.findAgent(id)->labels == std::vector<std::string>{"dc1"});
  BOOST_TEST(call("POST", "/api/v1/enroll", body, "").status == 401u);  // used up
  BOOST_TEST(call("POST", "/api/v1/enroll", R"({"name":"x"})", "").status == 400u);
}

BOOST_FIXTURE_TEST_CASE(registration_stores_canonical_plugins_and_validates, Api) {
  const auto [id, credential] = agent();
  const auto a = store.findAgent(id).value();
  BOOST_TEST(a.version == "0.1.0");
  BOOST_TEST(json::parse(a.systemJson).at("hostname").as_string() == "h");
  BOOST_TEST(registeredPlugins(a).size() == 2u);
  const auto bad =
      call("POST", "/api/v1/agents/" + id + "/register", R"({"version":"1","plugins":[{"name":"x"}]})", credential);
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(bodyOf(bad).at("error").as_string().find("plugins[0]") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_retried_batch_is_stored_once, Api) {
  const auto [id, credential] = agent();
  const auto test = createTest();
  const auto body = batch({result(1, R"(,"test_id":")" + test + "\""), result(2), result(5)});
  auto r = call("POST", "/api/v1/agents/" + id + "/results", body, credential);
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(bodyOf(r).at("accepted").as_int64() == 3);
  BOOST_TEST(bodyOf(r).at("acked_seq").as_int64() == 5);
  r = call("POST", "/api/v1/agents/" + id + "/results", body, credential);
  BOOST_TEST(bodyOf(r).at("accepted").as_int64() == 0);
  BOOST_TEST(bodyOf(r).at("duplicates").as_int64() == 3);
  BOOST_TEST(stored() == 3u);
}

BOOST_FIXTURE_TEST_CASE(unknown_tests_metrics_and_plugins_reject_the_whole_batch, Api) {
  const auto [id, credential] = agent();
  const auto post = [&](const std::string& body) {
    return call("POST", "/api/v1/agents/" + id + "/results", body, credential);
  };
  auto r = post(batch({result(1), result(2, R"(,"test_id":"t-000000000000")")}));
  BOOST_TEST(r.status == 422u);
  BOOST_TEST(bodyOf(r).at("error").as_string() == "unknown test t-000000000000");
  BOOST_TEST(bodyOf(r).at("seq").as_int64() == 2);

  r = post(
      batch({result(1), R"({"seq":2,"plugin":"ping","timestamp":"2026-11-21T23:41:53Z","metrics":{"jitter":1}})"}));
  BOOST_TEST(r.status == 422u);
  BOOST_TEST(bodyOf(r).at("error").as_string() == "metric 'jitter' is not declared by plugin 'ping'");

  r = post(batch({R"({"seq":1,"plugin":"dns","timestamp":"2026-11-21T23:41:53Z","error":"no plugin"})"}));
  BOOST_TEST(r.status == 422u);
  BOOST_TEST(stored() == 0u);
  BOOST_TEST(store.findAgent(id)->lastSeq == 0);

  // Labelled families match any one segment.
  r = post(batch({R"({"seq":1,"plugin":"ping","timestamp":"2026-11-21T23:41:53Z","metrics":{"hop.3.rtt_ms":2}})"}));
  BOOST_TEST(r.status == 200u, r.body);
}

BOOST_FIXTURE_TEST_CASE(agents_post_only_as_themselves, Api) {
  const auto [a, credentialA] = agent();
  const auto [b, credentialB] = agent();
  const auto r = call("POST", "/api/v1/agents/" + b + "/results", batch({result(1)}), credentialA);
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(call("POST", "/api/v1/agents/" + a + "/results", batch({result(1)}), "").status == 401u);
  BOOST_TEST(call("GET", "/api/v1/agents", "", credentialA).status == 403u);
  BOOST_TEST(stored() == 0u);
}

BOOST_FIXTURE_TEST_CASE(heartbeats_record_last_seen_and_dropped, Api) {
  const auto [id, credential] = agent();
  now += 5'000'000'000;
  const auto r =
      call("POST", "/api/v1/agents/" + id + "/heartbeat", R"({"spool":{"pending":3,"dropped":7}})", credential);
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(bodyOf(r).at("tests_version").as_int64() == 100);
  const auto a = store.findAgent(id).value();
  BOOST_TEST(a.lastSeen.value() == now);
  BOOST_TEST(a.droppedTotal == 7);
  BOOST_TEST(call("POST", "/api/v1/agents/" + id + "/heartbeat", R"({"spool":{"dropped":-1}})", credential).status ==
             400u);
}

BOOST_FIXTURE_TEST_CASE(the_tests_poll_lists_running_tests_of_this_agent, Api) {
  const auto [id, credential] = agent("dc1");
  const auto [other, otherCredential] = agent("dc2");
  const auto test = createTest("dc1");
  BOOST_TEST(changes >= 1);
  auto r = call("GET", "/api/v1/agents/" + id + "/tests", "", credential);
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  auto o = bodyOf(r);
  BOOST_TEST(o.at("version").as_int64() == 101);
  BOOST_REQUIRE(o.at("tests").as_array().size() == 1u);
  const auto& t = o.at("tests").as_array()[0].as_object();
  BOOST_TEST(t.at("id").as_string() == test);
  BOOST_TEST(t.at("options").at("targets").as_string() == "127.0.0.1");
  BOOST_TEST(t.at("interval_s").to_number<double>() == 5.0);
  BOOST_TEST(t.at("end").is_null());
  const auto jitter = t.at("jitter_s").to_number<double>();
  BOOST_TEST((jitter >= 0 && jitter < 5));

  r = call("GET", "/api/v1/agents/" + other + "/tests?since=0&wait=0", "", otherCredential);
  BOOST_TEST(bodyOf(r).at("tests").as_array().empty());
  // An old version is answered at once, whatever the wait.
  r = call("GET", "/api/v1/agents/" + other + "/tests?since=5&wait=30", "", otherCredential);
  BOOST_TEST(bodyOf(r).at("version").as_int64() == 101);
  BOOST_TEST(call("GET", "/api/v1/agents/" + id + "/tests?since=x", "", credential).status == 400u);
}

BOOST_FIXTURE_TEST_CASE(stop_and_delete, Api) {
  const auto [id, credential] = agent();
  const auto test = createTest();
  BOOST_TEST(call("POST", "/api/v1/tests/" + test + "/stop", "", adminToken).status == 200u);
  BOOST_TEST(testStateName(store.findTest(test)->state) == std::string("stopped"));
  const auto again = call("POST", "/api/v1/tests/" + test + "/stop", "", adminToken);
  BOOST_TEST(again.status == 409u);
  BOOST_TEST(call("DELETE", "/api/v1/tests/" + test, "", adminToken).status == 204u);
  BOOST_TEST(call("GET", "/api/v1/tests/" + test, "", adminToken).status == 404u);
  BOOST_TEST(call("DELETE", "/api/v1/tests/" + test, "", adminToken).status == 404u);
}

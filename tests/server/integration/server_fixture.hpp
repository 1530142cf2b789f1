// The real streamswarm-server for integration tests over HTTP: a data directory with an admin
// API token, the server on a free loopback port, an admin client, agents enrolled and registered
// through the agent API, and helpers for tests, results and waiting on what the server does on
// its own. Shared by the server's integration tests.
#pragma once

#include "tests/server/api/sample_agents.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace streamswarm::testsupport::integration {

namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using namespace std::chrono_literals;
using streamswarm::server::testing::pingSchema;
using streamswarm::server::testing::pluginsJson;
using streamswarm::server::testing::sysSchema;

// How long a test waits for something the server does on its own (a long poll waking, a timer
// firing) before calling it a failure. Generous on purpose: the contract is "within 1 s" and a
// loaded 2-core machine must not make that flaky; the assertion is that it happens at all.
constexpr auto kEventually = 5s;

inline json::object parse(const ts::HttpResponse& r) {
  try {
    return json::parse(r.body).as_object();
  } catch (const std::exception& e) {
    BOOST_FAIL("response is not a JSON object (" << e.what() << "): " << r.status << " " << r.body);
  }
  return {};
}

inline std::string str(const json::value& v) {
  return std::string(v.as_string());
}

struct Agent {
  std::string id;
  std::string credential;
  std::unique_ptr<ts::HttpClient> client;

  std::string path(const std::string& tail) const { return "/api/v1/agents/" + id + tail; }
};

inline std::string result(std::int64_t seq, const std::string& testId, double rtt = 0.25) {
  json::object o{{"seq", seq},
                 {"plugin", "ping"},
                 {"target", "127.0.0.1"},
                 {"timestamp", "2026-11-21T23:41:53." + std::to_string(100000 + seq) + "Z"},
                 {"metrics", json::object{{"rtt_avg_ms", rtt}, {"loss_ratio", 0}}}};
  if (!testId.empty()) o["test_id"] = testId;
  return json::serialize(o);
}

inline std::string batch(const std::vector<std::string>& results, int dropped = 0) {
  std::string body = R"({"dropped":)" + std::to_string(dropped) + R"(,"results":[)";
  for (std::size_t i = 0; i < results.size(); ++i) body += (i ? "," : "") + results[i];
  return body + "]}";
}

struct Server {
  ts::TempDir data;
  std::string adminToken;
  std::optional<ts::ServerProcess> server;
  std::unique_ptr<ts::HttpClient> admin;

  Server() : adminToken(ts::serverCli(data.path(), {"admin-token", "create", "--name", "integration"})) { start(); }

  void start(std::vector<std::string> extra = {}, ts::HttpClient::Options options = {}) {
    server.emplace(data.path(), std::move(extra));
    admin = std::make_unique<ts::HttpClient>(server->url(), options);
    admin->setBearer(adminToken);
  }

  std::unique_ptr<ts::HttpClient> client(const std::string& bearer = {}) const {
    auto c = std::make_unique<ts::HttpClient>(server->url());
    c->setBearer(bearer);
    return c;
  }

  std::string enrollmentToken(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"token", "create", "--name", "fleet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ts::serverCli(data.path(), args);
  }

  Agent enroll(const std::string& label = "dc1", const std::string& token = {}) {
    auto c = client();
    const auto r =
        c->post("/api/v1/enroll", json::serialize(json::object{{"token", token.empty() ? enrollmentToken() : token},
                                                               {"name", "host-" + label},
                                                               {"labels", json::array{json::value(label)}}}));
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
    const auto o = parse(r);
    Agent a{str(o.at("agent_id")), str(o.at("credential")), nullptr};
    c->setBearer(a.credential);
    a.client = std::move(c);
    return a;
  }

  void registerAgent(const Agent& a) {
    const auto r = a.client->post(
        a.path("/register"),
        R"({"name":"host","version":"0.1.0","labels":["dc1"],"system":{"hostname":"h","os":"linux","kernel":"6.1",
            "arch":"x86_64","cpus":2,"memory_bytes":1024,"boot_time":"2026-11-21T00:00:00Z"},"plugins":)" +
            pluginsJson({pingSchema(), sysSchema()}) + "}");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
  }

  Agent agent() {
    auto a = enroll();
    registerAgent(a);
    return a;
  }

  std::string createTest(const std::string& extra = {}) {
    const auto r =
        admin->post("/api/v1/tests", R"({"name":"loopback","plugin":"ping","targets":["127.0.0.1"],"labels":["dc1"],
                                        "options":{"count":"2"},"interval_s":5)" +
                                         extra + "}");
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.status << " " << r.body);
    return str(parse(r).at("id"));
  }

  std::size_t results(const std::string& query = {}) {
    const auto r = admin->get("/api/v1/results" + query);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
    return parse(r).at("results").as_array().size();
  }

  std::size_t tests() {
    const auto r = admin->get("/api/v1/tests");
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.status << " " << r.body);
    return parse(r).at("tests").as_array().size();
  }

  std::string testState(const std::string& id) { return str(parse(admin->get("/api/v1/tests/" + id)).at("state")); }

  json::object agentInfo(const std::string& id) {
    const auto listed = parse(admin->get("/api/v1/agents"));
    for (const auto& a : listed.at("agents").as_array())
      if (a.at("id").as_string() == id) return a.as_object();
    BOOST_FAIL("agent " << id << " not listed");
    return {};
  }
};

template <class Predicate>
inline bool eventually(Predicate&& p, std::chrono::milliseconds limit = kEventually) {
  return testsupport::eventually(p, limit);
}

}  // namespace streamswarm::testsupport::integration

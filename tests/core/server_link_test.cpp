#define BOOST_TEST_MODULE server_link
// The agent's server link against a scripted loopback server that plays the server API: enrollment
// and the stored credential, retries while the server fails, and the handling of results the
// server refuses for good (one named seq; a batch refused without naming one is split until it is
// found), so that one bad result never blocks the spool.
#include "core/server_link.hpp"
#include "core/agent_config.hpp"
#include "core/credential_file.hpp"
#include "core/error.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <mutex>
#include <set>

using namespace streamswarm::core;
namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kAgent = "ag-0123456789ab";
constexpr auto kCredential = "ssa_ag-0123456789ab_00ff";

ts::HttpTestResponse reply(unsigned status, const json::value& body) {
  ts::HttpTestResponse r;
  r.status = status;
  r.body = json::serialize(body);
  r.headers = {{"Content-Type", "application/json"}};
  return r;
}

// What the fake server stored, and how it answers /results.
struct Ledger {
  std::mutex mutex;
  std::int64_t lastSeq = 0;
  std::vector<std::int64_t> stored;
  std::vector<std::vector<std::int64_t>> batches;  // seqs of every batch received
  std::set<std::int64_t> unknownTest;              // 422 naming the seq
  std::set<std::int64_t> tooLarge;                 // 413 for any batch holding it, naming nothing
  int failFirst = 0;                               // 503 for this many batches first
  std::int64_t dropped = 0;
  int heartbeats = 0;

  ts::HttpTestResponse results(const ts::HttpTestRequest& request) {
    std::lock_guard lock(mutex);
    const auto body = json::parse(request.body).as_object();
    dropped = body.at("dropped").as_int64();
    std::vector<std::int64_t> seqs;
    for (const auto& r : body.at("results").as_array()) seqs.push_back(r.at("seq").as_int64());
    batches.push_back(seqs);
    if (failFirst > 0) {
      --failFirst;
      return reply(503, {{"error", "database busy"}});
    }
    for (const auto seq : seqs)
      if (tooLarge.count(seq)) return reply(413, {{"error", "request body exceeds 8388608 bytes"}});
    for (const auto seq : seqs)
      if (unknownTest.count(seq) && seq > lastSeq) return reply(422, {{"error", "unknown test t-gone"}, {"seq", seq}});
    std::int64_t accepted = 0;
    for (const auto seq : seqs)
      if (seq > lastSeq) {
        stored.push_back(seq);
        lastSeq = seq;
        ++accepted;
      }
    return reply(200, {{"accepted", accepted},
                       {"duplicates", static_cast<std::int64_t>(seqs.size()) - accepted},
                       {"acked_seq", lastSeq}});
  }
};

struct Fixture {
  ts::TempDir dir;
  ts::HttpTestServer server;
  Ledger ledger;
  boost::asio::io_context io;
  std::optional<ResultSpool> spool;
  std::vector<std::vector<ServerTest>> testSets;
  std::optional<std::string> fatal;
  int enrollments = 0;

  Fixture() {
    server.route("/api/v1/enroll", [this](const ts::HttpTestRequest& r) {
      const auto body = json::parse(r.body);
      ++enrollments;
      if (body.at("token").as_string() != "sse_good_1") return reply(401, {{"error", "enrollment token is used up"}});
      return reply(201, {{"agent_id", kAgent}, {"credential", kCredential}});
    });
    server.route(std::string("/api/v1/agents/") + kAgent + "/register", [](const ts::HttpTestRequest& r) {
      if (r.header("Authorization") != std::string("Bearer ") + kCredential)
        return reply(401, {{"error", "agent credential revoked"}});
      return reply(200, {{"agent_id", kAgent}, {"heartbeat_interval_s", 10}, {"server_time", "x"}});
    });
    server.route(std::string("/api/v1/agents/") + kAgent + "/heartbeat", [this](const ts::HttpTestRequest&) {
      std::lock_guard lock(ledger.mutex);
      ++ledger.heartbeats;
      return reply(200, {{"server_time", "x"}, {"tests_version", 1}});
    });
    server.route(std::string("/api/v1/agents/") + kAgent + "/tests", [](const ts::HttpTestRequest& r) {
      auto response = reply(200, json::parse(R"({"version":1,"tests":[{"id":"t-1","plugin":"probe_a",
          "options":{"mode":"ok"},"interval_s":1,"jitter_s":0,"start":"2026-01-01T00:00:00Z","end":null}]})"));
      // A long poll that knows the version waits (shortened: the agent asks again afterwards).
      if (r.target.find("since=") != std::string::npos) response.firstByteDelay = 1s;
      return response;
    });
    server.route(std::string("/api/v1/agents/") + kAgent + "/results",
                 [this](const ts::HttpTestRequest& r) { return ledger.results(r); });
  }

  AgentConfig config(const std::string& token = "sse_good_1") {
    ts::writeFile(dir / "agent.conf",
                  "[agent]\nname = link-test\n[server]\nurl = " + server.url() + "\nenrollment_token = " + token +
                      "\nstate_dir = " + (dir / "state").string() + "\nbatch_size = 4\nheartbeat = 1s\n");
    auto c = loadAgentConfig(dir / "agent.conf");
    ensureStateDir(c.server->stateDir);
    spool.emplace(c.server->spoolFile(), c.server->spoolMaxBytes);
    return c;
  }

  std::shared_ptr<ServerLink> link(const AgentConfig& c) {
    return std::make_shared<ServerLink>(
        io, c, *spool, "0.1.0-test", [this](const std::vector<ServerTest>& t) { testSets.push_back(t); },
        [this](const std::string& message) { fatal = message; });
  }

  void append(int n) {
    for (int i = 0; i < n; ++i) spool->append(R"({"test_id":null,"plugin":"probe_a","metrics":{}})");
  }

  // Runs the agent's io_context until `done` holds or the deadline passes.
  template <class F>
  bool runUntil(F done, std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(20ms);
    }
    return done();
  }

  std::vector<std::int64_t> stored() {
    std::lock_guard lock(ledger.mutex);
    return ledger.stored;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(enrolls_registers_and_delivers_past_refused_results, Fixture) {
  const auto c = config();
  append(8);
  ledger.failFirst = 1;      // the server is briefly unwell: nothing is dropped for that
  ledger.unknownTest = {3};  // a result of a test deleted meanwhile: 422 naming seq 3
  ledger.tooLarge = {6};     // refused without a seq: found by splitting the batch
  const auto l = link(c);
  l->start({});
  const bool delivered =
      runUntil([&] { return spool->pendingCount() == 0 && stored().size() == 6 && !testSets.empty(); });
  BOOST_TEST(!fatal, fatal.value_or(""));
  BOOST_REQUIRE(delivered);
  BOOST_TEST(stored() == (std::vector<std::int64_t>{1, 2, 4, 5, 7, 8}), boost::test_tools::per_element());
  BOOST_TEST(spool->droppedTotal() == 2u);
  {
    std::lock_guard lock(ledger.mutex);
    // 503, then the same batch again; 422 on seq 3; the rest of the first four; 413 on [6,7,8],
    // then halved to [6] alone (413 again: dropped); then [7,8].
    const std::vector<std::vector<std::int64_t>> expected{{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 4, 5},
                                                          {6, 7, 8},    {6},          {7, 8}};
    BOOST_TEST(ledger.batches.size() == expected.size());
    for (std::size_t i = 0; i < std::min(expected.size(), ledger.batches.size()); ++i)
      BOOST_TEST(ledger.batches[i] == expected[i], boost::test_tools::per_element());
  }

  // The credential is stored for the next start, readable by the agent's user only.
  const auto credential = readCredential(c.server->credentialFile());
  BOOST_REQUIRE(credential);
  BOOST_TEST(credential->agentId == kAgent);
  struct stat st {};
  BOOST_REQUIRE(::stat(c.server->credentialFile().c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);

  BOOST_REQUIRE(!testSets.empty());
  BOOST_REQUIRE_EQUAL(testSets.front().size(), 1u);
  BOOST_TEST(testSets.front()[0].id == "t-1");

  // Heartbeats carry the spool's numbers; the dropped total reaches the server.
  BOOST_TEST(runUntil([&] {
    std::lock_guard lock(ledger.mutex);
    return ledger.heartbeats > 0;
  }));
  append(1);
  l->resultsAppended();
  BOOST_TEST(runUntil([&] { return stored().size() == 7; }));
  {
    std::lock_guard lock(ledger.mutex);
    BOOST_TEST(ledger.dropped == 2);
  }
  BOOST_TEST(enrollments == 1);
  l->stop();

  // The next start registers with the stored credential; no second enrollment.
  const auto again = link(c);
  again->start({});
  append(1);
  again->resultsAppended();
  BOOST_TEST(runUntil([&] { return stored().size() == 8; }));
  BOOST_TEST(enrollments == 1);
  BOOST_TEST(stored().back() == 10);
  again->stop();
}

BOOST_FIXTURE_TEST_CASE(a_refused_enrollment_token_is_fatal_and_names_the_key, Fixture) {
  const auto c = config("sse_used_up");
  const auto l = link(c);
  l->start({});
  BOOST_REQUIRE(runUntil([&] { return fatal.has_value(); }));
  BOOST_TEST(fatal->find((dir / "agent.conf").string() + ": [server] key 'enrollment_token': the server refused") == 0u,
             *fatal);
  BOOST_TEST(fatal->find("HTTP 401: enrollment token is used up") != std::string::npos, *fatal);
  BOOST_TEST(!std::filesystem::exists(c.server->credentialFile()));
}

BOOST_FIXTURE_TEST_CASE(a_refused_credential_is_fatal_and_names_the_file, Fixture) {
  const auto c = config();
  writeCredential(c.server->credentialFile(), "ssa_ag-0123456789ab_bad0");
  const auto l = link(c);
  l->start({});
  BOOST_REQUIRE(runUntil([&] { return fatal.has_value(); }));
  BOOST_TEST(fatal->find(c.server->credentialFile().string() + ": the server refused this agent's credential") == 0u,
             *fatal);
  BOOST_TEST(enrollments == 0);
}

BOOST_FIXTURE_TEST_CASE(a_spool_behind_the_server_is_renumbered_not_lost, Fixture) {
  const auto c = config();
  ledger.lastSeq = 100;  // the server has this agent's results up to 100; this spool starts at 1
  append(3);
  const auto l = link(c);
  l->start({});
  BOOST_REQUIRE(runUntil([&] { return spool->pendingCount() == 0; }));
  BOOST_TEST(stored() == (std::vector<std::int64_t>{101, 102, 103}), boost::test_tools::per_element());
  BOOST_TEST(spool->droppedTotal() == 0u);
  l->stop();
}

BOOST_AUTO_TEST_CASE(without_a_credential_or_a_token_the_link_does_not_start) {
  ts::TempDir dir;
  ts::writeFile(dir / "agent.conf",
                "[server]\nurl = http://127.0.0.1:9\nstate_dir = " + (dir / "state").string() + "\n");
  const auto c = loadAgentConfig(dir / "agent.conf");
  ensureStateDir(c.server->stateDir);
  ResultSpool spool(c.server->spoolFile(), c.server->spoolMaxBytes);
  boost::asio::io_context io;
  try {
    ServerLink link(io, c, spool, "0", {}, {});
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("[server]: this agent has no credential in") != std::string::npos, e.what());
  }
}

#define BOOST_TEST_MODULE storage_sqlite_store
#include <boost/test/unit_test.hpp>

#include "server/storage/sqlite_store.hpp"
#include "server/storage/store.hpp"
#include "tests/support/process.hpp"

#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

// Designated initializers leave the fields they do not name at their defaults, which is the point
// here; GCC 12 warns about it anyway.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace streamswarm::server;
using streamswarm::testsupport::TempDir;

namespace {

struct StoreFixture {
  TempDir dir;
  std::string path = (dir / "streamswarm.db").string();
  std::unique_ptr<Store> store = openSqliteStore(path);

  void reopen() {
    store.reset();
    store = openSqliteStore(path);
  }
};

AgentRecord agent(const std::string& id) {
  AgentRecord a;
  a.id = id;
  a.credentialHash = "hash-" + id;
  a.name = "host-" + id;
  a.enrolledAt = 1'000;
  return a;
}

TestRecord test(const std::string& id) {
  TestRecord t;
  t.id = id;
  t.name = "name of " + id;
  t.plugin = "ping";
  t.targets = {"127.0.0.1"};
  t.intervalNs = 10'000'000'000;
  t.startAt = 5;
  t.createdAt = 5;
  t.updatedAt = 5;
  return t;
}

ResultRecord result(std::int64_t seq, std::optional<std::string> testId = std::nullopt, TimeNs ts = 0,
                    std::vector<std::pair<std::string, double>> metrics = {{"rtt_ms", 1.5}}) {
  ResultRecord r;
  r.seq = seq;
  r.testId = std::move(testId);
  r.plugin = "ping";
  r.target = "127.0.0.1";
  r.timestamp = ts ? ts : seq * 1'000;
  r.metrics = std::move(metrics);
  return r;
}

std::vector<ResultRecord> seqRange(std::int64_t first, std::int64_t last, std::optional<std::string> testId = {}) {
  std::vector<ResultRecord> out;
  for (auto s = first; s <= last; ++s) out.push_back(result(s, testId));
  return out;
}

std::vector<std::int64_t> seqs(const std::vector<ResultRecord>& results) {
  std::vector<std::int64_t> out;
  for (const auto& r : results) out.push_back(r.seq);
  return out;
}

std::uint64_t bits(double d) {
  return std::bit_cast<std::uint64_t>(d);
}

}  // namespace

// ---- Tokens -------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(tokens, StoreFixture)

BOOST_AUTO_TEST_CASE(round_trip_and_listing_by_kind) {
  store->createToken(TokenRecord{.id = "e1",
                                 .kind = TokenKind::kEnrollment,
                                 .secretHash = "abc",
                                 .name = "first",
                                 .createdAt = 10,
                                 .expiresAt = 100,
                                 .usesLeft = 3});
  store->createToken(TokenRecord{.id = "a1", .kind = TokenKind::kAdmin, .secretHash = "def", .createdAt = 11});
  store->createToken(TokenRecord{.id = "e0", .secretHash = "x", .createdAt = 9});
  const auto t = store->findToken("e1");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST((t->kind == TokenKind::kEnrollment));
  BOOST_TEST(t->secretHash == "abc");
  BOOST_TEST(t->name == "first");
  BOOST_TEST(t->createdAt == 10);
  BOOST_TEST(t->expiresAt.value() == 100);
  BOOST_TEST(t->usesLeft.value() == 3);
  BOOST_TEST(!t->revoked);
  const auto admin = store->findToken("a1");
  BOOST_TEST((admin->kind == TokenKind::kAdmin));
  BOOST_TEST(!admin->expiresAt.has_value());
  BOOST_TEST(!admin->usesLeft.has_value());
  BOOST_TEST(!store->findToken("nope").has_value());

  std::vector<std::string> enrollment;
  for (const auto& tok : store->listTokens(TokenKind::kEnrollment)) enrollment.push_back(tok.id);
  BOOST_TEST(enrollment == (std::vector<std::string>{"e0", "e1"}));  // by creation time
  BOOST_TEST(store->listTokens(TokenKind::kAdmin).size() == 1u);
}

BOOST_AUTO_TEST_CASE(duplicate_id_is_an_error) {
  store->createToken(TokenRecord{.id = "e1", .secretHash = "a"});
  BOOST_CHECK_THROW(store->createToken(TokenRecord{.id = "e1", .secretHash = "b"}), StoreError);
}

BOOST_AUTO_TEST_CASE(consume_counts_down_to_zero) {
  store->createToken(TokenRecord{.id = "e", .secretHash = "h", .usesLeft = 2});
  BOOST_TEST(store->consumeEnrollmentToken("e", 1));
  BOOST_TEST(store->findToken("e")->usesLeft.value() == 1);
  BOOST_TEST(store->consumeEnrollmentToken("e", 2));
  BOOST_TEST(!store->consumeEnrollmentToken("e", 3));
  BOOST_TEST(store->findToken("e")->usesLeft.value() == 0);
  BOOST_TEST(!store->consumeEnrollmentToken("unknown", 1));
}

BOOST_AUTO_TEST_CASE(unlimited_uses_stay_unlimited) {
  store->createToken(TokenRecord{.id = "e", .secretHash = "h"});
  for (int i = 0; i < 5; ++i) BOOST_TEST(store->consumeEnrollmentToken("e", i));
  BOOST_TEST(!store->findToken("e")->usesLeft.has_value());
}

BOOST_AUTO_TEST_CASE(expiry_is_exclusive) {
  store->createToken(TokenRecord{.id = "e", .secretHash = "h", .expiresAt = 1'000});
  BOOST_TEST(store->consumeEnrollmentToken("e", 999));
  BOOST_TEST(!store->consumeEnrollmentToken("e", 1'000));
  BOOST_TEST(!store->consumeEnrollmentToken("e", 5'000));
}

BOOST_AUTO_TEST_CASE(revoked_and_admin_tokens_are_not_consumed) {
  store->createToken(TokenRecord{.id = "e", .secretHash = "h", .usesLeft = 5});
  store->createToken(TokenRecord{.id = "a", .kind = TokenKind::kAdmin, .secretHash = "h"});
  BOOST_TEST(store->revokeToken("e"));
  BOOST_TEST(store->revokeToken("e"));  // still exists: true again
  BOOST_TEST(!store->revokeToken("nope"));
  BOOST_TEST(store->findToken("e")->revoked);
  BOOST_TEST(!store->consumeEnrollmentToken("e", 1));
  BOOST_TEST(store->findToken("e")->usesLeft.value() == 5);
  BOOST_TEST(!store->consumeEnrollmentToken("a", 1));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Agents -------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(agents, StoreFixture)

BOOST_AUTO_TEST_CASE(round_trip) {
  AgentRecord a = agent("ag-1");
  a.labels = {"dc1", "rack \"7\""};
  a.systemJson = R"({"hostname":"h"})";
  a.pluginsJson = R"([{"name":"ping"}])";
  a.version = "0.1.0";
  a.lastSeen = 1'234;
  a.online = true;
  store->createAgent(a);
  const auto got = store->findAgent("ag-1");
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->credentialHash == "hash-ag-1");
  BOOST_TEST(got->name == "host-ag-1");
  BOOST_TEST(got->labels == a.labels);
  BOOST_TEST(got->systemJson == a.systemJson);
  BOOST_TEST(got->pluginsJson == a.pluginsJson);
  BOOST_TEST(got->version == "0.1.0");
  BOOST_TEST(got->enrolledAt == 1'000);
  BOOST_TEST(got->lastSeen.value() == 1'234);
  BOOST_TEST(got->online);
  BOOST_TEST(!got->revoked);
  BOOST_TEST(got->lastSeq == 0);
  BOOST_TEST(got->droppedTotal == 0);
  BOOST_TEST(!store->findAgent("ag-2").has_value());
  BOOST_CHECK_THROW(store->createAgent(a), StoreError);
}

BOOST_AUTO_TEST_CASE(registration_updates_facts_and_marks_online) {
  store->createAgent(agent("ag-1"));
  BOOST_TEST(!store->findAgent("ag-1")->online);
  store->updateRegistration("ag-1", "renamed", {"x", "y"}, R"({"cpus":2})", R"([{"name":"dns"}])", "0.2.0", 777);
  const auto a = store->findAgent("ag-1");
  BOOST_TEST(a->name == "renamed");
  BOOST_TEST(a->labels == (std::vector<std::string>{"x", "y"}));
  BOOST_TEST(a->systemJson == R"({"cpus":2})");
  BOOST_TEST(a->pluginsJson == R"([{"name":"dns"}])");
  BOOST_TEST(a->version == "0.2.0");
  BOOST_TEST(a->lastSeen.value() == 777);
  BOOST_TEST(a->online);
  BOOST_TEST(a->credentialHash == "hash-ag-1");  // untouched
  BOOST_CHECK_THROW(store->updateRegistration("ag-9", "n", {}, "{}", "[]", "v", 1), StoreError);
  BOOST_CHECK_THROW(store->touchAgent("ag-9", 1), StoreError);
}

BOOST_AUTO_TEST_CASE(mark_offline_uses_the_cutoff) {
  for (const char* id : {"ag-a", "ag-b", "ag-c", "ag-d"}) store->createAgent(agent(id));
  store->touchAgent("ag-a", 100);
  store->touchAgent("ag-b", 200);
  store->touchAgent("ag-c", 150);  // seen exactly at the cutoff: still online
  // ag-d was never seen and is not online: nothing to mark.
  BOOST_TEST(store->markOffline(150) == (std::vector<std::string>{"ag-a"}));
  BOOST_TEST(store->markOffline(150).empty());  // already offline
  BOOST_TEST(!store->findAgent("ag-a")->online);
  BOOST_TEST(store->findAgent("ag-b")->online);
  BOOST_TEST(store->findAgent("ag-c")->online);
  BOOST_TEST(store->markOffline(1'000) == (std::vector<std::string>{"ag-b", "ag-c"}));
  store->touchAgent("ag-a", 2'000);
  BOOST_TEST(store->findAgent("ag-a")->online);
  BOOST_TEST(store->findAgent("ag-a")->lastSeen.value() == 2'000);
}

BOOST_AUTO_TEST_CASE(revoke) {
  store->createAgent(agent("ag-1"));
  store->touchAgent("ag-1", 5);
  BOOST_TEST(store->revokeAgent("ag-1"));
  BOOST_TEST(store->findAgent("ag-1")->revoked);
  BOOST_TEST(!store->findAgent("ag-1")->online);
  BOOST_TEST(!store->revokeAgent("ag-9"));
}

BOOST_AUTO_TEST_CASE(list_in_enrollment_order) {
  auto late = agent("ag-late");
  late.enrolledAt = 50;
  auto early = agent("ag-early");
  early.enrolledAt = 10;
  store->createAgent(late);
  store->createAgent(early);
  const auto all = store->listAgents();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].id == "ag-early");
  BOOST_TEST(all[1].id == "ag-late");
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Tests --------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(tests, StoreFixture)

BOOST_AUTO_TEST_CASE(state_names_round_trip) {
  for (auto s :
       {TestState::kPending, TestState::kRunning, TestState::kCompleted, TestState::kStopped, TestState::kFailed})
    BOOST_TEST((testStateFromName(testStateName(s)) == s));
  BOOST_TEST(std::string(testStateName(TestState::kRunning)) == "running");
  BOOST_TEST(!testStateFromName("Running").has_value());
  BOOST_TEST(!testStateFromName("").has_value());
}

BOOST_AUTO_TEST_CASE(round_trip_every_field) {
  TestRecord t = test("t-1");
  t.targets = {"a.example", "10.0.0.1", "::1"};
  t.options = {{"count", "3"}, {"ttl", "64"}, {"a_first_alphabetically", "x"}};
  t.agentIds = {"ag-1", "ag-2"};
  t.labels = {"dc1"};
  t.durationNs = 600'000'000'000;
  t.recurEveryNs = 86'400'000'000'000;
  t.state = TestState::kRunning;
  t.jitterNs = 1'234'567;
  store->createTest(t);
  const auto got = store->findTest("t-1");
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->name == t.name);
  BOOST_TEST(got->plugin == "ping");
  BOOST_TEST(got->targets == t.targets);
  BOOST_TEST((got->options == t.options));  // order kept
  BOOST_TEST(got->agentIds == t.agentIds);
  BOOST_TEST(got->labels == t.labels);
  BOOST_TEST(got->startAt == 5);
  BOOST_TEST(got->durationNs.value() == 600'000'000'000);
  BOOST_TEST(got->intervalNs == 10'000'000'000);
  BOOST_TEST(got->recurEveryNs.value() == 86'400'000'000'000);
  BOOST_TEST((got->state == TestState::kRunning));
  BOOST_TEST(got->createdAt == 5);
  BOOST_TEST(got->updatedAt == 5);
  BOOST_TEST(got->jitterNs == 1'234'567);

  store->createTest(test("t-2"));
  const auto plain = store->findTest("t-2");
  BOOST_TEST(!plain->durationNs.has_value());
  BOOST_TEST(!plain->recurEveryNs.has_value());
  BOOST_TEST(plain->options.empty());
  BOOST_TEST(!store->findTest("t-3").has_value());
  BOOST_CHECK_THROW(store->createTest(t), StoreError);
}

BOOST_AUTO_TEST_CASE(state_changes_and_listing) {
  store->createTest(test("t-1"));
  auto second = test("t-2");
  second.createdAt = 7;
  store->createTest(second);
  BOOST_TEST(store->setTestState("t-1", TestState::kStopped, 99));
  const auto t = store->findTest("t-1");
  BOOST_TEST((t->state == TestState::kStopped));
  BOOST_TEST(t->updatedAt == 99);
  BOOST_TEST(!store->setTestState("t-9", TestState::kStopped, 99));
  const auto all = store->listTests();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].id == "t-1");
  BOOST_TEST(all[1].id == "t-2");
}

BOOST_AUTO_TEST_CASE(delete_removes_the_test_and_only_its_results) {
  store->createAgent(agent("ag-1"));
  store->createTest(test("t-1"));
  store->createTest(test("t-2"));
  std::vector<ResultRecord> batch = seqRange(1, 5, "t-1");
  for (auto& r : seqRange(6, 8, "t-2")) batch.push_back(r);
  for (auto& r : seqRange(9, 10)) batch.push_back(r);  // local results: no test
  store->ingest("ag-1", batch, 0);
  BOOST_TEST(store->countResults({.agentId = "ag-1"}) == 10u);

  BOOST_TEST(store->deleteTest("t-1"));
  BOOST_TEST(!store->findTest("t-1").has_value());
  BOOST_TEST(store->countResults({.testId = "t-1"}) == 0u);
  BOOST_TEST(seqs(store->queryResults({.agentId = "ag-1"})) == (std::vector<std::int64_t>{6, 7, 8, 9, 10}));
  BOOST_TEST(!store->deleteTest("t-1"));

  // Results naming the deleted test are refused; a new test may reuse the id.
  BOOST_CHECK_THROW(store->ingest("ag-1", seqRange(11, 11, "t-1"), 0), StoreError);
  store->createTest(test("t-1"));
  BOOST_TEST(store->ingest("ag-1", seqRange(11, 12, "t-1"), 0).accepted == 2u);
  BOOST_TEST(seqs(store->queryResults({.testId = "t-1"})) == (std::vector<std::int64_t>{11, 12}));
}

BOOST_AUTO_TEST_CASE(delete_in_several_chunks) {
  store.reset();
  SqliteStore chunked(path, SqliteStoreOptions{.readConnections = 2, .deleteChunkRows = 3});
  chunked.createAgent(agent("ag-1"));
  chunked.createTest(test("t-1"));
  chunked.createTest(test("t-2"));
  std::vector<ResultRecord> batch = seqRange(1, 10, "t-1");  // 3 + 3 + 3 + the last one
  for (auto& r : seqRange(11, 12, "t-2")) batch.push_back(r);
  chunked.ingest("ag-1", batch, 0);
  BOOST_TEST(chunked.deleteTest("t-1"));
  BOOST_TEST(chunked.countResults({.testId = "t-1"}) == 0u);
  BOOST_TEST(!chunked.findTest("t-1").has_value());
  BOOST_TEST(seqs(chunked.queryResults({})) == (std::vector<std::int64_t>{11, 12}));
  BOOST_TEST(chunked.deleteTest("t-2"));  // exactly one chunk's worth less one
  BOOST_TEST(chunked.countResults({}) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Ingest -------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(ingest, StoreFixture)

BOOST_AUTO_TEST_CASE(a_retried_batch_is_stored_once) {
  store->createAgent(agent("ag-1"));
  const auto batch = seqRange(1, 10);
  const auto first = store->ingest("ag-1", batch, 0);
  BOOST_TEST(first.accepted == 10u);
  BOOST_TEST(first.duplicates == 0u);
  BOOST_TEST(first.ackedSeq == 10);
  const auto retry = store->ingest("ag-1", batch, 0);
  BOOST_TEST(retry.accepted == 0u);
  BOOST_TEST(retry.duplicates == 10u);
  BOOST_TEST(retry.ackedSeq == 10);
  BOOST_TEST(store->countResults({.agentId = "ag-1"}) == 10u);
  BOOST_TEST(store->findAgent("ag-1")->lastSeq == 10);
}

BOOST_AUTO_TEST_CASE(partial_overlap_stores_only_the_new_part) {
  // 1..10, then 5..15: 5..10 (6 results) are duplicates, 11..15 (5 results) are new.
  store->createAgent(agent("ag-1"));
  store->ingest("ag-1", seqRange(1, 10), 0);
  const auto second = store->ingest("ag-1", seqRange(5, 15), 0);
  BOOST_TEST(second.accepted == 5u);
  BOOST_TEST(second.duplicates == 6u);
  BOOST_TEST(second.ackedSeq == 15);
  const auto all = store->queryResults({.agentId = "ag-1"});
  std::vector<std::int64_t> expected;
  for (std::int64_t s = 1; s <= 15; ++s) expected.push_back(s);
  BOOST_TEST(seqs(all) == expected);  // each exactly once
}

BOOST_AUTO_TEST_CASE(gaps_are_allowed_and_nothing_below_is_taken_later) {
  // The agent's spool may drop results when full: seq jumps. Only seq > last_seq is stored, so a
  // seq inside an earlier gap counts as a duplicate.
  store->createAgent(agent("ag-1"));
  const auto out = store->ingest("ag-1", std::vector{result(3), result(7), result(20)}, 4);
  BOOST_TEST(out.accepted == 3u);
  BOOST_TEST(out.ackedSeq == 20);
  const auto late = store->ingest("ag-1", std::vector{result(15), result(21)}, 4);
  BOOST_TEST(late.accepted == 1u);
  BOOST_TEST(late.duplicates == 1u);
  BOOST_TEST(late.ackedSeq == 21);
  BOOST_TEST(seqs(store->queryResults({})) == (std::vector<std::int64_t>{3, 7, 20, 21}));
}

BOOST_AUTO_TEST_CASE(empty_batch_acks_the_last_seq_and_records_dropped) {
  store->createAgent(agent("ag-1"));
  store->ingest("ag-1", seqRange(1, 3), 2);
  BOOST_TEST(store->findAgent("ag-1")->droppedTotal == 2);
  const auto out = store->ingest("ag-1", {}, 9);
  BOOST_TEST(out.accepted == 0u);
  BOOST_TEST(out.ackedSeq == 3);
  BOOST_TEST(store->findAgent("ag-1")->droppedTotal == 9);
  // A cumulative counter: a smaller figure (an older report) does not lower it.
  store->ingest("ag-1", {}, 4);
  BOOST_TEST(store->findAgent("ag-1")->droppedTotal == 9);
}

BOOST_AUTO_TEST_CASE(unknown_test_stores_nothing_of_the_batch) {
  store->createAgent(agent("ag-1"));
  store->createTest(test("t-1"));
  std::vector<ResultRecord> batch = seqRange(1, 3, "t-1");
  batch.push_back(result(4, "t-missing", 0, {{"only.in.failed.batch", 1.0}}));
  try {
    store->ingest("ag-1", batch, 7);
    BOOST_FAIL("a batch naming an unknown test was stored");
  } catch (const StoreError& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("unknown test t-missing") != std::string::npos, message);
    BOOST_TEST(message.find("seq 4") != std::string::npos, message);
    BOOST_TEST(message.find("ag-1") != std::string::npos, message);
  }
  BOOST_TEST(store->countResults({}) == 0u);
  BOOST_TEST(store->findAgent("ag-1")->lastSeq == 0);
  BOOST_TEST(store->findAgent("ag-1")->droppedTotal == 0);
  BOOST_TEST(store->queryResults({.metric = "only.in.failed.batch"}).empty());

  // The rolled-back metric name gets a fresh id when it is stored for real.
  batch.back().testId = "t-1";
  BOOST_TEST(store->ingest("ag-1", batch, 7).accepted == 4u);
  const auto got = store->queryResults({.metric = "only.in.failed.batch"});
  BOOST_TEST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].seq == 4);
  reopen();
  BOOST_TEST(store->queryResults({.metric = "only.in.failed.batch"}).size() == 1u);
  BOOST_TEST(store->queryResults({.metric = "rtt_ms"}).size() == 3u);
}

BOOST_AUTO_TEST_CASE(unknown_agent_is_an_error) {
  BOOST_CHECK_THROW(store->ingest("ag-nobody", seqRange(1, 1), 0), StoreError);
}

BOOST_AUTO_TEST_CASE(every_field_round_trips_exactly) {
  store->createAgent(agent("ag-1"));
  store->createTest(test("t-1"));
  const std::vector<std::pair<std::string, double>> metrics{{"z.last.name.first", 0.1},
                                                            {"rtt_ms", -0.0},
                                                            {"tiny", std::numeric_limits<double>::denorm_min()},
                                                            {"huge", std::numeric_limits<double>::max()},
                                                            {"inf", std::numeric_limits<double>::infinity()},
                                                            {"nan", std::bit_cast<double>(0x7ff8'0000'0000'0123ull)},
                                                            {"int53", 9'007'199'254'740'993.0},
                                                            {"hop.{ttl}.rtt", 1.0 / 3.0}};
  ResultRecord full = result(1, "t-1", 1'700'000'000'123'456'789, metrics);
  full.plugin = "traceroute";
  full.instance = "inner";
  full.target = "example.org";
  full.documentJson = R"({"hops":[{"ttl":1,"addr":"10.0.0.1"}],"note":"ünïcødé"})";
  full.documentSchema = 3;
  ResultRecord failed = result(2, std::nullopt, 1'700'000'000'999'999'999, {});
  failed.error = "timeout after 5 s";
  failed.target = "";
  store->ingest("ag-1", std::vector{full, failed}, 0);

  reopen();  // from the file, not from any cache
  const auto got = store->queryResults({.agentId = "ag-1"});
  BOOST_TEST_REQUIRE(got.size() == 2u);
  const ResultRecord& r = got[0];
  BOOST_TEST(r.agentId == "ag-1");
  BOOST_TEST(r.seq == 1);
  BOOST_TEST(r.testId.value() == "t-1");
  BOOST_TEST(r.plugin == "traceroute");
  BOOST_TEST(r.instance == "inner");
  BOOST_TEST(r.target == "example.org");
  BOOST_TEST(r.timestamp == 1'700'000'000'123'456'789);
  BOOST_TEST_REQUIRE(r.metrics.size() == metrics.size());
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    BOOST_TEST(r.metrics[i].first == metrics[i].first);  // order kept
    BOOST_TEST(bits(r.metrics[i].second) == bits(metrics[i].second), metrics[i].first);
  }
  BOOST_TEST(r.documentJson.value() == *full.documentJson);
  BOOST_TEST(r.documentSchema == 3u);
  BOOST_TEST(r.error.empty());

  const ResultRecord& f = got[1];
  BOOST_TEST(!f.testId.has_value());
  BOOST_TEST(f.metrics.empty());
  BOOST_TEST(!f.documentJson.has_value());
  BOOST_TEST(f.documentSchema == 0u);
  BOOST_TEST(f.error == "timeout after 5 s");
  BOOST_TEST(f.target.empty());
  BOOST_TEST(f.instance.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Queries ------------------------------------------------------------------------------------

namespace {

// ag-a: t-1 at ts 100..109 (seq 1..10), "rtt" only on even seqs, "loss" on all.
// ag-b: t-2 at ts 100..104 (seq 1..5), then local results (no test) at ts 105..106 (seq 6..7).
struct QueryFixture : StoreFixture {
  QueryFixture() {
    store->createAgent(agent("ag-a"));
    store->createAgent(agent("ag-b"));
    store->createTest(test("t-1"));
    store->createTest(test("t-2"));
    std::vector<ResultRecord> a;
    for (std::int64_t s = 1; s <= 10; ++s) {
      std::vector<std::pair<std::string, double>> m{{"loss", s * 0.5}};
      if (s % 2 == 0) m.emplace_back("rtt", s * 10.0);
      a.push_back(result(s, "t-1", 99 + s, m));
    }
    store->ingest("ag-a", a, 0);
    std::vector<ResultRecord> b;
    for (std::int64_t s = 1; s <= 5; ++s) b.push_back(result(s, "t-2", 99 + s, {{"rtt", 1.0}}));
    for (std::int64_t s = 6; s <= 7; ++s) b.push_back(result(s, std::nullopt, 99 + s, {{"cpu", 2.0}}));
    store->ingest("ag-b", b, 0);
  }
};

std::vector<TimeNs> times(const std::vector<ResultRecord>& results) {
  std::vector<TimeNs> out;
  for (const auto& r : results) out.push_back(r.timestamp);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(queries, QueryFixture)

BOOST_AUTO_TEST_CASE(by_test) {
  const auto r = store->queryResults({.testId = "t-1"});
  BOOST_TEST(seqs(r) == (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  for (const auto& x : r) BOOST_TEST(x.agentId == "ag-a");
  BOOST_TEST(store->countResults({.testId = "t-2"}) == 5u);
  BOOST_TEST(store->queryResults({.testId = "t-none"}).empty());
  BOOST_TEST(store->countResults({.testId = "t-none"}) == 0u);
}

BOOST_AUTO_TEST_CASE(by_agent_includes_local_results) {
  const auto r = store->queryResults({.agentId = "ag-b"});
  BOOST_TEST(seqs(r) == (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7}));
  BOOST_TEST(!r.back().testId.has_value());
  BOOST_TEST(store->queryResults({.agentId = "ag-none"}).empty());
  BOOST_TEST(store->countResults({.testId = "t-1", .agentId = "ag-b"}) == 0u);
  BOOST_TEST(store->countResults({.testId = "t-2", .agentId = "ag-b"}) == 5u);
}

BOOST_AUTO_TEST_CASE(all_results_in_time_order) {
  const auto r = store->queryResults({});
  BOOST_TEST(r.size() == 17u);
  BOOST_TEST(std::is_sorted(r.begin(), r.end(), [](auto& x, auto& y) { return x.timestamp < y.timestamp; }));
  BOOST_TEST(store->countResults({}) == 17u);
}

BOOST_AUTO_TEST_CASE(time_range_from_inclusive_to_exclusive) {
  BOOST_TEST(times(store->queryResults({.testId = "t-1", .from = 103, .to = 106})) ==
             (std::vector<TimeNs>{103, 104, 105}));
  BOOST_TEST(times(store->queryResults({.agentId = "ag-b", .from = 104})) == (std::vector<TimeNs>{104, 105, 106}));
  BOOST_TEST(times(store->queryResults({.testId = "t-1", .to = 102})) == (std::vector<TimeNs>{100, 101}));
  BOOST_TEST(store->countResults({.from = 105, .to = 106}) == 2u);  // ag-a seq 6 and ag-b seq 6
  BOOST_TEST(store->queryResults({.from = 200}).empty());
}

BOOST_AUTO_TEST_CASE(limit_keeps_the_earliest) {
  BOOST_TEST(seqs(store->queryResults({.testId = "t-1", .limit = 4})) == (std::vector<std::int64_t>{1, 2, 3, 4}));
  BOOST_TEST(store->queryResults({.testId = "t-1", .limit = 0}).empty());
  BOOST_TEST(store->countResults({.testId = "t-1", .limit = 4}) == 10u);  // counting ignores the limit
}

BOOST_AUTO_TEST_CASE(metric_filter_returns_only_that_metric) {
  const auto r = store->queryResults({.testId = "t-1", .metric = "rtt"});
  BOOST_TEST(seqs(r) == (std::vector<std::int64_t>{2, 4, 6, 8, 10}));
  for (const auto& x : r) {
    BOOST_TEST_REQUIRE(x.metrics.size() == 1u);
    BOOST_TEST(x.metrics[0].first == "rtt");
    BOOST_TEST(x.metrics[0].second == x.seq * 10.0);
  }
  BOOST_TEST(store->countResults({.testId = "t-1", .metric = "rtt"}) == 5u);
  BOOST_TEST(store->countResults({.metric = "rtt"}) == 10u);
  BOOST_TEST(seqs(store->queryResults({.testId = "t-1", .metric = "rtt", .limit = 2})) ==
             (std::vector<std::int64_t>{2, 4}));
  BOOST_TEST(seqs(store->queryResults({.agentId = "ag-b", .metric = "cpu", .from = 106})) ==
             (std::vector<std::int64_t>{7}));
  BOOST_TEST(store->queryResults({.metric = "no.such.metric"}).empty());
  BOOST_TEST(store->countResults({.metric = "no.such.metric"}) == 0u);
  // Without the filter every metric comes back.
  BOOST_TEST(store->queryResults({.testId = "t-1", .limit = 2})[1].metrics.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Users and sessions -------------------------------------------------------------------------

namespace {

UserRecord user(const std::string& id, const std::string& name, const std::string& role = "viewer") {
  return UserRecord{.id = id,
                    .username = name,
                    .passwordHash = "$argon2id$hash-of-" + id,
                    .role = role,
                    .createdAt = 10,
                    .passwordChangedAt = 11};
}

SessionRecord session(const std::string& id, const std::string& userId, TimeNs lastSeen = 100,
                      TimeNs expiresAt = 1'000) {
  return SessionRecord{.id = id,
                       .secretHash = "secret-of-" + id,
                       .userId = userId,
                       .csrfToken = "csrf-of-" + id,
                       .createdAt = 50,
                       .lastSeen = lastSeen,
                       .expiresAt = expiresAt};
}

std::vector<std::string> sessionIds(Store& store, std::initializer_list<const char*> candidates) {
  std::vector<std::string> out;
  for (const auto* id : candidates)
    if (store.findSession(id)) out.push_back(id);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(users_and_sessions, StoreFixture)

BOOST_AUTO_TEST_CASE(users_round_trip_and_names_are_unique) {
  BOOST_TEST(store->createUser(user("u-1", "alice", "admin")));
  BOOST_TEST(store->createUser(user("u-2", "<script>alert(1)</script>")));
  // A taken name is a false, not an error, and changes nothing.
  BOOST_TEST(!store->createUser(user("u-3", "alice", "viewer")));
  BOOST_TEST(!store->findUser("u-3").has_value());
  BOOST_TEST(store->findUser("u-1")->role == "admin");

  reopen();
  const auto u = store->findUserByName("alice");
  BOOST_TEST_REQUIRE(u.has_value());
  BOOST_TEST(u->id == "u-1");
  BOOST_TEST(u->passwordHash == "$argon2id$hash-of-u-1");
  BOOST_TEST(u->role == "admin");
  BOOST_TEST(u->createdAt == 10);
  BOOST_TEST(u->passwordChangedAt == 11);
  BOOST_TEST(!u->disabled);
  BOOST_TEST(store->findUserByName("<script>alert(1)</script>")->id == "u-2");
  BOOST_TEST(!store->findUserByName("Alice").has_value());
  BOOST_TEST(store->listUsers().size() == 2u);
  // Roles are checked by the schema too.
  BOOST_CHECK_THROW(store->createUser(user("u-4", "mallory", "root")), StoreError);
}

BOOST_AUTO_TEST_CASE(update_changes_role_password_and_disabled_only) {
  BOOST_TEST(store->createUser(user("u-1", "alice")));
  auto changed = user("u-1", "renamed", "operator");
  changed.passwordHash = "$argon2id$new";
  changed.passwordChangedAt = 99;
  changed.disabled = true;
  changed.createdAt = 12345;
  BOOST_TEST(store->updateUser(changed));
  const auto u = store->findUser("u-1");
  BOOST_TEST(u->username == "alice");
  BOOST_TEST(u->createdAt == 10);
  BOOST_TEST(u->role == "operator");
  BOOST_TEST(u->passwordHash == "$argon2id$new");
  BOOST_TEST(u->passwordChangedAt == 99);
  BOOST_TEST(u->disabled);
  BOOST_TEST(!store->updateUser(user("u-none", "x")));
}

BOOST_AUTO_TEST_CASE(sessions_round_trip_and_go_with_their_user) {
  BOOST_TEST(store->createUser(user("u-1", "alice")));
  BOOST_TEST(store->createUser(user("u-2", "bob")));
  store->createSession(session("s-1", "u-1"));
  store->createSession(session("s-2", "u-1"));
  store->createSession(session("s-3", "u-2"));
  const auto s = store->findSession("s-1");
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->secretHash == "secret-of-s-1");
  BOOST_TEST(s->userId == "u-1");
  BOOST_TEST(s->csrfToken == "csrf-of-s-1");
  BOOST_TEST(s->createdAt == 50);
  BOOST_TEST(s->lastSeen == 100);
  BOOST_TEST(s->expiresAt == 1'000);
  // A session needs a user that exists.
  BOOST_CHECK_THROW(store->createSession(session("s-9", "u-none")), StoreError);

  BOOST_TEST(store->deleteUser("u-1"));
  BOOST_TEST(!store->deleteUser("u-1"));
  BOOST_TEST(sessionIds(*store, {"s-1", "s-2", "s-3"}) == (std::vector<std::string>{"s-3"}));
}

BOOST_AUTO_TEST_CASE(touch_only_moves_last_seen_forward) {
  BOOST_TEST(store->createUser(user("u-1", "alice")));
  store->createSession(session("s-1", "u-1", 100));
  store->touchSession("s-1", 200);
  BOOST_TEST(store->findSession("s-1")->lastSeen == 200);
  store->touchSession("s-1", 150);  // a slower thread's older time
  BOOST_TEST(store->findSession("s-1")->lastSeen == 200);
  store->touchSession("s-none", 300);  // nothing to touch, no error
  BOOST_TEST(store->deleteSession("s-1"));
  BOOST_TEST(!store->deleteSession("s-1"));
}

BOOST_AUTO_TEST_CASE(ending_a_users_sessions_can_keep_one) {
  BOOST_TEST(store->createUser(user("u-1", "alice")));
  BOOST_TEST(store->createUser(user("u-2", "bob")));
  for (const auto* id : {"s-1", "s-2", "s-3"}) store->createSession(session(id, "u-1"));
  store->createSession(session("s-4", "u-2"));
  BOOST_TEST(store->deleteUserSessions("u-1", "s-2") == 2u);
  BOOST_TEST(sessionIds(*store, {"s-1", "s-2", "s-3", "s-4"}) == (std::vector<std::string>{"s-2", "s-4"}));
  BOOST_TEST(store->deleteUserSessions("u-1", "") == 1u);
  BOOST_TEST(sessionIds(*store, {"s-1", "s-2", "s-3", "s-4"}) == (std::vector<std::string>{"s-4"}));
}

BOOST_AUTO_TEST_CASE(expired_sessions_are_deleted_by_age_and_by_idleness) {
  BOOST_TEST(store->createUser(user("u-1", "alice")));
  store->createSession(session("s-live", "u-1", 900, 2'000));
  store->createSession(session("s-idle", "u-1", 800, 2'000));  // idle since 800: past 100 at 1000
  store->createSession(session("s-old", "u-1", 990, 1'000));   // absolute limit reached at 1000
  BOOST_TEST(store->deleteExpiredSessions(1'000, 150) == 2u);
  BOOST_TEST(sessionIds(*store, {"s-live", "s-idle", "s-old"}) == (std::vector<std::string>{"s-live"}));
}

BOOST_AUTO_TEST_CASE(api_tokens_keep_their_role) {
  store->createToken(TokenRecord{.id = "a1", .kind = TokenKind::kAdmin, .secretHash = "h", .role = "viewer"});
  store->createToken(TokenRecord{.id = "a2", .kind = TokenKind::kAdmin, .secretHash = "h"});
  reopen();
  BOOST_TEST(store->findToken("a1")->role == "viewer");
  BOOST_TEST(store->findToken("a2")->role == "admin");
  BOOST_CHECK_THROW(
      store->createToken(TokenRecord{.id = "a3", .kind = TokenKind::kAdmin, .secretHash = "h", .role = "root"}),
      StoreError);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- Concurrency --------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(concurrent_ingest_and_reads, StoreFixture) {
  // Smoke test: writers for different agents (each with metric names new to the dictionary) and
  // readers at the same time; afterwards every result is stored exactly once. No timings.
  constexpr int kWriters = 4;
  constexpr int kBatches = 20;
  constexpr int kBatchSize = 50;
  store->createTest(test("t-1"));
  for (int w = 0; w < kWriters; ++w) store->createAgent(agent("ag-" + std::to_string(w)));

  std::atomic<int> writersLeft{kWriters};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w)
    threads.emplace_back([&, w] {
      try {
        const std::string id = "ag-" + std::to_string(w);
        for (int b = 0; b < kBatches; ++b) {
          std::vector<ResultRecord> batch;
          for (int i = 0; i < kBatchSize; ++i) {
            const std::int64_t seq = b * kBatchSize + i + 1;
            batch.push_back(result(seq, (i % 2) ? std::optional<std::string>("t-1") : std::nullopt, seq,
                                   {{"shared", 1.0}, {"w" + std::to_string(w) + ".b" + std::to_string(b), 2.0}}));
          }
          store->ingest(id, batch, 0);
          store->ingest(id, batch, 0);  // retried: all duplicates
          store->touchAgent(id, b);
        }
      } catch (const std::exception& e) {
        BOOST_TEST_MESSAGE("writer: " << e.what());
        failed = true;
      }
      --writersLeft;
    });
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        while (writersLeft > 0) {
          for (const auto& x : store->queryResults({.agentId = "ag-" + std::to_string(r), .limit = 100}))
            if (x.metrics.size() != 2) failed = true;
          store->countResults({.testId = "t-1", .metric = "shared"});
          store->queryResults({.metric = "w1.b3"});
          if (!store->findAgent("ag-3")) failed = true;
          store->listAgents();
        }
      } catch (const std::exception& e) {
        BOOST_TEST_MESSAGE("reader: " << e.what());
        failed = true;
      }
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(!failed);
  BOOST_TEST(store->countResults({}) == std::size_t{kWriters * kBatches * kBatchSize});
  BOOST_TEST(store->countResults({.testId = "t-1"}) == std::size_t{kWriters * kBatches * kBatchSize / 2});
  for (int w = 0; w < kWriters; ++w) {
    BOOST_TEST(store->findAgent("ag-" + std::to_string(w))->lastSeq == kBatches * kBatchSize);
    BOOST_TEST(store->countResults({.metric = "w" + std::to_string(w) + ".b7"}) == std::size_t{kBatchSize});
  }
}

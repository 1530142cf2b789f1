#define BOOST_TEST_MODULE server_live_events
// Server-sent events for the dashboard without sockets: LiveEvents' fan-out (hello first, every
// subscriber in order, pending reads woken by a publish, slow subscribers dropped, shutdown), and
// PublishingStore turning store changes into `results`, `agents` and `tests` events.
#include "server/api/live_events.hpp"
#include "server/http/api_error.hpp"
#include "tests/server/fake_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

using namespace streamswarm::server;
using streamswarm::server::testing::FakeStore;
namespace json = boost::json;

namespace {

constexpr TimeNs kSecond = 1'000'000'000;
constexpr TimeNs kT0 = 1'800'000'000LL * kSecond;  // 2027-01-15T08:00:00Z

struct Event {
  std::string type;
  json::object data;
};

// One `event:`/`data:` block of a chunk (an optional `retry:` line before it is skipped).
Event parseEvent(const std::string& chunk) {
  BOOST_REQUIRE_MESSAGE(chunk.ends_with("\n\n"), "an event ends with a blank line: " << chunk);
  auto text = chunk;
  if (text.starts_with("retry: ")) text = text.substr(text.find('\n') + 1);
  BOOST_REQUIRE_MESSAGE(text.starts_with("event: "), chunk);
  const auto eol = text.find('\n');
  Event e{text.substr(7, eol - 7), {}};
  const auto data = text.substr(eol + 1);
  BOOST_REQUIRE_MESSAGE(data.starts_with("data: "), chunk);
  const auto json = data.substr(6, data.size() - 6 - 2);
  BOOST_REQUIRE_MESSAGE(json.find('\n') == std::string::npos, "one data line: " << chunk);
  e.data = json::parse(json).as_object();
  return e;
}

// Reads a stream the way the HTTP session does: one next() outstanding at a time. Everything
// here runs on the test's thread, so a chunk that is ready is delivered inside next().
class Listener {
 public:
  explicit Listener(std::shared_ptr<ResponseStream> stream) : stream_(std::move(stream)) {
    BOOST_REQUIRE(stream_ != nullptr);
  }
  ~Listener() {
    if (stream_) stream_->close();
  }
  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;

  // The chunks ready now; leaves a next() pending when none is.
  std::vector<std::string> take() {
    std::vector<std::string> got;
    while (!ended_) {
      if (!pending_) ask();
      if (!pending_->done) break;
      auto answered = std::move(pending_);
      if (!answered->chunk) {
        ended_ = true;
        break;
      }
      got.push_back(std::move(*answered->chunk));
    }
    return got;
  }

  std::vector<Event> events() {
    std::vector<Event> out;
    for (const auto& chunk : take()) out.push_back(parseEvent(chunk));
    return out;
  }

  // A next() is outstanding and not answered yet.
  bool waiting() const { return pending_ && !pending_->done; }
  bool ended() const { return ended_; }
  ResponseStream& stream() { return *stream_; }

 private:
  struct Pending {
    bool done = false;
    std::optional<std::string> chunk;
  };
  void ask() {
    pending_ = std::make_shared<Pending>();
    stream_->next([p = pending_](std::optional<std::string> chunk) {
      BOOST_REQUIRE_MESSAGE(!p->done, "next() delivered twice");
      p->done = true;
      p->chunk = std::move(chunk);
    });
  }

  std::shared_ptr<ResponseStream> stream_;
  std::shared_ptr<Pending> pending_;
  bool ended_ = false;
};

json::object hello(const std::string& name) {
  return json::object{{"role", "viewer"}, {"username", name}};
}

struct Events {
  boost::asio::io_context io;
  LiveEventsLimits limits{std::chrono::seconds(15), 8, 3};
  LiveEvents events{io, limits};
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_subscriber_hears_hello_first_then_each_event, Events) {
  Listener l(events.subscribe(hello("alice")));
  const auto first = l.take();
  BOOST_REQUIRE(first.size() == 1u);
  // The browser is told how soon to reconnect, with the hello.
  BOOST_TEST(first[0].starts_with("retry: 3000\nevent: hello\ndata: "), first[0]);
  const auto h = parseEvent(first[0]);
  BOOST_TEST(h.type == "hello");
  BOOST_TEST(h.data.at("username").as_string() == "alice");
  BOOST_TEST(h.data.at("role").as_string() == "viewer");
  BOOST_TEST(l.waiting());

  events.publish("tests", json::object{{"test", "t-1"}, {"state", "running"}});
  const auto got = l.take();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0] == "event: tests\ndata: {\"test\":\"t-1\",\"state\":\"running\"}\n\n");
  BOOST_TEST(events.subscribers() == 1u);
}

BOOST_FIXTURE_TEST_CASE(every_subscriber_gets_every_event_in_order, Events) {
  Listener a(events.subscribe(hello("a")));
  Listener b(events.subscribe(hello("b")));
  BOOST_TEST(a.events().at(0).data.at("username").as_string() == "a");
  // b reads nothing yet: its events wait in its queue.
  for (int i = 0; i < 3; ++i) events.publish("results", json::object{{"count", i}});
  Listener c(events.subscribe(hello("c")));
  events.publish("agents", json::object{{"agent", "ag-1"}, {"online", true}});

  const auto seenByA = a.events();
  BOOST_REQUIRE(seenByA.size() == 4u);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(seenByA[i].type == "results");
    BOOST_TEST(seenByA[i].data.at("count").as_int64() == i);
  }
  BOOST_TEST(seenByA[3].type == "agents");
  const auto seenByB = b.events();
  BOOST_REQUIRE(seenByB.size() == 5u);
  BOOST_TEST(seenByB[0].type == "hello");
  for (int i = 0; i < 3; ++i) BOOST_TEST(seenByB[i + 1].data.at("count").as_int64() == i);
  BOOST_TEST(seenByB[4].type == "agents");
  // A late subscriber hears only what came after it.
  const auto seenByC = c.events();
  BOOST_REQUIRE(seenByC.size() == 2u);
  BOOST_TEST(seenByC[0].type == "hello");
  BOOST_TEST(seenByC[1].type == "agents");
}

BOOST_FIXTURE_TEST_CASE(a_pending_read_completes_when_an_event_is_published, Events) {
  Listener l(events.subscribe(hello("alice")));
  BOOST_TEST(l.take().size() == 1u);
  BOOST_TEST(l.waiting());
  BOOST_TEST(l.take().empty());  // still waiting, nothing delivered twice
  events.publish("tests", json::object{});
  const auto got = l.events();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].type == "tests");
  BOOST_TEST(got[0].data.empty());
  BOOST_TEST(l.waiting());
}

BOOST_FIXTURE_TEST_CASE(a_subscriber_falling_behind_is_dropped_and_the_others_are_not, Events) {
  Listener fast(events.subscribe(hello("fast")));
  Listener slow(events.subscribe(hello("slow")));
  BOOST_TEST(fast.take().size() == 1u);
  // The slow one reads nothing: its hello and seven events fill its queue of eight; the next
  // event overflows it. The fast one reads each event as it comes.
  std::vector<Event> got;
  for (int i = 0; i < 20; ++i) {
    events.publish("results", json::object{{"count", i}});
    for (auto& e : fast.events()) got.push_back(std::move(e));
  }
  BOOST_TEST(events.subscribers() == 1u);
  const auto rest = slow.take();
  BOOST_TEST(slow.ended());
  // It ends at once: no stale backlog is sent first to a client that must refetch anyway.
  BOOST_TEST(rest.empty(), rest.size() << " chunk(s) before the end");

  BOOST_REQUIRE(got.size() == 20u);
  for (int i = 0; i < 20; ++i) BOOST_TEST(got[i].data.at("count").as_int64() == i);
  BOOST_TEST(fast.waiting());
  BOOST_TEST(!fast.ended());
}

BOOST_FIXTURE_TEST_CASE(shutdown_ends_every_stream_and_refuses_new_ones, Events) {
  Listener waiting(events.subscribe(hello("waiting")));
  Listener queued(events.subscribe(hello("queued")));
  BOOST_TEST(waiting.take().size() == 1u);
  BOOST_TEST(waiting.waiting());
  events.shutdown();
  // The pending read completed with the end of the stream; the queued one ends without its
  // backlog.
  BOOST_TEST(waiting.take().empty());
  BOOST_TEST(waiting.ended());
  BOOST_TEST(queued.take().empty());
  BOOST_TEST(queued.ended());
  BOOST_TEST(events.subscribers() == 0u);
  BOOST_TEST(events.subscribe(hello("late")) == nullptr);
  events.publish("tests", json::object{});  // nobody to tell; must not fail
  events.shutdown();                        // twice is harmless
}

BOOST_FIXTURE_TEST_CASE(at_most_max_subscribers_and_a_closed_one_frees_its_place, Events) {
  auto a = events.subscribe(hello("a"));
  auto b = events.subscribe(hello("b"));
  auto c = events.subscribe(hello("c"));
  BOOST_REQUIRE(a && b && c);
  BOOST_TEST(events.subscribe(hello("d")) == nullptr);
  b->close();  // the browser went away
  BOOST_TEST(events.subscribers() == 2u);
  BOOST_TEST(events.subscribe(hello("e")) != nullptr);
}

BOOST_FIXTURE_TEST_CASE(the_events_route_answers_a_stream_and_503_beyond_the_limit, Events) {
  struct AnyoneSignedIn final : Access {
    Principal require(const ApiRequest&, Role needed) override {
      BOOST_TEST((needed == Role::kViewer));
      return Principal{Role::kOperator, "u-1", "olga", "s-1"};
    }
  } access;
  Router router;
  events.addRoutes(router, access);
  auto call = [&] {
    ApiRequest req;
    req.method = "GET";
    req.path = "/api/v1/events";
    std::optional<ApiResponse> answer;
    router.dispatch(std::move(req), [&](ApiResponse r) { answer = std::move(r); });
    BOOST_REQUIRE(answer.has_value());
    return *answer;
  };
  std::vector<Listener> open;
  for (int i = 0; i < 3; ++i) {
    auto r = call();
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.contentType == "text/event-stream");
    open.emplace_back(r.stream);
  }
  const auto h = open[0].events().at(0);
  BOOST_TEST(h.type == "hello");
  BOOST_TEST(h.data.at("role").as_string() == "operator");
  BOOST_TEST(h.data.at("username").as_string() == "olga");
  const auto refused = call();
  BOOST_TEST(refused.status == 503u);
  BOOST_TEST(refused.stream == nullptr);
}

BOOST_AUTO_TEST_CASE(event_data_is_one_line_whatever_the_text_holds) {
  // A user name cannot smuggle a second event or field into the stream.
  const auto chunk = formatEvent("hello", json::object{{"username", "x\n\nevent: tests\ndata: {}\r\n"}});
  BOOST_TEST(std::count(chunk.begin(), chunk.end(), '\n') == 3);
  BOOST_TEST(chunk.find('\r') == std::string::npos);
  BOOST_TEST(parseEvent(chunk).data.at("username").as_string() == "x\n\nevent: tests\ndata: {}\r\n");
}

// ---- PublishingStore ----

namespace {

struct Publishing : Events {
  FakeStore inner;
  PublishingStore store{inner, events};
  std::optional<Listener> listener;

  Publishing() {
    listener.emplace(events.subscribe(hello("watcher")));
    BOOST_REQUIRE(listener->take().size() == 1u);
    AgentRecord a;
    a.id = "ag-1";
    inner.createAgent(a);
    for (const auto* id : {"t-1", "t-2"}) {
      TestRecord t;
      t.id = id;
      inner.createTest(t);
    }
  }

  std::vector<Event> heard() { return listener->events(); }
};

ResultRecord result(std::int64_t seq, std::optional<std::string> test, TimeNs at) {
  ResultRecord r;
  r.agentId = "ag-1";
  r.seq = seq;
  r.testId = std::move(test);
  r.plugin = "ping";
  r.timestamp = at;
  r.metrics = {{"rtt_avg_ms", 1.0}};
  return r;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(ingest_publishes_one_results_event_per_test_with_its_count_and_latest_time, Publishing) {
  const std::vector<ResultRecord> batch{result(1, "t-1", kT0 + 3 * kSecond), result(2, "t-2", kT0 + 1 * kSecond),
                                        result(3, "t-1", kT0 + 5 * kSecond), result(4, std::nullopt, kT0 + 2 * kSecond),
                                        result(5, "t-1", kT0 + 4 * kSecond)};
  const auto outcome = store.ingest("ag-1", batch, 0);
  BOOST_TEST(outcome.accepted == 5u);
  BOOST_TEST(inner.countResults({}) == 5u);  // passed through

  std::map<std::string, json::object> byTest;
  for (const auto& e : heard()) {
    BOOST_TEST(e.type == "results");
    BOOST_TEST(e.data.at("agent").as_string() == "ag-1");
    const auto& test = e.data.at("test");
    const auto key = test.is_null() ? std::string("(local)") : std::string(test.as_string());
    BOOST_TEST(!byTest.contains(key), "two events for " << key);
    byTest[key] = e.data;
  }
  BOOST_REQUIRE(byTest.size() == 3u);
  BOOST_TEST(byTest.at("t-1").at("count").as_int64() == 3);
  BOOST_TEST(byTest.at("t-1").at("latest").as_string() == "2027-01-15T08:00:05.000000Z");
  BOOST_TEST(byTest.at("t-2").at("count").as_int64() == 1);
  BOOST_TEST(byTest.at("t-2").at("latest").as_string() == "2027-01-15T08:00:01.000000Z");
  BOOST_TEST(byTest.at("(local)").at("count").as_int64() == 1);
  BOOST_TEST(byTest.at("(local)").at("latest").as_string() == "2027-01-15T08:00:02.000000Z");

  // The same batch again (an agent retrying): all duplicates, nothing new, no event.
  BOOST_TEST(store.ingest("ag-1", batch, 0).duplicates == 5u);
  BOOST_TEST(heard().empty());
}

BOOST_FIXTURE_TEST_CASE(a_partly_duplicate_batch_counts_only_what_was_stored, Publishing) {
  BOOST_TEST(store.ingest("ag-1", std::vector{result(1, "t-1", kT0), result(2, "t-1", kT0 + kSecond)}, 0).accepted ==
             2u);
  BOOST_TEST(heard().size() == 1u);
  // A retry of 1..2 with 3 and 4 appended: two new results, the newest at +9 s; the duplicates'
  // times (one later than every new one) do not count.
  const std::vector<ResultRecord> retry{result(1, "t-1", kT0), result(2, "t-2", kT0 + 20 * kSecond),
                                        result(3, "t-1", kT0 + 9 * kSecond), result(4, "t-1", kT0 + 8 * kSecond)};
  const auto outcome = store.ingest("ag-1", retry, 0);
  BOOST_TEST(outcome.accepted == 2u);
  BOOST_TEST(outcome.duplicates == 2u);
  const auto events = heard();
  BOOST_REQUIRE_MESSAGE(events.size() == 1u, events.size() << " events; t-2 had only a duplicate");
  BOOST_TEST(events[0].data.at("test").as_string() == "t-1");
  BOOST_TEST(events[0].data.at("count").as_int64() == 2);
  BOOST_TEST(events[0].data.at("latest").as_string() == "2027-01-15T08:00:09.000000Z");
}

BOOST_FIXTURE_TEST_CASE(an_agent_is_announced_online_once_until_it_goes_offline, Publishing) {
  store.touchAgent("ag-1", kT0);
  auto events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].type == "agents");
  BOOST_TEST(events[0].data.at("agent").as_string() == "ag-1");
  BOOST_TEST(events[0].data.at("online").as_bool());
  // Heartbeats are not news.
  for (int i = 1; i <= 5; ++i) store.touchAgent("ag-1", kT0 + i * kSecond);
  BOOST_TEST(heard().empty());
  BOOST_TEST(inner.findAgent("ag-1")->lastSeen.value_or(0) == kT0 + 5 * kSecond);  // passed through

  BOOST_TEST(store.markOffline(kT0 + 100 * kSecond) == std::vector<std::string>{"ag-1"});
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(!events[0].data.at("online").as_bool());
  BOOST_TEST(store.markOffline(kT0 + 100 * kSecond).empty());
  BOOST_TEST(heard().empty());

  store.touchAgent("ag-1", kT0 + 200 * kSecond);
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].data.at("online").as_bool());

  // Registration says online too, and revocation is announced.
  store.updateRegistration("ag-1", "host", {}, "{}", "[]", "0.1.0", kT0 + 201 * kSecond);
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].data.at("online").as_bool());
  BOOST_TEST(store.revokeAgent("ag-1"));
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].type == "agents");
  BOOST_TEST(events[0].data.at("revoked").as_bool());
  BOOST_TEST(!store.revokeAgent("ag-unknown"));
  BOOST_TEST(heard().empty());
}

BOOST_FIXTURE_TEST_CASE(test_changes_publish_tests_events, Publishing) {
  TestRecord t;
  t.id = "t-new";
  t.state = TestState::kPending;
  store.createTest(t);
  auto events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].type == "tests");
  BOOST_TEST(events[0].data.at("test").as_string() == "t-new");
  BOOST_TEST(events[0].data.at("state").as_string() == "pending");
  BOOST_TEST(inner.findTest("t-new").has_value());

  BOOST_TEST(store.setTestState("t-new", TestState::kRunning, kT0));
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].data.at("state").as_string() == "running");
  BOOST_TEST((inner.findTest("t-new")->state == TestState::kRunning));

  BOOST_TEST(store.deleteTest("t-new"));
  events = heard();
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].data.at("test").as_string() == "t-new");
  BOOST_TEST(events[0].data.at("deleted").as_bool());
  BOOST_TEST(!inner.findTest("t-new").has_value());

  // Nothing changed, nothing said.
  BOOST_TEST(!store.setTestState("t-new", TestState::kStopped, kT0));
  BOOST_TEST(!store.deleteTest("t-new"));
  BOOST_TEST(heard().empty());
}

#define BOOST_TEST_MODULE server_test_validation
// Test creation against the plugin schemas agents registered: every rejection names the field or
// option, and a valid request comes out normalised.
#include "server/api/test_validation.hpp"
#include "server/http/api_error.hpp"
#include "tests/server/api/sample_agents.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;
namespace json = boost::json;

namespace {

constexpr TimeNs kNow = 1'800'000'000'000'000'000;
constexpr TimeNs kS = 1'000'000'000;

struct Fleet {
  std::vector<AgentRecord> agents{
      registeredAgent("ag-000000000001", {"dc1"}, {pingSchema(), sysSchema()}),
      registeredAgent("ag-000000000002", {"dc1", "edge"}, {pingSchema("1.1.0")}),
      registeredAgent("ag-000000000003", {"dc2"}, {sysSchema()}),
  };

  TestRecord validate(const std::string& body) {
    return validateTestRequest(json::parse(body).as_object(), agents, kNow);
  }
  // The 400 message for `body` (fails the test if it is accepted or another status).
  std::string rejection(const std::string& body) {
    try {
      validate(body);
    } catch (const ApiError& e) {
      BOOST_TEST(e.status() == 400u, body);
      return e.what();
    }
    BOOST_ERROR("accepted: " << body);
    return {};
  }
};

std::string optionOf(const TestRecord& t, const std::string& key) {
  for (const auto& [k, v] : t.options)
    if (k == key) return v;
  return "<absent>";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_valid_test_comes_out_normalised, Fleet) {
  const auto t = validate(R"({"name":"dc1 ping","plugin":"ping","targets":["127.0.0.1","example.com"],
    "options":{"count":" 5","timeout":"250ms","mode":"udp"},"labels":["dc1"],"interval_s":10,
    "start":"2027-01-01T00:00:00Z","duration_s":600})");
  BOOST_TEST(t.name == "dc1 ping");
  BOOST_TEST(t.plugin == "ping");
  BOOST_TEST(t.targets == (std::vector<std::string>{"127.0.0.1", "example.com"}));
  BOOST_TEST(optionOf(t, "targets") == "127.0.0.1,example.com");
  BOOST_TEST(optionOf(t, "count") == "5");
  BOOST_TEST(optionOf(t, "timeout") == "250000000ns");
  BOOST_TEST(optionOf(t, "mode") == "udp");
  BOOST_TEST(optionOf(t, "interface") == "<absent>");  // defaults are the agent's business
  BOOST_TEST(t.intervalNs == 10 * kS);
  BOOST_TEST(t.durationNs.value() == 600 * kS);
  BOOST_TEST(!t.recurEveryNs);
  BOOST_TEST(t.labels == std::vector<std::string>{"dc1"});
}

BOOST_FIXTURE_TEST_CASE(normalised_options_check_to_themselves, Fleet) {
  // The agent validates the options it receives again; none may change meaning on the way.
  const auto t = validate(R"({"plugin":"ping","targets":["a.example","b.example"],
    "options":{"count":7,"timeout":"1.5s","mode":"udp"},"labels":["dc1"],"interval_s":10})");
  const auto schema = pingSchema();
  for (const auto& [key, value] : t.options) {
    const auto again = streamswarm::values::check(schema.findKey(key)->view(), value);
    BOOST_TEST(again.value.value_or("<rejected>") == value, key);
  }
  BOOST_TEST(optionOf(t, "timeout") == "1500000000ns");
  BOOST_TEST(optionOf(t, "count") == "7");
}

BOOST_FIXTURE_TEST_CASE(defaults_start_now_and_name_after_the_plugin, Fleet) {
  const auto t = validate(R"({"plugin":"ping","targets":["::1"],"agents":["ag-000000000001"],"interval_s":1})");
  BOOST_TEST(t.startAt == kNow);
  BOOST_TEST(t.name == "ping");
  BOOST_TEST(!t.durationNs);
}

BOOST_FIXTURE_TEST_CASE(unknown_plugin, Fleet) {
  const auto m = rejection(R"({"plugin":"dns","targets":["a.example"],"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "field 'plugin'"), m);
  BOOST_TEST(contains(m, "'dns'"), m);
  // Every registered assigned agent must report it: agent 3 has no ping.
  const auto m2 = rejection(
      R"({"plugin":"ping","targets":["a.example"],"agents":["ag-000000000001","ag-000000000003"],"interval_s":10})");
  BOOST_TEST(contains(m2, "ag-000000000003"), m2);
}

BOOST_FIXTURE_TEST_CASE(unknown_option_key, Fleet) {
  const auto m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"cuont":"3"},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "unknown option 'cuont'"), m);
  BOOST_TEST(contains(m, "count"), m);  // lists the known ones
}

BOOST_FIXTURE_TEST_CASE(bad_option_values, Fleet) {
  auto m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"count":"0"},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'count'"), m);
  BOOST_TEST(contains(m, "outside 1..100"), m);
  m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"mode":"tcp"},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'mode'"), m);
  m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"timeout":"soon"},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'timeout'"), m);
  m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"count":[1]},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'count'"), m);
  m = rejection(
      R"({"plugin":"ping","targets":["a.example"],"options":{"run_every":"5s"},"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'run_every'"), m);
}

BOOST_FIXTURE_TEST_CASE(missing_required_options, Fleet) {
  auto m = rejection(R"({"plugin":"ping","labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "field 'targets'"), m);
  m = rejection(R"({"plugin":"sysmetrics","agents":["ag-000000000003"],"interval_s":10})");
  BOOST_TEST(contains(m, "option 'scope' is required"), m);
  // Given, it passes; and a plugin without a targets option takes no targets.
  BOOST_TEST(validate(R"({"plugin":"sysmetrics","options":{"scope":"all"},"agents":["ag-000000000003"],
    "interval_s":10})")
                 .options.size() == 1u);
  m = rejection(R"({"plugin":"sysmetrics","options":{"scope":"all"},"targets":["x.example"],
    "agents":["ag-000000000003"],"interval_s":10})");
  BOOST_TEST(contains(m, "takes no targets"), m);
}

BOOST_AUTO_TEST_CASE(target_forms) {
  for (const auto* good :
       {"127.0.0.1", "example.com", "example.com.", "a-b.c_d.example", "::1", "fe80::1%eth0", "2001:db8::1",
        "[2001:db8::1]:443", "example.com:8443", "10.0.0.1:53", "https://example.com/x?y=1", "localhost"})
    BOOST_TEST(!targetProblem(good), good);
  for (const auto* bad :
       {"", " ", "a b", "tab\there", "-bad.example", "bad-.example", "a..b", "exa mple.com", "x,y", "bad!host",
        "example.com:0", "example.com:70000", "[::1]:x", "://nohost", "1http://x", "ünïcode.example"})
    BOOST_TEST(targetProblem(bad).has_value(), bad);
  BOOST_TEST(targetProblem(std::string(254, 'a')).value() == "is longer than 253 characters");
  BOOST_TEST(targetProblem(std::string(64, 'a') + ".example").has_value());  // label over 63
}

BOOST_FIXTURE_TEST_CASE(bad_targets_name_the_index, Fleet) {
  const auto m =
      rejection(R"({"plugin":"ping","targets":["ok.example","not a host"],"labels":["dc1"],"interval_s":10})");
  BOOST_TEST(contains(m, "field 'targets[1]'"), m);
  BOOST_TEST(contains(m, "whitespace"), m);
  BOOST_TEST(contains(rejection(R"({"plugin":"ping","targets":[""],"labels":["dc1"],"interval_s":10})"), "is empty"));
  BOOST_TEST(contains(rejection(R"({"plugin":"ping","targets":"a","labels":["dc1"],"interval_s":10})"),
                      "field 'targets' must be an array"));
}

BOOST_FIXTURE_TEST_CASE(assignment_errors, Fleet) {
  auto m = rejection(R"({"plugin":"ping","targets":["a.example"],"interval_s":10})");
  BOOST_TEST(contains(m, "'agents' and 'labels'"), m);
  m = rejection(R"({"plugin":"ping","targets":["a.example"],"agents":["ag-0000000000ff"],"interval_s":10})");
  BOOST_TEST(contains(m, "unknown agent ag-0000000000ff"), m);
  m = rejection(R"({"plugin":"ping","targets":["a.example"],"labels":["mars"],"interval_s":10})");
  BOOST_TEST(contains(m, "field 'labels'"), m);
  agents[0].revoked = true;
  m = rejection(R"({"plugin":"ping","targets":["a.example"],"agents":["ag-000000000001"],"interval_s":10})");
  BOOST_TEST(contains(m, "revoked"), m);
}

BOOST_FIXTURE_TEST_CASE(unregistered_agents_do_not_vote_but_cannot_validate_alone, Fleet) {
  agents.push_back(AgentRecord{});
  agents.back().id = "ag-000000000004";
  agents.back().labels = {"dc1"};
  // Agents 1 and 2 (registered) report ping; 4 has not registered and is skipped.
  BOOST_TEST(validate(R"({"plugin":"ping","targets":["a.example"],"labels":["dc1"],"interval_s":10})").plugin ==
             "ping");
  const auto m = rejection(R"({"plugin":"ping","targets":["a.example"],"agents":["ag-000000000004"],"interval_s":10})");
  BOOST_TEST(contains(m, "no assigned agent has registered"), m);
}

BOOST_FIXTURE_TEST_CASE(schedule_fields, Fleet) {
  const std::string head = R"({"plugin":"ping","targets":["a.example"],"labels":["dc1"],)";
  BOOST_TEST(contains(rejection(head + R"("interval_s":0.5})"), "field 'interval_s'"));
  BOOST_TEST(contains(rejection(head + R"("duration_s":10})"), "field 'interval_s' is required"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":"10"})"), "field 'interval_s' must be a number"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"duration_s":0})"), "field 'duration_s'"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"duration_s":-5})"), "field 'duration_s'"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"recurring_every_s":60})"), "needs 'duration_s'"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"duration_s":120,"recurring_every_s":60})"), "overlap"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"start":"tomorrow"})"), "field 'start'"));
  BOOST_TEST(contains(rejection(head + R"("interval_s":10,"colour":"red"})"), "unknown field 'colour'"));
  const auto t = validate(head + R"("interval_s":2.5,"duration_s":60,"recurring_every_s":3600})");
  BOOST_TEST(t.intervalNs == 2'500'000'000);
  BOOST_TEST(t.recurEveryNs.value() == 3600 * kS);
}

#define BOOST_TEST_MODULE test_runner
// The parts of TestRunner that need no plugin process: a server test this agent cannot run is
// reported once, as an error result carrying the test id, and again only when the test changes.
#include "core/test_runner.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;

namespace {

struct Fixture {
  boost::asio::io_context io;
  std::vector<ProbeResult> results;
  // "probe_a" is enabled but its host never said hello (not loaded); anything else is not enabled.
  std::shared_ptr<PluginSupervisor> probeA =
      std::make_shared<PluginSupervisor>(io, "/nonexistent/streamswarm-plugin-host", manifest(), [](ProbeResult) {});
  TestRunner runner{io, [this](const std::string& plugin) { return plugin == "probe_a" ? probeA : nullptr; },
                    [this](ProbeResult r) { results.push_back(std::move(r)); }};

  static PluginManifest manifest() {
    PluginManifest m;
    m.file = "/x/libstreamswarm_probe_a.so";
    m.name = "probe_a";
    return m;
  }

  static ServerTest test(const std::string& id, const std::string& plugin) {
    ServerTest t;
    t.id = id;
    t.plugin = plugin;
    t.intervalNs = 1'000'000'000;
    t.startNs = 1'700'000'000'000'000'000;
    return t;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_test_of_a_plugin_not_enabled_here_is_reported_once, Fixture) {
  const std::vector<ServerTest> set{test("t-1", "ping")};
  runner.apply(set);
  runner.apply(set);  // the same set again: no second report
  BOOST_REQUIRE_EQUAL(results.size(), 1u);
  BOOST_TEST(results[0].testId == "t-1");
  BOOST_TEST(results[0].plugin == "ping");
  BOOST_TEST(results[0].timestampNs > 0);
  BOOST_TEST(results[0].error ==
             "plugin 'ping' is not enabled on this agent (add a [plugin.ping] section or list it in [server] "
             "test_plugins)");
  BOOST_TEST(runner.activeCount() == 0u);

  auto changed = set;
  changed[0].options["count"] = "3";  // a new version of the test is judged again
  runner.apply(changed);
  BOOST_TEST(results.size() == 2u);
  runner.apply({});  // gone; coming back is new again
  runner.apply(changed);
  BOOST_TEST(results.size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(a_test_of_a_plugin_that_did_not_load_is_reported_once, Fixture) {
  runner.apply({test("t-2", "probe_a"), test("t-3", "ping")});
  BOOST_REQUIRE_EQUAL(results.size(), 2u);
  BOOST_TEST(results[0].testId == "t-2");
  BOOST_TEST(results[0].error == "plugin 'probe_a' could not be loaded on this agent");
  BOOST_TEST(results[1].testId == "t-3");
  runner.apply({test("t-2", "probe_a"), test("t-3", "ping")});
  BOOST_TEST(results.size() == 2u);
}

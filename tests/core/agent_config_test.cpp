#define BOOST_TEST_MODULE agent_config
#include "core/agent_config.hpp"
#include "core/error.hpp"
#include "tests/support/process.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;
using streamswarm::testsupport::TempDir;
using streamswarm::testsupport::writeFile;

namespace {

struct Fixture {
  TempDir dir;
  AgentConfig load(const std::string& text) {
    writeFile(dir / "agent.conf", text);
    return loadAgentConfig(dir / "agent.conf");
  }
  // The message of the Error that loading `text` throws.
  std::string error(const std::string& text) {
    try {
      load(text);
    } catch (const Error& e) {
      return e.what();
    }
    BOOST_FAIL("no error for:\n" << text);
    return {};
  }
};

PluginSchema schema() {
  PluginSchema s;
  s.name = "ping";
  s.configKeys = {
      {"targets", SS_TYPE_LIST, std::nullopt, "hosts to ping", 1, 0, ""},
      {"count", SS_TYPE_INT, "5", "packets per target", 1, 100, ""},
      {"interval", SS_TYPE_DURATION, "1s", "between packets", 0.01, 60, ""},
      {"family", SS_TYPE_ENUM, "any", "address family", 1, 0, "any|ipv4|ipv6"},
      {"source", SS_TYPE_STRING, "", "source address", 1, 0, ""},
  };
  return s;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(reads_agent_and_plugin_sections, Fixture) {
  const auto c = load(R"(# comment
[agent]
name = edge-7
log_level = debug
labels = dc1, rack4

[plugin.ping]
run_every = 30s
targets = 127.0.0.1, ::1   # inline comment
count = 3

[plugin.ping.backup]
enabled = false
targets = 127.0.0.2

[plugin.sysmetrics]
)");
  BOOST_TEST(c.name == "edge-7");
  BOOST_TEST(c.logLevel == "debug");
  BOOST_TEST(c.labels == (std::vector<std::string>{"dc1", "rack4"}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(c.plugins.size(), 3u);
  const auto& ping = c.plugins[0];
  BOOST_TEST(ping.plugin == "ping");
  BOOST_TEST(ping.instance == "");
  BOOST_TEST(ping.every.count() == 30'000'000'000);
  BOOST_TEST(ping.timeout.count() == 30'000'000'000);  // min(run_every, 30s)
  BOOST_TEST(ping.options.at("count") == "3");
  BOOST_TEST(ping.options.count("run_every") == 0u);
  BOOST_TEST(c.plugins[1].instance == "backup");
  BOOST_TEST(c.plugins[1].label() == "ping.backup");
  BOOST_TEST(!c.plugins[1].enabled);
  // A section without keys still enables its plugin, with every default.
  BOOST_TEST(c.plugins[2].plugin == "sysmetrics");
  BOOST_TEST(c.plugins[2].enabled);
  BOOST_TEST(c.plugins[2].every.count() == 60'000'000'000);
}

BOOST_FIXTURE_TEST_CASE(rejects_unknown_sections_and_agent_keys, Fixture) {
  const auto file = (dir / "agent.conf").string();
  auto e = error("[agnet]\nname = x\n");
  BOOST_TEST(e.find(file) != std::string::npos);
  BOOST_TEST(e.find("unknown section [agnet]") != std::string::npos);
  e = error("[agent]\nnmae = x\n");
  BOOST_TEST(e.find("[agent] key 'nmae': unknown key") != std::string::npos);
  e = error("[agent]\nlog_level = loud\n");
  BOOST_TEST(e.find("'loud' is not one of") != std::string::npos);
  e = error("name = x\n");
  BOOST_TEST(e.find("outside any [section]") != std::string::npos);
  e = error("[plugin.Ping]\n");
  BOOST_TEST(e.find("[plugin.Ping]") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(rejects_bad_agent_values_in_plugin_sections, Fixture) {
  auto e = error("[plugin.ping]\nrun_every = often\n");
  BOOST_TEST(e.find("[plugin.ping] key 'run_every': 'often' is not a duration") != std::string::npos);
  e = error("[plugin.ping]\nrun_every = 10ms\n");
  BOOST_TEST(e.find("shorter than the minimum") != std::string::npos);
  e = error("[plugin.ping]\nrun_every = 10s\nrun_timeout = 20s\n");
  BOOST_TEST(e.find("key 'run_timeout': is longer than run_every") != std::string::npos);
  e = error("[plugin.ping]\nenabled = maybe\n");
  BOOST_TEST(e.find("key 'enabled'") != std::string::npos);
  e = error("[plugin.ping]\ncount = 1\ncount = 2\n");
  BOOST_TEST(e.find("key 'count': given more than once") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(missing_file_is_named, Fixture) {
  try {
    loadAgentConfig(dir / "nope.conf");
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("nope.conf: cannot open") != std::string::npos);
  }
}

BOOST_FIXTURE_TEST_CASE(validates_plugin_options_against_schema, Fixture) {
  const auto c = load("[plugin.ping]\ntargets = a, b ,c\ninterval = 250ms\nfamily = ipv6\n");
  const auto options = validatePluginOptions(c, c.plugins[0], schema());
  BOOST_TEST(options.at("targets") == "a,b,c");
  BOOST_TEST(options.at("interval") == "250000000ns");
  BOOST_TEST(options.at("count") == "5");  // default
  BOOST_TEST(options.at("family") == "ipv6");
  BOOST_TEST(options.at("source") == "");
}

BOOST_FIXTURE_TEST_CASE(plugin_option_errors_name_file_section_key_and_reason, Fixture) {
  const auto file = (dir / "agent.conf").string();
  auto check = [&](const std::string& text, const std::string& expected) {
    const auto c = load(text);
    try {
      validatePluginOptions(c, c.plugins[0], schema());
      BOOST_ERROR("no error for " << text);
    } catch (const Error& e) {
      const std::string m = e.what();
      BOOST_TEST(m.find(file + ": [plugin.ping] key '") == 0, m);
      BOOST_TEST(m.find(expected) != std::string::npos, m);
    }
  };
  check("[plugin.ping]\ntargets = a\ncuont = 3\n", "'cuont': unknown option for plugin 'ping' (known: targets, count");
  check("[plugin.ping]\ncount = 3\n", "'targets': required by plugin 'ping'");
  check("[plugin.ping]\ntargets = a\ncount = 1000\n", "'count': 1000 is outside 1..100");
  check("[plugin.ping]\ntargets = a\ncount = three\n", "'count': 'three' is not an integer");
  check("[plugin.ping]\ntargets = a\ninterval = 5 parsecs\n", "'interval': '5 parsecs' is not a duration");
  check("[plugin.ping]\ntargets = a\nfamily = ipx\n", "'family': 'ipx' is not one of: any, ipv4, ipv6");
}

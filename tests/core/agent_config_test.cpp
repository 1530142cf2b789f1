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

BOOST_FIXTURE_TEST_CASE(idle_host_stop_is_a_duration_or_off, Fixture) {
  BOOST_TEST(load("[plugin.ping]\n").idleHostStop->count() == 30'000'000'000);  // the default
  BOOST_TEST(load("[agent]\nidle_host_stop = 5m\n[plugin.ping]\n").idleHostStop->count() == 300'000'000'000);
  BOOST_TEST(!load("[agent]\nidle_host_stop = off\n[plugin.ping]\n").idleHostStop);
  const auto e = error("[agent]\nidle_host_stop = 500ms\n[plugin.ping]\n");
  BOOST_TEST(
      e.find("[agent] key 'idle_host_stop': '500ms' is neither off nor a duration of at least 1s") != std::string::npos,
      e);
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

BOOST_FIXTURE_TEST_CASE(reads_the_server_section_with_defaults, Fixture) {
  auto c = load("[server]\nurl = http://127.0.0.1:8080\nenrollment_token = sse_a_b\n[plugin.ping]\ntargets = a\n");
  BOOST_REQUIRE(c.server);
  BOOST_TEST(c.server->url.host == "127.0.0.1");
  BOOST_TEST(c.server->url.port == 8080);
  BOOST_TEST(c.server->enrollmentToken == "sse_a_b");
  BOOST_TEST(c.server->stateDir == "/var/lib/streamswarm-agent");
  BOOST_TEST(c.server->spoolMaxBytes == 256u * 1024 * 1024);
  BOOST_TEST(c.server->batchSize == 1000u);
  BOOST_TEST(c.server->heartbeat.count() == 10'000'000'000);
  BOOST_TEST(enrollmentToken(c) == "sse_a_b");

  writeFile(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\n");
  writeFile(dir / "token", "  sse_from_file \n");
  c = load("[server]\nurl = https://swarm.example.org:8443\nenrollment_token_file = " + (dir / "token").string() +
           "\nca_file = " + (dir / "ca.pem").string() + "\nstate_dir = " + (dir / "state").string() +
           "\nspool_max_bytes = 16MiB\nbatch_size = 200\nheartbeat = 5s\ntest_plugins = ping, sysmetrics\n");
  BOOST_TEST(c.server->url.tls);
  BOOST_TEST(c.server->spoolMaxBytes == 16u * 1024 * 1024);
  BOOST_TEST(c.server->batchSize == 200u);
  BOOST_TEST(c.server->heartbeat.count() == 5'000'000'000);
  BOOST_TEST(c.server->testPlugins == (std::vector<std::string>{"ping", "sysmetrics"}),
             boost::test_tools::per_element());
  BOOST_TEST(c.server->credentialFile() == dir / "state" / "credential");
  BOOST_TEST(c.server->spoolFile() == dir / "state" / "spool.db");
  BOOST_TEST(enrollmentToken(c) == "sse_from_file");

  BOOST_TEST(!load("[plugin.ping]\ntargets = a\n").server);  // local only
}

BOOST_FIXTURE_TEST_CASE(server_section_errors_name_file_section_and_key, Fixture) {
  const auto file = (dir / "agent.conf").string();
  auto check = [&](const std::string& server, const std::string& expected) {
    const auto e = error("[server]\n" + server);
    BOOST_TEST(e.find(file + ": [server]") == 0u, e);
    BOOST_TEST(e.find(expected) != std::string::npos, e);
  };
  check("url = http://h\nenrollment_tokn = x\n", "key 'enrollment_tokn': unknown key (known: url, enrollment_token");
  check("enrollment_token = x\n", "key 'url' is required");
  check("url = gopher://h\n", "key 'url': 'gopher://h' is not an http:// or https:// URL");
  check("url = http://h:99999\n", "key 'url': 'http://h:99999': port '99999' is not a number in 1..65535");
  check("url = http://h\nenrollment_token = a\nenrollment_token_file = b\n",
        "key 'enrollment_token_file': give enrollment_token or enrollment_token_file, not both");
  check("url = https://h\nca_file = /no/such/ca.pem\n", "key 'ca_file': cannot read '/no/such/ca.pem'");
  writeFile(dir / "ca.pem", "x");
  check("url = http://h\nca_file = " + (dir / "ca.pem").string() + "\n",
        "key 'ca_file': is only used with an https:// url");
  check("url = http://h\nspool_max_bytes = lots\n", "key 'spool_max_bytes': 'lots' is not a size");
  check("url = http://h\nspool_max_bytes = 1KiB\n", "key 'spool_max_bytes': '1KiB' is less than the minimum of 64KiB");
  check("url = http://h\nbatch_size = 0\n", "key 'batch_size': '0' is not a number in 1..5000");
  check("url = http://h\nbatch_size = 5001\n", "key 'batch_size': '5001' is not a number in 1..5000");
  check("url = http://h\nheartbeat = 100ms\n", "key 'heartbeat': '100ms' is outside 1s..1h");
  check("url = http://h\ntest_plugins = Ping\n", "key 'test_plugins': 'Ping' is not a plugin name");
  check("url = http://h\nstate_dir =\n", "key 'state_dir': must not be empty");
  check("url = http://h\nurl = http://i\n", "key 'url': given more than once");

  // The token is needed only to enroll; its absence is reported when it is needed, naming both keys.
  const auto c = load("[server]\nurl = http://h\n");
  try {
    enrollmentToken(c);
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("set enrollment_token or enrollment_token_file") != std::string::npos);
  }
  const auto missing = load("[server]\nurl = http://h\nenrollment_token_file = " + (dir / "nope").string() + "\n");
  try {
    enrollmentToken(missing);
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find("[server] key 'enrollment_token_file': cannot read a token") !=
               std::string::npos);
  }
}

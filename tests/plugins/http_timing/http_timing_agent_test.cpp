// http_timing as the agent runs it: the built module in its plugin host, the sample config (its URL
// pointed at a server this test starts), result lines on stdout, and bad configuration refused at
// start-up with exit status 2 and a message naming the section, the option and the reason.
#define BOOST_TEST_MODULE http_timing_agent
#include <boost/test/unit_test.hpp>

#include "tests/support/agent_once.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"

#include <boost/json.hpp>

#include <regex>

namespace ts = streamswarm::testsupport;
using streamswarm::testsupport::HttpTestRequest;
using streamswarm::testsupport::HttpTestResponse;
using streamswarm::testsupport::HttpTestServer;

namespace {

constexpr int kExitStartupError = 2;

ts::AgentRun runSection(const std::string& options) {
  return ts::runAgentOnce("[agent]\nname = test\n[plugin.http_timing]\nrun_every = 10s\n" + options);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent)

BOOST_AUTO_TEST_CASE(the_sample_config_runs_and_prints_a_result) {
  HttpTestServer server;
  server.route("/", [](const HttpTestRequest&) {
    HttpTestResponse r;
    r.body = "<html>example</html>\n";
    return r;
  });
  auto config = ts::readFile(ts::sourceDir() / "plugins/http_timing/http_timing.conf");
  const std::regex url(R"(^url = .*$)", std::regex::multiline);
  BOOST_TEST_REQUIRE(std::regex_search(config, url));
  config = std::regex_replace(config, url, "url = " + server.url("/"));
  const auto out = ts::runAgentOnce(config);
  BOOST_TEST(out.status == 0, out.err);
  BOOST_TEST_REQUIRE(out.results.size() == 1u, out.out);
  const auto& line = out.results[0];
  BOOST_TEST(line.at("plugin").as_string() == "http_timing");
  BOOST_TEST(line.at("target").as_string() == server.url("/"));
  BOOST_TEST(!line.contains("error"));
  const auto& metrics = line.at("metrics").as_object();
  BOOST_TEST(ts::metricOf(line, "success") == 1.0);
  BOOST_TEST(ts::metricOf(line, "status_code") == 200.0);
  for (const auto* m : {"dns_ms", "connect_ms", "request_ms", "ttfb_ms", "transfer_ms", "total_ms"})
    BOOST_TEST(metrics.contains(m), m);
  BOOST_TEST(line.at("document_schema").as_int64() == 1);
  BOOST_TEST(line.at("document").at("hops").as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_probe_is_a_result_not_a_failed_run) {
  HttpTestServer server;  // every path is 404
  const auto out = runSection("url = " + server.url("/missing") + "\n");
  BOOST_TEST(out.status == 0, out.err);
  const auto& line = out.result(server.url("/missing"));
  BOOST_TEST(line.at("error").as_string() == "status: got 404, expected 200-299");
  BOOST_TEST(line.at("document").at("failed_phase").as_string() == "status");
  BOOST_TEST(ts::metricOf(line, "success") == 0.0);
}

BOOST_AUTO_TEST_CASE(bad_configuration_stops_the_agent_naming_option_and_reason) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"url = htp://example.com/\n", {"[plugin.http_timing]", "option 'url'", "unsupported scheme 'htp'"}},
      {"url = http://exa mple.com/\n", {"option 'url'", "not a valid URL"}},
      {"url = http://h/\ncolour = blue\n", {"[plugin.http_timing] key 'colour'", "unknown option"}},
      {"url = http://h/\nexpect_status = abc\n", {"option 'expect_status'", "'abc'"}},
      {"url = http://h/\nexpect_regex = (\n", {"option 'expect_regex'", "not a valid regular expression"}},
      {"url = http://h/\ntimeout = forever\n", {"key 'timeout'", "not a duration"}},
      {"url = http://h/\nca_file = /nonexistent.pem\n", {"option 'ca_file'", "not a readable file"}},
      {"url = http://h/\nmode = icmp\n", {"key 'mode'", "not one of: http, dns, tcp"}},
      {"", {"option 'targets'", "nothing to probe"}},
  };
  for (const auto& [options, expected] : cases) {
    const auto out = runSection(options);
    BOOST_TEST(out.status == kExitStartupError, options << " gave " << out.status << ": " << out.err);
    BOOST_TEST(out.out.empty(), options);
    for (const auto& part : expected)
      BOOST_TEST(contains(out.err, part), "'" << out.err << "' should mention " << part);
  }
}

BOOST_AUTO_TEST_SUITE_END()

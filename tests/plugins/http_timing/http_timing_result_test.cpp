// Phase accounting, option validation and result building of http_timing, on made-up outcomes and
// hand-written options: no sockets, no clocks. Also loads the sample config's section.
#define BOOST_TEST_MODULE http_timing_result
#include <boost/test/unit_test.hpp>

#include "http_timing_probe.hpp"
#include "phase_timings.hpp"
#include "probe_config.hpp"
#include "result_builder.hpp"

#include "tests/support/process.hpp"
#include "tests/support/sample_config.hpp"

#include <streamswarm/config_values.hpp>
#include <streamswarm/testing/fake_host.hpp>

#include <boost/json.hpp>

#include <map>
#include <string>

using namespace streamswarm::http_timing;
using streamswarm::ConfigError;
using streamswarm::Options;
namespace json = boost::json;
namespace ts = streamswarm::testsupport;
using namespace std::chrono_literals;

namespace {

using OptionMap = std::map<std::string, std::string>;

ProbeConfig config(const OptionMap& given) {
  return ProbeConfig::fromOptions(Options::validated(configKeys(), given));
}

// The error a bad option set gets, the way the agent builds options (validated) and the instance.
std::string configError(const OptionMap& given) {
  try {
    streamswarm::testing::makeProbe<HttpTimingProbe>(given);
  } catch (const ConfigError& e) {
    return e.what();
  }
  BOOST_ERROR("options were accepted");
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::optional<double> metric(const streamswarm::Result& r, const std::string& name) {
  for (const auto& [n, v] : r.metrics)
    if (n == name) return v;
  return std::nullopt;
}

void requireDeclared(const streamswarm::Result& r) {
  for (const auto& [name, value] : r.metrics) {
    bool declared = false;
    for (const auto& d : metricDefs()) declared = declared || streamswarm::values::metricMatches(d.name, name);
    BOOST_TEST(declared, "metric '" << name << "' is not declared");
  }
}

// The [plugin.http_timing] section of an INI file: key = value lines, '#' comments.

const auto kNow = std::chrono::system_clock::time_point(std::chrono::sys_days(std::chrono::year(2030) / 1 / 1));

CertInfo cert(const std::string& subject, std::chrono::hours left) {
  CertInfo c;
  c.subject = subject;
  c.issuer = "CN=Issuer";
  c.sans = {"DNS:example.com"};
  c.serial = "01";
  c.notBefore = std::chrono::floor<std::chrono::seconds>(kNow - 24h);
  c.notAfter = std::chrono::floor<std::chrono::seconds>(kNow + left);
  return c;
}

HopTimings timings(std::initializer_list<std::pair<Phase, double>> phases, double total) {
  HopTimings t;
  for (const auto& [p, ms] : phases) t.ms[static_cast<std::size_t>(p)] = ms;
  t.totalMs = total;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(phase_accounting)

BOOST_AUTO_TEST_CASE(each_phase_runs_from_the_previous_mark) {
  PhaseMarks marks(1'000ns);
  marks.mark(Phase::kDns, 3'000ns);
  marks.mark(Phase::kConnect, 53'000ns);
  marks.mark(Phase::kRequest, 63'000ns);  // no TLS on http://
  marks.mark(Phase::kTtfb, 100'063'000ns);
  marks.mark(Phase::kTransfer, 300'063'000ns);
  const auto t = marks.timings(300'063'000ns);
  BOOST_TEST(*t[Phase::kDns] == 0.002);
  BOOST_TEST(*t[Phase::kConnect] == 0.05);
  BOOST_TEST(!t[Phase::kTls].has_value());
  BOOST_TEST(*t[Phase::kRequest] == 0.01);
  BOOST_TEST(*t[Phase::kTtfb] == 100.0);
  BOOST_TEST(*t[Phase::kTransfer] == 200.0);
  BOOST_TEST(t.totalMs == 300.062);
  BOOST_TEST(!t[Phase::kStatus].has_value());
}

BOOST_AUTO_TEST_CASE(a_reused_connection_starts_with_the_request) {
  PhaseMarks marks(0ns);
  marks.mark(Phase::kRequest, 20'000ns);
  marks.mark(Phase::kTtfb, 1'020'000ns);
  marks.mark(Phase::kTransfer, 1'030'000ns);
  const auto t = marks.timings(1'030'000ns);
  BOOST_TEST(!t[Phase::kDns].has_value());
  BOOST_TEST(!t[Phase::kConnect].has_value());
  BOOST_TEST(*t[Phase::kRequest] == 0.02);
  BOOST_TEST(*t[Phase::kTtfb] == 1.0);
  BOOST_TEST(t.totalMs == 1.03);
}

BOOST_AUTO_TEST_CASE(a_failed_hop_keeps_its_completed_phases_and_runs_to_the_failure) {
  PhaseMarks marks(0ns);
  marks.mark(Phase::kDns, 1'000'000ns);
  const auto t = marks.timings(2'001'000'000ns);  // connect timed out after 2 s
  BOOST_TEST(*t[Phase::kDns] == 1.0);
  BOOST_TEST(!t[Phase::kConnect].has_value());
  BOOST_TEST(t.totalMs == 2001.0);
  BOOST_TEST(marks.at(Phase::kDns).value() == 1'000'000ns);
  BOOST_TEST(!marks.at(Phase::kConnect).has_value());
}

BOOST_AUTO_TEST_CASE(sums_phases_over_hops) {
  const std::vector<HopTimings> hops{
      timings({{Phase::kDns, 1}, {Phase::kConnect, 2}, {Phase::kRequest, 0.5}, {Phase::kTtfb, 10}}, 14),
      timings({{Phase::kDns, 1}, {Phase::kConnect, 2}, {Phase::kTls, 5}, {Phase::kTtfb, 20}, {Phase::kTransfer, 3}},
              31)};
  const auto sum = sumTimings(hops);
  BOOST_TEST(*sum[Phase::kDns] == 2.0);
  BOOST_TEST(*sum[Phase::kTls] == 5.0);
  BOOST_TEST(*sum[Phase::kTtfb] == 30.0);
  BOOST_TEST(*sum[Phase::kTransfer] == 3.0);
  BOOST_TEST(sum.totalMs == 45.0);
  BOOST_TEST(!sumTimings({}).ms[0].has_value());
}

BOOST_AUTO_TEST_CASE(names_phases_and_durations) {
  BOOST_TEST(phaseName(Phase::kDns) == "dns");
  BOOST_TEST(phaseName(Phase::kTtfb) == "ttfb");
  BOOST_TEST(phaseName(Phase::kBody) == "body");
  BOOST_TEST(timed(Phase::kTransfer));
  BOOST_TEST(!timed(Phase::kRedirect));
  BOOST_TEST(formatDuration(2s) == "2s");
  BOOST_TEST(formatDuration(300ms) == "300ms");
  BOOST_TEST(formatDuration(1500ms) == "1.5s");
  BOOST_TEST(formatDuration(250ns) == "250ns");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(defaults_for_one_url) {
  const auto c = config({{"url", "https://example.com/health"}});
  BOOST_TEST((c.mode == Mode::kHttp));
  BOOST_TEST_REQUIRE(c.targets.size() == 1u);
  BOOST_TEST(c.targets[0].label == "https://example.com/health");
  BOOST_TEST(c.targets[0].url.https());
  BOOST_TEST(c.method == "GET");
  BOOST_TEST(c.expectStatus.contains(204));
  BOOST_TEST(!c.expectStatus.contains(301));
  BOOST_TEST(c.followRedirects);
  BOOST_TEST(c.maxRedirects == 10);
  BOOST_TEST(c.timeout.count() == 10'000'000'000);
  BOOST_TEST((c.ipFamily == IpFamily::kAny));
  BOOST_TEST(!c.insecureSkipVerify);
  BOOST_TEST(c.maxBodyBytes == 10u * 1024 * 1024);
  BOOST_TEST(c.concurrency == 8);
  BOOST_TEST(!c.bodyCheck.enabled());
}

BOOST_AUTO_TEST_CASE(reads_every_option) {
  const auto c = config({{"targets", "http://a.example/, https://[::1]:8443/x"},
                         {"method", "POST"},
                         {"headers", "Content-Type: application/json, Accept: a/b, c/d"},
                         {"body", R"({"q": 1})"},
                         {"expect_status", "200-299, 418"},
                         {"expect_body", "ok"},
                         {"expect_regex", "^\\{"},
                         {"follow_redirects", "no"},
                         {"max_redirects", "3"},
                         {"timeout", "1500ms"},
                         {"ip_family", "ipv6"},
                         {"insecure_skip_verify", "yes"},
                         {"max_body_bytes", "1024"},
                         {"concurrency", "2"}});
  BOOST_TEST(c.targets.size() == 2u);
  BOOST_TEST(c.targets[1].url.ipv6);
  BOOST_TEST(c.method == "POST");
  BOOST_TEST_REQUIRE(c.headers.size() == 2u);
  BOOST_TEST(c.headers[1].value == "a/b, c/d");
  BOOST_TEST(c.body == R"({"q": 1})");
  BOOST_TEST(c.expectStatus.contains(418));
  BOOST_TEST(c.bodyCheck.substring() == "ok");
  BOOST_TEST(c.bodyCheck.regexText() == "^\\{");
  BOOST_TEST(!c.followRedirects);
  BOOST_TEST(c.maxRedirects == 3);
  BOOST_TEST(c.timeout.count() == 1'500'000'000);
  BOOST_TEST((c.ipFamily == IpFamily::kIpv6));
  BOOST_TEST(c.insecureSkipVerify);
  BOOST_TEST(c.maxBodyBytes == 1024u);
  BOOST_TEST(c.concurrency == 2);
}

BOOST_AUTO_TEST_CASE(reads_dns_and_tcp_targets) {
  const auto dns = config({{"mode", "dns"}, {"targets", "example.com, https://other.example/x"}});
  BOOST_TEST(dns.targets[0].endpoint.host == "example.com");
  BOOST_TEST(dns.targets[1].endpoint.host == "other.example");
  BOOST_TEST(dns.targets[1].label == "https://other.example/x");
  const auto tcp = config({{"mode", "tcp"}, {"targets", "db.example:5432, [::1]:22"}});
  BOOST_TEST(tcp.targets[0].endpoint.port == 5432);
  BOOST_TEST(tcp.targets[1].endpoint.ipv6);
}

BOOST_AUTO_TEST_CASE(a_hand_built_option_set_gets_the_declared_defaults) {
  const auto c = ProbeConfig::fromOptions(Options({{"url", "http://h/"}, {"timeout", "250ms"}}));
  BOOST_TEST(c.timeout.count() == 250'000'000);
  BOOST_TEST(c.maxRedirects == 10);
}

BOOST_AUTO_TEST_CASE(rejects_bad_options_naming_the_option_and_reason) {
  const std::vector<std::pair<OptionMap, std::vector<std::string>>> cases{
      {{{"url", "htp://example.com/"}},
       {"option 'url'", "'htp://example.com/' is not a valid URL", "unsupported scheme 'htp'"}},
      {{{"url", "example.com"}}, {"option 'url'", "missing scheme"}},
      {{{"targets", "http://ok.example/, http://bad host/"}}, {"option 'targets'", "'http://bad host/'"}},
      {{{"url", "http://a/"}, {"targets", "http://b/"}}, {"option 'url'", "not both"}},
      {{}, {"option 'targets'", "nothing to probe"}},
      {{{"url", "http://h/"}, {"method", "GE T"}}, {"option 'method'", "not an HTTP method"}},
      {{{"url", "http://h/"}, {"headers", "oops"}}, {"option 'headers'", "not a header"}},
      {{{"url", "http://h/"}, {"headers", "Content-Length: 3"}}, {"option 'headers'", "set by the probe"}},
      {{{"url", "http://h/"}, {"expect_status", "abc"}}, {"option 'expect_status'", "'abc'"}},
      {{{"url", "http://h/"}, {"expect_regex", "([a-z"}}, {"option 'expect_regex'", "not a valid regular expression"}},
      {{{"url", "http://h/"}, {"timeout", "0s"}}, {"option 'timeout'", "outside"}},
      {{{"url", "http://h/"}, {"timeout", "soon"}}, {"option 'timeout'", "not a duration"}},
      {{{"url", "http://h/"}, {"max_redirects", "51"}}, {"option 'max_redirects'", "outside 0..50"}},
      {{{"url", "http://h/"}, {"concurrency", "0"}}, {"option 'concurrency'", "outside 1..64"}},
      {{{"url", "http://h/"}, {"max_body_bytes", "-1"}}, {"option 'max_body_bytes'"}},
      {{{"url", "http://h/"}, {"ip_family", "ipv5"}}, {"option 'ip_family'", "not one of: any, ipv4, ipv6"}},
      {{{"url", "http://h/"}, {"mode", "ftp"}}, {"option 'mode'", "not one of: http, dns, tcp"}},
      {{{"url", "http://h/"}, {"follow_redirects", "maybe"}}, {"option 'follow_redirects'", "not a boolean"}},
      {{{"url", "http://[::1]/"}, {"ip_family", "ipv4"}}, {"option 'url'", "IPv6 address but ip_family is ipv4"}},
      {{{"mode", "tcp"}, {"targets", "db.example"}}, {"option 'targets'", "missing port"}},
      {{{"mode", "dns"}, {"targets", "10.0.0.1"}}, {"option 'targets'", "nothing to resolve"}},
      {{{"url", "http://h/"}, {"ca_file", "/nonexistent/ca.pem"}}, {"option 'ca_file'", "not a readable file"}},
      {{{"url", "http://h/"}, {"colour", "blue"}}, {"unknown option 'colour'"}},
  };
  for (const auto& [options, expected] : cases) {
    const auto error = configError(options);
    for (const auto& part : expected) BOOST_TEST(contains(error, part), "'" << error << "' should mention " << part);
  }
}

BOOST_AUTO_TEST_CASE(rejects_a_ca_file_without_certificates) {
  ts::TempDir dir;
  ts::writeFile(dir / "empty.pem", "not a certificate\n");
  const auto error = configError({{"url", "https://h/"}, {"ca_file", (dir / "empty.pem").string()}});
  BOOST_TEST(contains(error, "option 'ca_file': no usable PEM certificates"), error);
}

BOOST_AUTO_TEST_CASE(limits_the_number_of_targets) {
  std::string many;
  for (std::size_t i = 0; i <= kMaxTargets; ++i) many += "http://h" + std::to_string(i) + ".example/,";
  const auto error = configError({{"targets", many}});
  BOOST_TEST(contains(error, "at most 256 per instance"), error);
}

BOOST_AUTO_TEST_CASE(the_sample_config_is_valid) {
  const auto text = ts::readFile(ts::sourceDir() / "plugins/http_timing/http_timing.conf");
  const auto options = ts::sectionOptions(text, "plugin.http_timing");
  BOOST_TEST(!options.empty());
  const auto probe = streamswarm::testing::makeProbe<HttpTimingProbe>(options);
  BOOST_TEST(!probe.config().targets.empty());
}

BOOST_AUTO_TEST_CASE(declares_unique_metric_and_option_names) {
  std::set<std::string> names;
  for (const auto& m : metricDefs()) BOOST_TEST(names.insert(m.name).second, m.name);
  std::set<std::string> keys;
  for (const auto& k : configKeys()) {
    BOOST_TEST(keys.insert(k.name).second, k.name);
    BOOST_TEST(std::string(k.name) != "run_every");
    BOOST_TEST(std::string(k.name) != "run_timeout");
    BOOST_TEST(std::string(k.name) != "enabled");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(results)

BOOST_AUTO_TEST_CASE(a_redirected_https_probe) {
  ProbeOutcome o;
  o.mode = Mode::kHttp;
  o.target = "https://example.com/old";
  o.wallStart = kNow;
  o.redirects = 1;
  o.connectionsOpened = 1;
  o.redirectMs = 12.5;
  o.totalMs = 40.1234567;
  o.expectedStatus = "200-299";
  o.statusOk = true;
  o.body = BodyCheck::Outcome{true, ""};
  HopRecord first;
  first.url = "https://example.com/old";
  first.method = "GET";
  first.remoteAddress = "192.0.2.1";
  first.remotePort = 443;
  first.connectAttempts = 1;
  first.timings = timings({{Phase::kDns, 1},
                           {Phase::kConnect, 2},
                           {Phase::kTls, 5},
                           {Phase::kRequest, 0.1},
                           {Phase::kTtfb, 4},
                           {Phase::kTransfer, 0.4}},
                          12.5);
  first.status = 301;
  first.httpVersion = 11;
  first.location = "/new";
  first.keepAlive = true;
  TlsInfo tls;
  tls.version = "TLSv1.3";
  tls.cipher = "TLS_AES_128_GCM_SHA256";
  tls.alpn = "http/1.1";
  tls.sni = "example.com";
  tls.trustStore = "system";
  tls.chain = {cert("CN=example.com", 24h * 30), cert("CN=Intermediate", 24h * 10)};
  tls.chainVerified = true;
  tls.hostnameVerified = true;
  first.tls = tls;
  HopRecord second;
  second.url = "https://example.com/new";
  second.method = "GET";
  second.connectionReused = true;
  second.timings = timings({{Phase::kRequest, 0.1}, {Phase::kTtfb, 20}, {Phase::kTransfer, 7.5}}, 27.6);
  second.status = 200;
  second.httpVersion = 11;
  second.contentEncoding = "gzip";
  second.decoded = true;
  second.headerBytes = 180;
  second.bodyBytes = 1000;
  second.decodedBytes = 5000;
  second.wireBytes = 1190;
  o.hops = {first, second};

  const auto r = buildResult(o);
  requireDeclared(r);
  BOOST_TEST(r.error.empty());
  BOOST_TEST(r.target == "https://example.com/old");
  BOOST_TEST(*metric(r, "success") == 1.0);
  BOOST_TEST(*metric(r, "dns_ms") == 1.0);
  BOOST_TEST(*metric(r, "tls_ms") == 5.0);
  BOOST_TEST(*metric(r, "ttfb_ms") == 24.0);
  BOOST_TEST(*metric(r, "request_ms") == 0.2);
  BOOST_TEST(*metric(r, "transfer_ms") == 7.9);
  BOOST_TEST(*metric(r, "total_ms") == 40.123);
  BOOST_TEST(*metric(r, "redirect_ms") == 12.5);
  BOOST_TEST(*metric(r, "status_code") == 200.0);
  BOOST_TEST(*metric(r, "http_version") == 1.1);
  BOOST_TEST(*metric(r, "body_bytes") == 1000.0);
  BOOST_TEST(*metric(r, "body_decoded_bytes") == 5000.0);
  BOOST_TEST(*metric(r, "redirects") == 1.0);
  BOOST_TEST(*metric(r, "connection_reused") == 1.0);
  BOOST_TEST(*metric(r, "connections_opened") == 1.0);
  BOOST_TEST(*metric(r, "status_ok") == 1.0);
  BOOST_TEST(*metric(r, "body_ok") == 1.0);
  BOOST_TEST(*metric(r, "tls.version") == 1.3);
  BOOST_TEST(*metric(r, "tls.verified") == 1.0);
  BOOST_TEST(*metric(r, "tls.leaf_expiry_days") == 30.0);
  BOOST_TEST(*metric(r, "tls.chain_expiry_days") == 10.0);
  BOOST_TEST(!metric(r, "addresses").has_value());

  const auto doc = json::parse(r.document).as_object();
  BOOST_TEST(doc.at("mode").as_string() == "http");
  BOOST_TEST(doc.at("success").as_bool());
  BOOST_TEST(!doc.contains("failed_phase"));
  BOOST_TEST(doc.at("final_url").as_string() == "https://example.com/new");
  BOOST_TEST(doc.at("http_version").as_string() == "1.1");
  BOOST_TEST(doc.at("timings_ms").at("tls").to_number<double>() == 5.0);
  BOOST_TEST(doc.at("timings_ms").at("redirect").to_number<double>() == 12.5);
  BOOST_TEST(doc.at("checks").at("status").at("expected").as_string() == "200-299");
  const auto& t = doc.at("tls").as_object();
  BOOST_TEST(t.at("version").as_string() == "TLSv1.3");
  BOOST_TEST(t.at("alpn").as_string() == "http/1.1");
  BOOST_TEST(t.at("leaf").at("subject").as_string() == "CN=example.com");
  BOOST_TEST(t.at("leaf").at("sans").as_array().at(0).as_string() == "DNS:example.com");
  BOOST_TEST(t.at("leaf").at("not_after").as_string() == "2030-01-31T00:00:00Z");
  BOOST_TEST(t.at("chain").as_array().size() == 2u);
  BOOST_TEST(t.at("chain_expiry_days").to_number<double>() == 10.0);
  const auto& hops = doc.at("hops").as_array();
  BOOST_TEST_REQUIRE(hops.size() == 2u);
  BOOST_TEST(hops[0].at("status_code").as_int64() == 301);
  BOOST_TEST(hops[0].at("location").as_string() == "/new");
  BOOST_TEST(hops[0].at("tls").at("leaf_subject").as_string() == "CN=example.com");
  BOOST_TEST(!hops[0].at("timings_ms").as_object().contains("redirect"));
  BOOST_TEST(hops[1].at("connection_reused").as_bool());
  BOOST_TEST(!hops[1].at("timings_ms").as_object().contains("dns"));
  BOOST_TEST(hops[1].at("content_encoding").as_string() == "gzip");
  BOOST_TEST(hops[1].at("body_decoded_bytes").as_int64() == 5000);
}

BOOST_AUTO_TEST_CASE(a_failure_names_its_phase_and_keeps_completed_timings) {
  ProbeOutcome o;
  o.target = "http://127.0.0.1:1/";
  o.failure = Failure{Phase::kConnect, "connection refused (127.0.0.1:1)"};
  o.totalMs = 0.3;
  HopRecord hop;
  hop.url = o.target;
  hop.timings = timings({{Phase::kDns, 0.001}}, 0.3);
  o.hops = {hop};
  const auto r = buildResult(o);
  requireDeclared(r);
  BOOST_TEST(r.error == "connect: connection refused (127.0.0.1:1)");
  BOOST_TEST(*metric(r, "success") == 0.0);
  BOOST_TEST(*metric(r, "dns_ms") == 0.001);
  BOOST_TEST(!metric(r, "connect_ms").has_value());
  BOOST_TEST(!metric(r, "status_code").has_value());
  const auto doc = json::parse(r.document).as_object();
  BOOST_TEST(doc.at("failed_phase").as_string() == "connect");
  BOOST_TEST(doc.at("error").as_string() == "connection refused (127.0.0.1:1)");
  BOOST_TEST(!doc.at("success").as_bool());
}

BOOST_AUTO_TEST_CASE(a_failed_verification_still_reports_the_certificate) {
  ProbeOutcome o;
  o.target = "https://expired.example/";
  o.wallStart = kNow;
  o.failure = Failure{Phase::kTls, "certificate verify failed: certificate has expired"};
  HopRecord hop;
  hop.url = o.target;
  TlsInfo tls;
  tls.version = "TLSv1.2";
  tls.chain = {cert("CN=expired.example", -48h)};
  tls.verifyError = "certificate has expired";
  tls.verifyErrorDepth = 0;
  tls.hostnameVerified = true;
  hop.tls = tls;
  o.hops = {hop};
  const auto r = buildResult(o);
  requireDeclared(r);
  BOOST_TEST(*metric(r, "tls.verified") == 0.0);
  BOOST_TEST(*metric(r, "tls.hostname_verified") == 1.0);
  BOOST_TEST(*metric(r, "tls.leaf_expiry_days") == -2.0);
  BOOST_TEST(*metric(r, "tls.version") == 1.2);
  const auto doc = json::parse(r.document).as_object();
  BOOST_TEST(doc.at("tls").at("verify_error").as_string() == "certificate has expired");
  BOOST_TEST(doc.at("tls").at("verify_error_depth").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(dns_and_tcp_results) {
  ProbeOutcome dns;
  dns.mode = Mode::kDns;
  dns.target = "example.com";
  dns.addresses = {"192.0.2.1", "2001:db8::1"};
  HopRecord lookup;
  lookup.timings = timings({{Phase::kDns, 3.25}}, 3.25);
  dns.hops = {lookup};
  dns.totalMs = 3.25;
  const auto d = buildResult(dns);
  requireDeclared(d);
  BOOST_TEST(*metric(d, "addresses") == 2.0);
  BOOST_TEST(*metric(d, "dns_ms") == 3.25);
  BOOST_TEST(!metric(d, "redirects").has_value());
  BOOST_TEST(json::parse(d.document).at("addresses").as_array().size() == 2u);

  ProbeOutcome tcp;
  tcp.mode = Mode::kTcp;
  tcp.target = "db.example:5432";
  HopRecord connect;
  connect.remoteAddress = "192.0.2.5";
  connect.remotePort = 5432;
  connect.connectAttempts = 2;
  connect.timings = timings({{Phase::kDns, 1}, {Phase::kConnect, 0.5}}, 1.5);
  tcp.hops = {connect};
  const auto t = buildResult(tcp);
  requireDeclared(t);
  BOOST_TEST(*metric(t, "connect_ms") == 0.5);
  const auto doc = json::parse(t.document).as_object();
  BOOST_TEST(doc.at("remote_address").as_string() == "192.0.2.5");
  BOOST_TEST(doc.at("connect_attempts").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(reads_tls_versions_and_explains_verification) {
  BOOST_TEST(*tlsVersionNumber("TLSv1.3") == 1.3);
  BOOST_TEST(*tlsVersionNumber("TLSv1.2") == 1.2);
  BOOST_TEST(*tlsVersionNumber("TLSv1") == 1.0);
  BOOST_TEST(!tlsVersionNumber("SSLv3").has_value());
  BOOST_TEST(!tlsVersionNumber("TLSv").has_value());
  TlsInfo t;
  t.verifyError = "unable to get local issuer certificate";
  t.verifyErrorDepth = 1;
  BOOST_TEST(t.verifyFailure("h") == "unable to get local issuer certificate (certificate 1 in the chain)");
  t.chainVerified = true;
  BOOST_TEST(t.verifyFailure("h") == "certificate is not valid for 'h' (hostname mismatch)");
  t.hostnameVerified = true;
  BOOST_TEST(t.verifyFailure("h").empty());
  BOOST_TEST(t.verified());
}

BOOST_AUTO_TEST_SUITE_END()

// HttpTimingProbe against real HTTP servers this test starts on 127.0.0.1 and ::1 (port 0):
// statuses and checks, redirects (chains, reuse, loops, method changes, credentials), gzip and
// deflate, framing (chunked, close-delimited), limits, and failures in every phase with the
// timings of the phases before it. Timing figures are only bounded here; they are compared with
// injected delays and curl in http_timing_timing_test.
#define BOOST_TEST_MODULE http_timing_http
#include <boost/test/unit_test.hpp>

#include "probe_run.hpp"
#include "zlib_compress.hpp"

#include "tests/support/http_test_server.hpp"

#include <boost/asio/ip/tcp.hpp>

using namespace http_timing_test;
using streamswarm::testsupport::HttpTestRequest;
using streamswarm::testsupport::HttpTestResponse;
using streamswarm::testsupport::HttpTestServer;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

HttpTestResponse text(std::string body, unsigned status = 200) {
  HttpTestResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "text/plain"}};
  return r;
}

HttpTestResponse redirect(unsigned status, std::string location) {
  HttpTestResponse r;
  r.status = status;
  r.headers = {{"Location", std::move(location)}};
  r.body = "moved\n";
  return r;
}

// A port nothing listens on: bound, then closed.
std::uint16_t closedPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string lorem(std::size_t lines) {
  std::string out;
  for (std::size_t i = 0; i < lines; ++i) out += "line " + std::to_string(i) + ": the quick brown fox\n";
  return out;
}

struct Servers {
  HttpTestServer server;
  HttpTestServer other;  // a second origin for cross-origin redirects
  Servers() {
    server.route("/ok", [](const HttpTestRequest&) { return text("hello world\n"); });
    server.route("/json", [](const HttpTestRequest&) { return text(R"({"status": "ok", "items": 3})"); });
    server.route("/echo", [](const HttpTestRequest& q) {
      std::string headers;
      for (const auto& [n, v] : q.headers) headers += n + ": " + v + "\n";
      return text(q.method + " " + q.target + "\n" + headers + "\n" + q.body);
    });
    server.route("/gzip", [](const HttpTestRequest&) {
      auto r = text(gzip(lorem(400)));
      r.headers.emplace_back("Content-Encoding", "gzip");
      return r;
    });
    server.route("/deflate", [](const HttpTestRequest&) {
      auto r = text(compress(lorem(50), -15));  // raw deflate, as many servers send it
      r.headers.emplace_back("Content-Encoding", "deflate");
      r.chunked = true;
      return r;
    });
    server.route("/br", [](const HttpTestRequest&) {
      auto r = text("not really brotli");
      r.headers.emplace_back("Content-Encoding", "br");
      return r;
    });
    server.route("/chunked", [](const HttpTestRequest&) {
      auto r = text(lorem(100));
      r.chunked = true;
      r.trickleChunks = 3;
      return r;
    });
    server.route("/until-close", [](const HttpTestRequest&) {
      auto r = text(lorem(10));
      r.lengthByClose = true;
      return r;
    });
    server.route("/big", [](const HttpTestRequest&) { return text(std::string(100'000, 'x')); });
    server.route("/r1", [](const HttpTestRequest&) { return redirect(302, "/r2"); });
    server.route("/r2", [](const HttpTestRequest&) { return redirect(301, "r3?from=r2"); });
    server.route("/r3", [](const HttpTestRequest&) { return text("end of chain\n"); });
    server.route("/loop", [](const HttpTestRequest&) { return redirect(302, "/loop"); });
    server.route("/see-other", [](const HttpTestRequest&) { return redirect(303, "/echo"); });
    server.route("/temporary", [](const HttpTestRequest&) { return redirect(307, "/echo"); });
    server.route("/bad-location", [](const HttpTestRequest&) { return redirect(302, "gopher://old.example/"); });
    server.route("/no-location", [](const HttpTestRequest&) { return text("no Location given", 302); });
    server.route("/redirect-close", [](const HttpTestRequest&) {
      auto r = redirect(302, "/ok");
      r.close = true;
      return r;
    });
    server.route("/to-other", [this](const HttpTestRequest&) { return redirect(302, other.url("/echo")); });
    server.route("/slow", [](const HttpTestRequest&) {
      auto r = text("slow\n");
      r.firstByteDelay = 300ms;
      return r;
    });
    server.route("/hang", [](const HttpTestRequest&) {
      auto r = text("too late\n");
      r.firstByteDelay = 3s;
      return r;
    });
    server.route("/hang-body", [](const HttpTestRequest&) {
      auto r = text(std::string(3000, 'b'));
      r.trickleChunks = 3;
      r.trickleInterval = 2s;
      return r;
    });
    server.route("/empty-reply", [](const HttpTestRequest&) {
      HttpTestResponse r;
      r.raw = "";
      return r;
    });
    server.route("/short-body", [](const HttpTestRequest&) {
      HttpTestResponse r;
      r.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
      return r;
    });
    server.route("/not-http", [](const HttpTestRequest&) {
      HttpTestResponse r;
      r.raw = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
      return r;
    });
    server.route("/http10", [](const HttpTestRequest&) {
      HttpTestResponse r;
      r.raw = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold server\n";
      return r;
    });
    server.route("/early-hints", [](const HttpTestRequest&) {
      HttpTestResponse r;
      r.raw =
          "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
          "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhints\n";
      return r;
    });
    other.route("/echo", [](const HttpTestRequest& q) {
      const auto auth = q.header("Authorization");
      return text(std::string("other origin; authorization ") + (auth ? "present" : "absent") + "\n");
    });
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http, Servers)

BOOST_AUTO_TEST_CASE(a_plain_request_reports_every_phase_and_the_response) {
  const auto r = runOne({{"url", server.url("/ok")}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.target == server.url("/ok"));
  BOOST_TEST(r.m("success") == 1.0);
  for (const auto* phase : {"dns_ms", "connect_ms", "request_ms", "ttfb_ms", "transfer_ms", "total_ms"}) {
    BOOST_TEST(r.m(phase) >= 0.0, phase);
    BOOST_TEST(r.m(phase) < 5000.0, phase);
  }
  BOOST_TEST(!r.has("tls_ms"));
  const double sum = r.m("dns_ms") + r.m("connect_ms") + r.m("request_ms") + r.m("ttfb_ms") + r.m("transfer_ms");
  BOOST_TEST(r.m("total_ms") >= sum - 0.01);  // rounding of the parts
  BOOST_TEST(r.m("status_code") == 200.0);
  BOOST_TEST(r.m("http_version") == 1.1);
  BOOST_TEST(r.m("body_bytes") == 12.0);
  BOOST_TEST(r.m("body_decoded_bytes") == 12.0);
  BOOST_TEST(r.m("header_bytes") > 40.0);
  BOOST_TEST(r.m("redirects") == 0.0);
  BOOST_TEST(r.m("connections_opened") == 1.0);
  BOOST_TEST(r.m("connection_reused") == 0.0);
  BOOST_TEST(r.m("status_ok") == 1.0);
  BOOST_TEST(!r.has("body_ok"));
  BOOST_TEST(r.doc.at("success").as_bool());
  BOOST_TEST(r.hops().size() == 1u);
  BOOST_TEST(r.hops()[0].at("remote_address").as_string() == "127.0.0.1");
  BOOST_TEST(r.hops()[0].at("remote_port").as_int64() == server.port());
  BOOST_TEST(r.hops()[0].at("keep_alive").as_bool());

  const auto q = server.requests().back();
  BOOST_TEST(q.method == "GET");
  BOOST_TEST(q.header("Host").value_or("") == server.hostPort());
  BOOST_TEST(q.header("User-Agent").value_or("") == "streamswarm-http_timing/1.0");
  BOOST_TEST(q.header("Accept-Encoding").value_or("") == "gzip, deflate");
}

BOOST_AUTO_TEST_CASE(sends_method_headers_and_body) {
  const auto r = runOne({{"url", server.url("/echo?x=1")},
                         {"method", "POST"},
                         {"headers", "Content-Type: application/json, X-Trace: a, b, User-Agent: custom/2"},
                         {"body", R"({"ping": true})"},
                         {"expect_body", R"({"ping": true})"}});
  BOOST_TEST(r.error.empty(), r.error);
  const auto q = server.requests().back();
  BOOST_TEST(q.method == "POST");
  BOOST_TEST(q.target == "/echo?x=1");
  BOOST_TEST(q.body == R"({"ping": true})");
  BOOST_TEST(q.header("Content-Type").value_or("") == "application/json");
  BOOST_TEST(q.header("X-Trace").value_or("") == "a, b");
  BOOST_TEST(q.header("User-Agent").value_or("") == "custom/2");
  BOOST_TEST(q.header("Content-Length").value_or("") == "14");
}

BOOST_AUTO_TEST_CASE(head_reads_no_body) {
  const auto r = runOne({{"url", server.url("/ok")}, {"method", "HEAD"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_bytes") == 0.0);
  BOOST_TEST(r.m("status_code") == 200.0);
}

BOOST_AUTO_TEST_CASE(checks_status_and_body) {
  auto r = runOne({{"url", server.url("/missing")}});
  BOOST_TEST(r.error == "status: got 404, expected 200-299");
  BOOST_TEST(r.m("status_ok") == 0.0);
  BOOST_TEST(r.m("success") == 0.0);
  BOOST_TEST(r.m("ttfb_ms") >= 0.0);  // the timings are all there
  BOOST_TEST(r.text("failed_phase") == "status");

  r = runOne({{"url", server.url("/missing")}, {"expect_status", "404"}});
  BOOST_TEST(r.error.empty(), r.error);

  r = runOne(
      {{"url", server.url("/json")}, {"expect_body", "\"status\": \"ok\""}, {"expect_regex", R"("items": \d+)"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_ok") == 1.0);

  r = runOne({{"url", server.url("/json")}, {"expect_body", "degraded"}});
  BOOST_TEST(r.error == "body: expected text 'degraded' not found");
  BOOST_TEST(r.m("body_ok") == 0.0);
  BOOST_TEST(r.text("failed_phase") == "body");
  BOOST_TEST(r.doc.at("checks").at("body").at("reason").as_string() == "expected text 'degraded' not found");

  r = runOne({{"url", server.url("/json")}, {"expect_regex", R"("items": 4)"}});
  BOOST_TEST(contains(r.error, "body: regex"), r.error);
}

BOOST_AUTO_TEST_CASE(follows_a_redirect_chain_on_one_connection) {
  const auto r = runOne({{"url", server.url("/r1")}, {"expect_body", "end of chain"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("redirects") == 2.0);
  BOOST_TEST(r.m("connections_opened") == 1.0);
  BOOST_TEST(r.m("connection_reused") == 1.0);
  BOOST_TEST(r.m("redirect_ms") > 0.0);
  BOOST_TEST(r.m("redirect_ms") < r.m("total_ms"));
  BOOST_TEST(r.text("final_url") == server.url("/r3?from=r2"));
  const auto& hops = r.hops();
  BOOST_TEST_REQUIRE(hops.size() == 3u);
  BOOST_TEST(hops[0].at("status_code").as_int64() == 302);
  BOOST_TEST(hops[0].at("location").as_string() == "/r2");
  BOOST_TEST(hops[1].at("status_code").as_int64() == 301);
  BOOST_TEST(hops[1].at("connection_reused").as_bool());
  BOOST_TEST(!hops[1].at("timings_ms").as_object().contains("connect"));
  BOOST_TEST(hops[2].at("url").as_string() == server.url("/r3?from=r2"));
  // The per-hop totals and the time between hops make up the probe's total.
  double hopSum = 0;
  for (const auto& hop : hops) hopSum += number(hop.at("timings_ms").at("total"));
  BOOST_TEST(r.m("total_ms") >= hopSum - 0.01);
  const auto requests = server.requests();
  BOOST_TEST(requests[requests.size() - 1].connection == requests[requests.size() - 3].connection);
}

BOOST_AUTO_TEST_CASE(reconnects_when_the_server_closes_or_the_origin_changes) {
  auto r = runOne({{"url", server.url("/redirect-close")}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("connections_opened") == 2.0);
  BOOST_TEST(r.m("connection_reused") == 0.0);

  r = runOne({{"url", server.url("/to-other")},
              {"headers", "Authorization: Bearer secret"},
              {"expect_body", "authorization absent"}});
  BOOST_TEST(r.error.empty(), r.error);  // the credential did not follow to the other origin
  BOOST_TEST(r.m("connections_opened") == 2.0);
  BOOST_TEST(r.text("final_url") == other.url("/echo"));
}

BOOST_AUTO_TEST_CASE(redirect_limits_and_bad_locations_fail_in_phase_redirect) {
  auto r = runOne({{"url", server.url("/loop")}, {"max_redirects", "3"}});
  BOOST_TEST(r.error == "redirect: more than 3 redirects (max_redirects); the last pointed to /loop");
  BOOST_TEST(r.m("redirects") == 3.0);
  BOOST_TEST(r.hops().size() == 4u);
  BOOST_TEST(r.text("failed_phase") == "redirect");
  BOOST_TEST(r.m("ttfb_ms") > 0.0);

  r = runOne({{"url", server.url("/bad-location")}});
  BOOST_TEST(contains(r.error, "redirect: bad Location 'gopher://old.example/': unsupported scheme"), r.error);

  // A 3xx without Location is a final response (what curl and browsers do).
  r = runOne({{"url", server.url("/no-location")}, {"expect_status", "302"}});
  BOOST_TEST(r.error.empty(), r.error);
}

BOOST_AUTO_TEST_CASE(not_following_makes_the_redirect_the_final_response) {
  auto r = runOne({{"url", server.url("/r1")}, {"follow_redirects", "false"}});
  BOOST_TEST(r.error == "status: got 302, expected 200-299");
  r = runOne({{"url", server.url("/r1")}, {"follow_redirects", "false"}, {"expect_status", "3xx"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("redirects") == 0.0);
}

BOOST_AUTO_TEST_CASE(changes_method_as_rfc_9110_says) {
  auto r = runOne({{"url", server.url("/see-other")},
                   {"method", "POST"},
                   {"body", "payload"},
                   {"headers", "Content-Type: text/plain"}});
  BOOST_TEST(r.error.empty(), r.error);
  auto q = server.requests().back();
  BOOST_TEST(q.method == "GET");
  BOOST_TEST(q.body.empty());
  BOOST_TEST(!q.header("Content-Type").has_value());

  r = runOne({{"url", server.url("/temporary")}, {"method", "POST"}, {"body", "payload"}});
  BOOST_TEST(r.error.empty(), r.error);
  q = server.requests().back();
  BOOST_TEST(q.method == "POST");
  BOOST_TEST(q.body == "payload");
}

BOOST_AUTO_TEST_CASE(decodes_gzip_and_deflate_and_reports_both_sizes) {
  auto r = runOne({{"url", server.url("/gzip")}, {"expect_body", "line 399: the quick brown fox"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_bytes") == static_cast<double>(gzip(lorem(400)).size()));
  BOOST_TEST(r.m("body_decoded_bytes") == static_cast<double>(lorem(400).size()));
  BOOST_TEST(r.hops()[0].at("content_encoding").as_string() == "gzip");

  r = runOne({{"url", server.url("/deflate")}, {"expect_regex", "line 49: the quick"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_decoded_bytes") == static_cast<double>(lorem(50).size()));
  BOOST_TEST(r.hops()[0].at("wire_bytes").as_int64() > static_cast<std::int64_t>(r.m("body_bytes")));

  // An encoding the probe does not decode: the size as sent, no decoded size.
  r = runOne({{"url", server.url("/br")}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(!r.has("body_decoded_bytes"));
  BOOST_TEST(r.m("body_bytes") == 17.0);

  // The user's own Accept-Encoding replaces the default.
  r = runOne({{"url", server.url("/echo")}, {"headers", "Accept-Encoding: identity"}});
  BOOST_TEST(server.requests().back().header("Accept-Encoding").value_or("") == "identity");
}

BOOST_AUTO_TEST_CASE(reads_chunked_close_delimited_http10_and_interim_responses) {
  auto r = runOne({{"url", server.url("/chunked")}, {"expect_body", "line 99"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_bytes") == static_cast<double>(lorem(100).size()));

  r = runOne({{"url", server.url("/until-close")}, {"expect_body", "line 9"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(!r.hops()[0].at("keep_alive").as_bool());

  r = runOne({{"url", server.url("/http10")}, {"expect_body", "old server"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("http_version") == 1.0);

  r = runOne({{"url", server.url("/early-hints")}, {"expect_body", "hints"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("status_code") == 200.0);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_fails_the_transfer) {
  auto r = runOne({{"url", server.url("/big")}, {"max_body_bytes", "10000"}});
  BOOST_TEST(r.error == "transfer: body exceeds max_body_bytes (10000)");
  BOOST_TEST(r.m("ttfb_ms") >= 0.0);
  BOOST_TEST(!r.has("transfer_ms"));
  r = runOne({{"url", server.url("/gzip")}, {"max_body_bytes", "5000"}});
  BOOST_TEST(r.error == "transfer: decoded body exceeds 5000 bytes");
}

BOOST_AUTO_TEST_CASE(failures_name_the_phase_and_keep_earlier_timings) {
  const auto port = closedPort();
  auto r = runOne({{"url", "http://127.0.0.1:" + std::to_string(port) + "/"}});
  BOOST_TEST(r.error == "connect: connection refused (127.0.0.1:" + std::to_string(port) + ")");
  BOOST_TEST(r.has("dns_ms"));
  BOOST_TEST(!r.has("connect_ms"));
  BOOST_TEST(r.m("connections_opened") == 0.0);
  BOOST_TEST(r.text("failed_phase") == "connect");

  r = runOne({{"url", server.url("/empty-reply")}});
  BOOST_TEST(r.error == "ttfb: connection closed before the first response byte");
  BOOST_TEST(r.has("request_ms"));
  BOOST_TEST(!r.has("ttfb_ms"));

  r = runOne({{"url", server.url("/short-body")}});
  BOOST_TEST(contains(r.error, "transfer: "), r.error);
  BOOST_TEST(r.has("ttfb_ms"));

  r = runOne({{"url", server.url("/not-http")}});
  BOOST_TEST(contains(r.error, "transfer: bad response header"), r.error);
}

BOOST_AUTO_TEST_CASE(a_timeout_fails_the_phase_in_progress_on_time) {
  std::chrono::nanoseconds elapsed{};
  auto results = runProbe({{"url", server.url("/hang")}, {"timeout", "300ms"}}, &elapsed);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  auto r = results.front();
  BOOST_TEST(r.error == "ttfb: timeout after 300ms");
  BOOST_TEST(r.has("connect_ms"));
  BOOST_TEST(r.has("request_ms"));
  BOOST_TEST(!r.has("ttfb_ms"));
  // The timer cannot fire early; 2 s is far below the 3 s the server would take.
  BOOST_TEST(r.m("total_ms") >= 300.0);
  BOOST_TEST(elapsed < 2s);

  r = runOne({{"url", server.url("/hang-body")}, {"timeout", "500ms"}});
  BOOST_TEST(r.error == "transfer: timeout after 500ms");
  BOOST_TEST(r.has("ttfb_ms"));
}

BOOST_AUTO_TEST_CASE(probes_several_targets_concurrently) {
  const std::vector<std::string> urls{server.url("/slow"), server.url("/slow?2"), server.url("/slow?3"),
                                      server.url("/slow?4")};
  std::string targets;
  for (const auto& u : urls) targets += (targets.empty() ? "" : ",") + u;
  std::chrono::nanoseconds elapsed{};
  const auto results = runProbe({{"targets", targets}}, &elapsed);
  BOOST_TEST_REQUIRE(results.size() == 4u);
  std::set<std::string> seen;
  for (const auto& r : results) {
    BOOST_TEST(r.error.empty(), r.error);
    BOOST_TEST(r.m("ttfb_ms") >= 300.0);
    seen.insert(r.target);
  }
  BOOST_TEST(seen.size() == 4u);
  // One after another they would take 1.2 s; together, about 0.3 s.
  BOOST_TEST(elapsed < 1000ms);

  const auto sequential = runProbe({{"targets", targets}, {"concurrency", "1"}}, &elapsed);
  BOOST_TEST(sequential.size() == 4u);
  BOOST_TEST(elapsed >= 1200ms);
}

BOOST_AUTO_TEST_CASE(a_cancelled_run_returns_promptly) {
  auto probe = streamswarm::testing::makeProbe<streamswarm::http_timing::HttpTimingProbe>(
      {{"url", server.url("/hang")}, {"timeout", "10s"}});
  streamswarm::testing::FakeHost host;
  host.cancel();
  const auto started = std::chrono::steady_clock::now();
  auto h = host.host();
  probe.run(h);
  BOOST_TEST((std::chrono::steady_clock::now() - started) < 2s);
  BOOST_TEST(host.results().empty());
  // The instance is still usable for the next run.
  streamswarm::testing::FakeHost next;
  auto again = streamswarm::testing::makeProbe<streamswarm::http_timing::HttpTimingProbe>({{"url", server.url("/ok")}});
  auto n = next.host();
  again.run(n);
  BOOST_TEST(next.results().size() == 1u);
}

BOOST_AUTO_TEST_CASE(ipv6_and_names) {
  HttpTestServer v6("::1");
  v6.route("/ok", [](const HttpTestRequest&) { return text("over ipv6\n"); });
  auto r = runOne({{"url", v6.url("/ok")}, {"expect_body", "over ipv6"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.hops()[0].at("remote_address").as_string() == "::1");

  r = runOne({{"url", v6.url("/ok")}, {"ip_family", "ipv6"}});
  BOOST_TEST(r.error.empty(), r.error);

  // "localhost" goes through getaddrinfo (the system resolver).
  r = runOne({{"url", "http://localhost:" + std::to_string(server.port()) + "/ok"}, {"ip_family", "ipv4"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("dns_ms") > 0.0);
  BOOST_TEST(v6.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(tcp_and_dns_modes) {
  auto r = runOne({{"mode", "tcp"}, {"targets", server.hostPort()}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.has("connect_ms"));
  BOOST_TEST(!r.has("ttfb_ms"));
  BOOST_TEST(r.doc.at("remote_address").as_string() == "127.0.0.1");
  BOOST_TEST(r.m("total_ms") >= r.m("connect_ms"));

  r = runOne({{"mode", "tcp"}, {"targets", "127.0.0.1:" + std::to_string(closedPort())}});
  BOOST_TEST(contains(r.error, "connect: connection refused"), r.error);

  r = runOne({{"mode", "dns"}, {"targets", "localhost"}, {"ip_family", "ipv4"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("addresses") >= 1.0);
  bool loopback = false;
  for (const auto& a : r.doc.at("addresses").as_array()) loopback = loopback || a.as_string() == "127.0.0.1";
  BOOST_TEST(loopback);
}

BOOST_AUTO_TEST_SUITE_END()

#define BOOST_TEST_MODULE http_client
// The agent's HTTP client against a scripted loopback server (tests/support/http_test_server.hpp):
// keep-alive reuse, the retry of a request that finds its kept-alive connection closed, timeouts,
// and TLS verification (CA file, host name and IP checks) with certificates made by the test.
#include "core/http_client.hpp"
#include "core/error.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_pki.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;
namespace ts = streamswarm::testsupport;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

struct Client {
  boost::asio::io_context io;
  std::shared_ptr<HttpClient> client;

  explicit Client(const std::string& url, std::shared_ptr<boost::asio::ssl::context> tls = nullptr) {
    std::string error;
    const auto u = parseServerUrl(url, error);
    BOOST_REQUIRE_MESSAGE(u, error);
    client = std::make_shared<HttpClient>(io, *u, std::move(tls), "streamswarm-agent/test");
  }

  HttpResponse call(http::verb method, const std::string& target, std::string body = {},
                    std::chrono::milliseconds timeout = 5s) {
    std::optional<HttpResponse> out;
    client->request(method, target, std::move(body), timeout, [&](HttpResponse r) { out = std::move(r); });
    io.restart();
    while (!out && io.run_one() > 0) {
    }
    BOOST_REQUIRE(out);
    return *out;
  }
};

ts::HttpTestResponse text(unsigned status, std::string body) {
  ts::HttpTestResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(requests_share_one_kept_alive_connection) {
  ts::HttpTestServer server;
  server.route("/api/echo", [](const ts::HttpTestRequest& r) { return text(200, r.method + " " + r.body); });
  Client c(server.url());
  c.client->setBearer("ssa_ag-1_ff");
  for (int i = 0; i < 3; ++i) {
    const auto r = c.call(http::verb::post, "/api/echo?x=1", "{\"i\":" + std::to_string(i) + "}");
    BOOST_TEST(r.error == "");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == "POST {\"i\":" + std::to_string(i) + "}");
  }
  BOOST_TEST(c.call(http::verb::get, "/api/echo").body == "GET ");
  BOOST_TEST(server.connections() == 1u);
  const auto requests = server.requests();
  BOOST_TEST(*requests[0].header("Authorization") == "Bearer ssa_ag-1_ff");
  BOOST_TEST(*requests[0].header("Host") == server.hostPort());
  BOOST_TEST(*requests[0].header("Content-Type") == "application/json");
  BOOST_TEST(*requests[0].header("User-Agent") == "streamswarm-agent/test");
}

BOOST_AUTO_TEST_CASE(error_statuses_are_responses_not_transport_failures) {
  ts::HttpTestServer server;
  server.route("/busy", [](const ts::HttpTestRequest&) { return text(503, R"({"error":"busy"})"); });
  Client c(server.url());
  const auto r = c.call(http::verb::post, "/busy", "{}");
  BOOST_TEST(!r.transportFailed());
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(r.body == R"({"error":"busy"})");
  BOOST_TEST(c.call(http::verb::get, "/nowhere").status == 404u);
  BOOST_TEST(server.connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_meanwhile_is_replaced_once) {
  ts::HttpTestServer server;
  // Claims keep-alive, then closes: the next request finds a dead connection.
  server.route("/flaky", [](const ts::HttpTestRequest&) {
    ts::HttpTestResponse r;
    r.raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    return r;
  });
  server.route("/ok", [](const ts::HttpTestRequest&) { return text(200, "fine"); });
  Client c(server.url());
  BOOST_TEST(c.call(http::verb::get, "/flaky").body == "ok");
  std::this_thread::sleep_for(50ms);  // the close reaches the client side first, as with an idle timeout
  const auto r = c.call(http::verb::post, "/ok", "{}");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.body == "fine");
  BOOST_TEST(server.connections() == 2u);
}

BOOST_AUTO_TEST_CASE(timeouts_and_refused_connections_are_transport_failures) {
  ts::HttpTestServer server;
  server.route("/slow", [](const ts::HttpTestRequest&) {
    auto r = text(200, "late");
    r.firstByteDelay = 3s;
    return r;
  });
  Client c(server.url());
  const auto start = std::chrono::steady_clock::now();
  const auto r = c.call(http::verb::get, "/slow", {}, 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.transportFailed());
  BOOST_TEST(r.error.find("timed out") != std::string::npos, r.error);
  // The 3 s reply is not waited for; 2 s leaves room for a loaded machine.
  BOOST_TEST(took < 2s);

  std::string refusedUrl;
  {
    ts::HttpTestServer gone;
    refusedUrl = gone.url();
  }
  Client refused(refusedUrl);
  const auto e = refused.call(http::verb::get, "/");
  BOOST_TEST(e.transportFailed());
  BOOST_TEST(e.error.find("connect to http://127.0.0.1:") == 0u, e.error);
}

BOOST_AUTO_TEST_CASE(tls_verifies_the_server_against_the_ca_file_by_name_and_address) {
  ts::TempDir dir;
  ts::TestPki pki(dir.path());
  const auto good = pki.issue("good", {"localhost"}, {"127.0.0.1"}, -1h, 24h);
  ts::HttpTestServer server("127.0.0.1", ts::HttpTestServer::TlsFiles{good.chainFile.string(), good.keyFile.string()});
  server.route("/hello", [](const ts::HttpTestRequest&) { return text(200, "secure"); });
  const auto port = std::to_string(server.port());
  const auto ca = makeTlsContext(pki.rootFile());

  Client byAddress("https://127.0.0.1:" + port, ca);
  auto r = byAddress.call(http::verb::get, "/hello");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.body == "secure");
  BOOST_TEST(byAddress.call(http::verb::get, "/hello").body == "secure");
  BOOST_TEST(server.connections() == 1u);  // kept alive through TLS too

  Client byName("https://localhost:" + port, ca);
  r = byName.call(http::verb::get, "/hello");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.body == "secure");

  // The system store does not know the test CA.
  Client untrusted("https://127.0.0.1:" + port, makeTlsContext(std::nullopt));
  r = untrusted.call(http::verb::get, "/hello");
  BOOST_TEST(r.error.find("TLS handshake with https://127.0.0.1:" + port) == 0u, r.error);
  BOOST_TEST(r.error.find("certificate verify failed") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(tls_refuses_a_certificate_for_another_host_or_an_expired_one) {
  ts::TempDir dir;
  ts::TestPki pki(dir.path());
  const auto ca = makeTlsContext(pki.rootFile());
  const auto other = pki.issue("other", {"other.example"}, {"10.0.0.1"}, -1h, 24h);
  const auto expired = pki.issue("expired", {"localhost"}, {"127.0.0.1"}, -48h, -24h);
  for (const auto& issued : {other, expired}) {
    ts::HttpTestServer server("127.0.0.1",
                              ts::HttpTestServer::TlsFiles{issued.chainFile.string(), issued.keyFile.string()});
    server.route("/hello", [](const ts::HttpTestRequest&) { return text(200, "secure"); });
    for (const auto* host : {"127.0.0.1", "localhost"}) {
      Client c("https://" + std::string(host) + ":" + std::to_string(server.port()), ca);
      const auto r = c.call(http::verb::get, "/hello");
      BOOST_TEST(r.transportFailed(), issued.certFile << " accepted for " << host);
      BOOST_TEST(r.error.find("certificate verify failed") != std::string::npos, r.error);
    }
    BOOST_TEST(server.requests().empty());
  }
}

BOOST_AUTO_TEST_CASE(a_ca_file_that_is_not_one_is_named) {
  ts::TempDir dir;
  ts::writeFile(dir / "ca.pem", "not a certificate\n");
  try {
    makeTlsContext(dir / "ca.pem");
    BOOST_FAIL("no error");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find((dir / "ca.pem").string() + ": cannot load the CA certificates") == 0u,
               e.what());
  }
}

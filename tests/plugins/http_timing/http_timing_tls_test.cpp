// HttpTimingProbe against HTTPS servers started here with a certificate chain made here (root CA,
// intermediate CA, leaves: valid, expired, for another host): protocol, cipher, certificate fields
// and expiry of leaf and chain, verification against ca_file or the system store, hostname checks,
// insecure_skip_verify, connection reuse and http -> https redirects.
#define BOOST_TEST_MODULE http_timing_tls
#include <boost/test/unit_test.hpp>

#include "probe_run.hpp"
#include "zlib_compress.hpp"

#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_pki.hpp"

using namespace http_timing_test;
using streamswarm::testsupport::HttpTestRequest;
using streamswarm::testsupport::HttpTestResponse;
using streamswarm::testsupport::HttpTestServer;
using streamswarm::testsupport::TempDir;
using streamswarm::testsupport::TestPki;
using namespace std::chrono_literals;

namespace {

constexpr auto kDay = std::chrono::hours(24);
// The intermediate expires before the leaf, so the chain's earliest expiry is not the leaf's.
constexpr auto kIntermediateLife = 20 * kDay;
constexpr auto kLeafLife = 40 * kDay;
// Expiry days are computed from the run's wall clock, a few seconds after the certificates were
// made: a hundredth of a day is 14 minutes.
constexpr double kDaysTolerance = 0.01;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

HttpTestServer::TlsFiles files(const TestPki::Issued& leaf) {
  return {leaf.chainFile.string(), leaf.keyFile.string()};
}

void routes(HttpTestServer& s) {
  s.route("/ok", [](const HttpTestRequest&) {
    HttpTestResponse r;
    r.body = "secure hello\n";
    return r;
  });
  s.route("/hop", [](const HttpTestRequest&) {
    HttpTestResponse r;
    r.status = 302;
    r.headers = {{"Location", "/ok"}};
    return r;
  });
  s.route("/gzip-until-close", [](const HttpTestRequest&) {
    HttpTestResponse r;
    r.body = gzip(std::string(20000, 'a') + "tail");
    r.headers = {{"Content-Encoding", "gzip"}};
    r.lengthByClose = true;
    return r;
  });
}

struct Pki {
  TempDir dir;
  TestPki pki{dir.path(), 3650 * kDay, kIntermediateLife};
  TestPki::Issued good = pki.issue("good", {"localhost"}, {"127.0.0.1", "::1"}, -1h, kLeafLife);
  TestPki::Issued expired = pki.issue("expired", {"localhost"}, {"127.0.0.1"}, -30 * kDay, -2 * kDay);
  TestPki::Issued wrongHost = pki.issue("wrong-host", {"wrong.example"}, {}, -1h, kLeafLife);
  HttpTestServer goodServer{"127.0.0.1", files(good)};
  HttpTestServer expiredServer{"127.0.0.1", files(expired)};
  HttpTestServer wrongHostServer{"127.0.0.1", files(wrongHost)};
  HttpTestServer plain;
  std::string ca = pki.rootFile().string();

  Pki() {
    routes(goodServer);
    routes(expiredServer);
    routes(wrongHostServer);
    routes(plain);
    plain.route("/upgrade", [this](const HttpTestRequest&) {
      HttpTestResponse r;
      r.status = 301;
      r.headers = {{"Location", localhost(goodServer, "/ok")}};
      return r;
    });
  }

  static std::string localhost(const HttpTestServer& s, const std::string& path) {
    return "https://localhost:" + std::to_string(s.port()) + path;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls, Pki)

BOOST_AUTO_TEST_CASE(reports_protocol_cipher_certificates_and_expiry) {
  const auto r = runOne({{"url", localhost(goodServer, "/ok")}, {"ca_file", ca}, {"expect_body", "secure hello"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("tls_ms") > 0.0);
  BOOST_TEST(r.m("tls.version") == 1.3);
  BOOST_TEST(r.m("tls.verified") == 1.0);
  BOOST_TEST(r.m("tls.hostname_verified") == 1.0);
  BOOST_TEST(std::abs(r.m("tls.leaf_expiry_days") - 40.0) < kDaysTolerance);
  BOOST_TEST(std::abs(r.m("tls.chain_expiry_days") - 20.0) < kDaysTolerance);

  const auto& t = r.doc.at("tls").as_object();
  BOOST_TEST(t.at("version").as_string() == "TLSv1.3");
  BOOST_TEST(!t.at("cipher").as_string().empty());
  BOOST_TEST(t.at("sni").as_string() == "localhost");
  BOOST_TEST(t.at("trust_store").as_string() == ca);
  BOOST_TEST(t.at("verified").as_bool());
  BOOST_TEST(!t.contains("verify_error"));
  const auto& leaf = t.at("leaf").as_object();
  BOOST_TEST(leaf.at("subject").as_string() == "CN=localhost,O=StreamSwarm Tests");
  BOOST_TEST(leaf.at("issuer").as_string() == "CN=StreamSwarm Test Intermediate CA,O=StreamSwarm Tests");
  const auto& sans = leaf.at("sans").as_array();
  BOOST_TEST_REQUIRE(sans.size() == 3u);
  BOOST_TEST(sans[0].as_string() == "DNS:localhost");
  BOOST_TEST(sans[1].as_string() == "IP:127.0.0.1");
  BOOST_TEST(sans[2].as_string() == "IP:::1");
  const auto& chain = t.at("chain").as_array();
  BOOST_TEST_REQUIRE(chain.size() == 2u);
  BOOST_TEST(chain[1].at("subject").as_string() == "CN=StreamSwarm Test Intermediate CA,O=StreamSwarm Tests");
  BOOST_TEST(std::abs(number(chain[1].at("expiry_days")) - 20.0) < kDaysTolerance);
}

BOOST_AUTO_TEST_CASE(verifies_ip_literals_against_ip_sans_without_sni) {
  const auto r = runOne({{"url", goodServer.url("/ok")}, {"ca_file", ca}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.doc.at("tls").at("sni").as_string() == "");
  BOOST_TEST(r.m("tls.hostname_verified") == 1.0);

  HttpTestServer v6("::1", files(good));
  routes(v6);
  const auto r6 = runOne({{"url", v6.url("/ok")}, {"ca_file", ca}});
  BOOST_TEST(r6.error.empty(), r6.error);
  BOOST_TEST(r6.m("tls.verified") == 1.0);
}

BOOST_AUTO_TEST_CASE(an_expired_certificate_fails_in_phase_tls_with_the_reason) {
  const auto r = runOne({{"url", localhost(expiredServer, "/ok")}, {"ca_file", ca}});
  BOOST_TEST(r.error == "tls: certificate verify failed: certificate has expired");
  BOOST_TEST(r.text("failed_phase") == "tls");
  BOOST_TEST(r.m("tls.verified") == 0.0);
  BOOST_TEST(std::abs(r.m("tls.leaf_expiry_days") + 2.0) < kDaysTolerance);
  BOOST_TEST(r.has("dns_ms"));
  BOOST_TEST(r.has("connect_ms"));
  BOOST_TEST(r.has("tls_ms"));
  BOOST_TEST(!r.has("request_ms"));
  BOOST_TEST(r.doc.at("tls").at("verify_error").as_string() == "certificate has expired");
  BOOST_TEST(r.doc.at("tls").at("verify_error_depth").as_int64() == 0);
  BOOST_TEST(expiredServer.requests().empty());  // nothing was sent over the untrusted connection
}

BOOST_AUTO_TEST_CASE(insecure_skip_verify_reports_without_failing) {
  const auto r = runOne({{"url", localhost(expiredServer, "/ok")}, {"ca_file", ca}, {"insecure_skip_verify", "true"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("success") == 1.0);
  BOOST_TEST(r.m("tls.verified") == 0.0);
  BOOST_TEST(r.doc.at("tls").at("verification_skipped").as_bool());
  BOOST_TEST(r.doc.at("tls").at("verify_error").as_string() == "certificate has expired");
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_fails_hostname_verification) {
  const auto r = runOne({{"url", localhost(wrongHostServer, "/ok")}, {"ca_file", ca}});
  BOOST_TEST(r.error == "tls: certificate verify failed: certificate is not valid for 'localhost' (hostname mismatch)");
  BOOST_TEST(r.m("tls.hostname_verified") == 0.0);
  BOOST_TEST(r.doc.at("tls").at("chain_verified").as_bool());
  BOOST_TEST(r.doc.at("tls").at("leaf").at("sans").as_array().at(0).as_string() == "DNS:wrong.example");
}

BOOST_AUTO_TEST_CASE(the_system_store_does_not_trust_the_test_root) {
  const auto r = runOne({{"url", localhost(goodServer, "/ok")}});
  BOOST_TEST(contains(r.error, "tls: certificate verify failed: unable to get local issuer certificate"), r.error);
  BOOST_TEST(r.doc.at("tls").at("trust_store").as_string() == "system");
}

BOOST_AUTO_TEST_CASE(a_redirect_to_the_same_origin_reuses_the_tls_connection) {
  const auto r = runOne({{"url", localhost(goodServer, "/hop")}, {"ca_file", ca}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("connections_opened") == 1.0);
  BOOST_TEST(r.m("connection_reused") == 1.0);
  BOOST_TEST(r.m("tls.verified") == 1.0);
  BOOST_TEST(r.hops().at(0).as_object().contains("tls"));
  BOOST_TEST(!r.hops().at(1).at("timings_ms").as_object().contains("tls"));
}

BOOST_AUTO_TEST_CASE(follows_http_to_https) {
  const auto r = runOne({{"url", plain.url("/upgrade")}, {"ca_file", ca}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("redirects") == 1.0);
  BOOST_TEST(r.m("connections_opened") == 2.0);
  BOOST_TEST(r.has("tls_ms"));
  BOOST_TEST(r.m("tls.verified") == 1.0);
  BOOST_TEST(!r.hops().at(0).as_object().contains("tls"));
}

BOOST_AUTO_TEST_CASE(reads_a_body_that_ends_with_the_tls_connection) {
  const auto r =
      runOne({{"url", localhost(goodServer, "/gzip-until-close")}, {"ca_file", ca}, {"expect_body", "aatail"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("body_decoded_bytes") == 20004.0);
}

BOOST_AUTO_TEST_CASE(tls_to_a_plain_server_fails_the_handshake) {
  const auto r = runOne({{"url", "https://127.0.0.1:" + std::to_string(plain.port()) + "/ok"}, {"ca_file", ca}});
  BOOST_TEST(contains(r.error, "tls: "), r.error);
  BOOST_TEST(r.has("connect_ms"));
  BOOST_TEST(!r.has("tls_ms"));
}

BOOST_AUTO_TEST_SUITE_END()

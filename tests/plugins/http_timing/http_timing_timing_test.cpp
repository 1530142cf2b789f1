// The phases of http and https probes against injected delays and against curl -w on the same
// server in the same test; timing_check.hpp describes the server, the checks and the tolerance.
#define BOOST_TEST_MODULE http_timing_timing
#include <boost/test/unit_test.hpp>

#include "timing_check.hpp"

#include "tests/support/process.hpp"
#include "tests/support/test_pki.hpp"

using namespace http_timing_test;
using streamswarm::testsupport::TempDir;
using streamswarm::testsupport::TestPki;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(http_phases_match_the_injected_delays_and_curl) {
  HttpTestServer server;
  timedRoute(server);
  requireWithinTolerance(server, "http://localhost:" + std::to_string(server.port()) + "/timed", {}, {}, {});
}

BOOST_AUTO_TEST_CASE(https_phases_match_the_injected_delays_and_curl) {
  TempDir dir;
  TestPki pki(dir.path());
  const auto leaf = pki.issue("timed", {"localhost"}, {"127.0.0.1"}, -1h, std::chrono::hours(24 * 30));
  HttpTestServer server("127.0.0.1", HttpTestServer::TlsFiles{leaf.chainFile.string(), leaf.keyFile.string()});
  timedRoute(server);
  requireWithinTolerance(server, "https://localhost:" + std::to_string(server.port()) + "/timed",
                         {"--cacert", pki.rootFile().string()}, {{"ca_file", pki.rootFile().string()}}, {.tls = true});
}

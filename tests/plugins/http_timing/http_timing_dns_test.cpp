// Name resolution through the system resolver (getaddrinfo), hermetically: the test moves itself
// into new network and mount namespaces (needs root; skipped otherwise), brings up loopback, points
// /etc/resolv.conf at a DNS server it runs on 127.0.0.1:53 there (fake_dns_server.hpp), and so can
// make NXDOMAIN, slow answers and IPv6-only names without any traffic leaving the namespace.
// The full https probe of a name that takes 200 ms to resolve is compared with the injected delays
// and with curl (timing_check.hpp has the tolerance and why).
#define BOOST_TEST_MODULE http_timing_dns
#include <boost/test/unit_test.hpp>

#include "fake_dns_server.hpp"
#include "probe_run.hpp"
#include "timing_check.hpp"

#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_pki.hpp"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

using namespace http_timing_test;
using streamswarm::testsupport::HttpTestServer;
using streamswarm::testsupport::TempDir;
using streamswarm::testsupport::TestPki;
using namespace std::chrono_literals;
namespace ts = streamswarm::testsupport;

namespace {

constexpr auto kSlowDns = 200ms;
constexpr auto kSlowerDns = 1500ms;

std::string failed(const std::string& step) {
  return step + ": " + std::strerror(errno);
}

bool loopbackUp() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  request.ifr_flags |= IFF_UP;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  ::close(fd);
  return ok;
}

// Moves the process into new network and mount namespaces with loopback up and resolv.conf
// pointing at 127.0.0.1; returns why not, or empty.
std::string enterPrivateNetwork(const TempDir& files) {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return failed("unshare(CLONE_NEWNET | CLONE_NEWNS) (needs root)");
  // Mounts made here must not propagate back to the host's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return failed("making / private");
  if (!loopbackUp()) return failed("bringing up lo");
  ts::writeFile(files / "resolv.conf", "nameserver 127.0.0.1\noptions timeout:5 attempts:1\n");
  if (::mount((files / "resolv.conf").c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0)
    return failed("bind-mounting resolv.conf");
  return {};
}

// Set up once, before any test and any thread: unshare() of the mount namespace needs a
// single-threaded process, and every thread and child started later inherits both namespaces.
struct PrivateNetwork {
  static inline std::unique_ptr<TempDir> files;
  static inline std::string why = "not set up";

  PrivateNetwork() {
    files = std::make_unique<TempDir>();
    why = enterPrivateNetwork(*files);
  }
  static bool ready() { return why.empty(); }
};
BOOST_TEST_GLOBAL_FIXTURE(PrivateNetwork);

boost::test_tools::assertion_result inPrivateNetwork(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(PrivateNetwork::ready());
  r.message() << "no private network namespace: " << PrivateNetwork::why;
  return r;
}

struct Dns {
  FakeDnsServer dns;
  Dns() {
    dns.add("app.test", {{"127.0.0.1"}, {"::1"}, 0ms});
    dns.add("slow.test", {{"127.0.0.1"}, {}, kSlowDns});
    dns.add("slower.test", {{"127.0.0.1"}, {}, kSlowerDns});
    dns.add("v6only.test", {{}, {"::1"}, 0ms});
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(dns, Dns, *boost::unit_test::precondition(inPrivateNetwork))

BOOST_AUTO_TEST_CASE(nxdomain_fails_in_phase_dns) {
  auto r = runOne({{"url", "http://missing.test/"}});
  BOOST_TEST(contains(r.error, "dns: cannot resolve 'missing.test': host not found"), r.error);
  BOOST_TEST(r.text("failed_phase") == "dns");
  BOOST_TEST(!r.has("dns_ms"));
  BOOST_TEST(r.has("total_ms"));
  BOOST_TEST(dns.queries() > 0);

  r = runOne({{"mode", "dns"}, {"targets", "missing.test"}});
  BOOST_TEST(contains(r.error, "dns: cannot resolve 'missing.test'"), r.error);
  BOOST_TEST(r.m("success") == 0.0);
}

BOOST_AUTO_TEST_CASE(dns_mode_lists_the_addresses_of_the_family_asked_for) {
  auto r = runOne({{"mode", "dns"}, {"targets", "app.test"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.m("addresses") == 2.0);
  std::set<std::string> addresses;
  for (const auto& a : r.doc.at("addresses").as_array()) addresses.insert(std::string(a.as_string()));
  BOOST_TEST((addresses == std::set<std::string>{"127.0.0.1", "::1"}));

  r = runOne({{"mode", "dns"}, {"targets", "app.test"}, {"ip_family", "ipv6"}});
  BOOST_TEST(r.m("addresses") == 1.0);
  BOOST_TEST(r.doc.at("addresses").as_array().at(0).as_string() == "::1");
}

BOOST_AUTO_TEST_CASE(ip_family_decides_where_to_connect) {
  HttpTestServer v6("::1");
  v6.route("/ok", [](const auto&) {
    streamswarm::testsupport::HttpTestResponse r;
    r.body = "v6\n";
    return r;
  });
  const auto url = "http://v6only.test:" + std::to_string(v6.port()) + "/ok";
  auto r = runOne({{"url", url}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.hops().at(0).at("remote_address").as_string() == "::1");
  r = runOne({{"url", url}, {"ip_family", "ipv4"}});
  BOOST_TEST(contains(r.error, "dns: cannot resolve 'v6only.test'"), r.error);

  // app.test has both: with ipv4 the probe must not try ::1 (where nothing listens on that port).
  HttpTestServer v4;
  v4.route("/ok", [](const auto&) { return streamswarm::testsupport::HttpTestResponse{}; });
  r = runOne({{"url", "http://app.test:" + std::to_string(v4.port()) + "/ok"}, {"ip_family", "ipv4"}});
  BOOST_TEST(r.error.empty(), r.error);
  BOOST_TEST(r.hops().at(0).at("connect_attempts").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_slow_resolver_times_out_on_time) {
  std::chrono::nanoseconds elapsed{};
  const auto results = runProbe({{"url", "http://slower.test/"}, {"timeout", "300ms"}}, &elapsed);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  BOOST_TEST(results[0].error == "dns: timeout after 300ms");
  BOOST_TEST(results[0].m("total_ms") >= 300.0);
  // getaddrinfo itself cannot be interrupted and returns only after 1.5 s; the probe does not wait.
  BOOST_TEST(elapsed < 1200ms);
}

BOOST_AUTO_TEST_CASE(a_slow_name_and_server_match_the_injected_delays_and_curl) {
  TempDir dir;
  TestPki pki(dir.path());
  const auto leaf = pki.issue("slow", {"slow.test"}, {}, -1h, std::chrono::hours(24 * 30));
  HttpTestServer server("127.0.0.1", HttpTestServer::TlsFiles{leaf.chainFile.string(), leaf.keyFile.string()});
  timedRoute(server);
  requireWithinTolerance(server, "https://slow.test:" + std::to_string(server.port()) + "/timed",
                         {"--cacert", pki.rootFile().string()}, {{"ca_file", pki.rootFile().string()}},
                         {.tls = true, .dnsMs = 200});
}

BOOST_AUTO_TEST_SUITE_END()

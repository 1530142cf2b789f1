// Checks of measured phases against delays a test injects and against curl -w on the same server
// in the same test: a server that waits 300 ms before the first byte, then trickles the body in 4
// pieces 100 ms apart (and, in the namespace test, a DNS server that answers after 200 ms).
//
// Tolerance: 30 ms on every figure, with up to 3 attempts. Both clients see the same server
// events (its timers), and on loopback the network adds well under a millisecond, so an exact
// measurement agrees with the injected delay and with curl to within a millisecond or two. What
// is left is scheduling: the test machines are shared (2 cores, other builds running), and a
// process that is ready may wait a scheduler slice or more before it reads its clock (we see up
// to ~20 ms under load). 30 ms is under a third of the shortest injected step (100 ms), so a phase
// boundary put in the wrong place (a missed or double-counted step) fails every attempt, while a
// single noisy run does not fail the test. Noise only ever adds to a difference, so passing once
// in 3 attempts is a pass. README.md states the same.
#pragma once

#include "curl_timing.hpp"
#include "probe_run.hpp"

#include "tests/support/http_test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace http_timing_test {

using namespace std::chrono_literals;
using streamswarm::testsupport::HttpTestRequest;
using streamswarm::testsupport::HttpTestResponse;
using streamswarm::testsupport::HttpTestServer;

constexpr double kToleranceMs = 30;
constexpr int kAttempts = 3;
constexpr auto kFirstByteDelay = 300ms;
constexpr std::size_t kTrickleChunks = 4;
constexpr auto kTrickleInterval = 100ms;
constexpr double kFirstByteMs = 300;
constexpr double kTransferMs = kTrickleChunks * 100.0;

inline double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

inline void timedRoute(HttpTestServer& s) {
  s.route("/timed", [](const HttpTestRequest&) {
    HttpTestResponse r;
    r.body = std::string(4000, 't');
    r.firstByteDelay = kFirstByteDelay;
    r.trickleChunks = kTrickleChunks;
    r.trickleInterval = kTrickleInterval;
    return r;
  });
}

class Problems {
 public:
  void between(const std::string& what, double value, double low, double high) {
    if (value < low || value > high)
      add(what + " = " + std::to_string(value) + " ms, expected " + std::to_string(low) + ".." + std::to_string(high));
  }
  void near(const std::string& what, double ours, double theirs) {
    if (std::abs(ours - theirs) > kToleranceMs)
      add(what + ": ours " + std::to_string(ours) + " ms, curl " + std::to_string(theirs) + " ms");
  }
  void add(const std::string& p) { list_ += "\n  " + p; }
  bool empty() const { return list_.empty(); }
  const std::string& text() const { return list_; }

 private:
  std::string list_;
};

// What a probe of the /timed route is checked against, besides curl.
struct Expected {
  bool tls = false;
  double dnsMs = 0;  // the DNS server's delay; 0: resolution is local (/etc/hosts)
};

// One measurement by each client; the problems found, empty when everything is within tolerance.
inline Problems measure(const HttpTestServer& server, const std::string& url, const std::vector<std::string>& curlArgs,
                        const OptionMap& extra, Expected expected) {
  OptionMap options = extra;
  options["url"] = url;
  const auto ours = runOne(options);
  Problems p;
  if (!ours.error.empty()) {
    p.add("probe failed: " + ours.error);
    return p;
  }
  const double think = ms(server.requests().back().think);
  const auto theirs = curlTimings(url, curlArgs);

  // Against the injected delays. A timer never fires early, so what spans a whole delay from a
  // moment before the request left (the hop's start) is at least that delay; a single phase can
  // come out short by as much as its start mark was late, hence the tolerance on both sides.
  const auto sums = phaseSums(ours);
  p.between("dns_ms", ours.m("dns_ms"), expected.dnsMs, expected.dnsMs + kToleranceMs);
  p.between("connect_ms", ours.m("connect_ms"), 0, kToleranceMs);
  if (expected.tls) p.between("tls_ms", ours.m("tls_ms"), 0, kToleranceMs);
  p.between("request_ms", ours.m("request_ms"), 0, kToleranceMs);
  p.between("ttfb_ms", ours.m("ttfb_ms"), kFirstByteMs - kToleranceMs, kFirstByteMs + kToleranceMs);
  p.between("transfer_ms", ours.m("transfer_ms"), kTransferMs - kToleranceMs, kTransferMs + kToleranceMs);
  const double before = expected.dnsMs + kFirstByteMs;
  p.between("start to first byte", sums.starttransfer, before, before + kToleranceMs);
  p.between("total_ms", ours.m("total_ms"), before + kTransferMs, before + kTransferMs + kToleranceMs);
  p.between("server think time", think, kFirstByteMs, kFirstByteMs + kToleranceMs);
  p.between("ttfb_ms - server think time", ours.m("ttfb_ms") - think, -kToleranceMs, kToleranceMs);

  // Against curl, point by point.
  p.near("namelookup", sums.namelookup, theirs.namelookup);
  p.near("connect", sums.connect, theirs.connect);
  p.near("appconnect", sums.appconnect, theirs.appconnect);
  p.near("starttransfer", sums.starttransfer, theirs.starttransfer);
  p.near("total", sums.total, theirs.total);
  BOOST_TEST_MESSAGE(url << "\n  ours: " << describe(sums) << "\n  curl: " << describe(theirs) << "\n  server think "
                         << think << " ms");
  return p;
}

inline void requireWithinTolerance(const HttpTestServer& server, const std::string& url,
                                   const std::vector<std::string>& curlArgs, const OptionMap& extra,
                                   Expected expected) {
  std::string seen;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    const auto p = measure(server, url, curlArgs, extra, expected);
    if (p.empty()) return;
    seen += "\nattempt " + std::to_string(attempt) + ":" + p.text();
    BOOST_TEST_MESSAGE("attempt " << attempt << " is outside the tolerance:" << p.text());
  }
  BOOST_ERROR("timings outside " << kToleranceMs << " ms in all " << kAttempts << " attempts:" << seen);
}

}  // namespace http_timing_test

#define BOOST_TEST_MODULE ping_probe
// The ping probe end to end on a simulated network (no sockets, no clock): what each target's
// result says about replies, losses, duplicates, ICMP errors, refused sends, a missing privilege
// and cancellation; that every emitted metric is declared; that the sample config is valid.
#include "ping/ping_probe.hpp"
#include "simulated_network.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sample_config.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <sstream>

using namespace streamswarm;
using namespace std::chrono_literals;
using ping::PingProbe;
using ping_test::SimulatedNetwork;
using ping_test::TargetBehaviour;
namespace json = boost::json;
namespace tt = boost::test_tools;

namespace {

struct Fixture {
  SimulatedNetwork* network = nullptr;  // owned by the probe once made

  PingProbe probe(std::map<std::string, std::string> options, bool raw = true,
                  std::function<void(SimulatedNetwork&)> setup = {}) {
    return PingProbe(Options::validated(PingProbe::configKeys(), options), [=, this](const ping::PingOptions&) {
      auto n = std::make_unique<SimulatedNetwork>(raw);
      if (setup) setup(*n);
      network = n.get();
      return n;
    });
  }
};

const testing::RecordedResult& resultFor(const testing::FakeHost& host, const std::string& target) {
  for (const auto& r : host.results())
    if (r.target == target) return r;
  throw std::runtime_error("no result for " + target);
}

json::object document(const testing::RecordedResult& r) {
  return json::parse(r.document).as_object();
}

netprobe::IpAddress ip(const char* text) {
  return *netprobe::IpAddress::parse(text);
}

// A target that answers after `rtt`; the tests then change what they need.
TargetBehaviour answers(std::chrono::microseconds rtt) {
  TargetBehaviour b;
  b.rtt = rtt;
  return b;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(many_targets_one_run, Fixture) {
  auto p = probe({{"targets", "192.0.2.1, 192.0.2.2, 2001:db8::3, 192.0.2.4"}, {"count", "4"}, {"interval", "100ms"}},
                 true, [](SimulatedNetwork& n) {
                   n.targets[ip("192.0.2.1")] = answers(2000us);
                   n.targets[ip("192.0.2.2")] = answers(1000us);
                   n.targets[ip("192.0.2.2")].drop = {1, 3};
                   n.targets[ip("2001:db8::3")] = answers(3000us);
                   n.targets[ip("2001:db8::3")].duplicates = 1;
                   n.targets[ip("2001:db8::3")].ttl = 55;
                   n.targets[ip("192.0.2.4")] = answers(1000us);
                   n.targets[ip("192.0.2.4")].rttStep = 1000us;
                 });
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST_REQUIRE(host.results().size() == 4u);
  BOOST_TEST(host.undeclaredMetrics(PingProbe::metrics()).empty());

  const auto& a = resultFor(host, "192.0.2.1");
  BOOST_TEST(a.error == "");
  BOOST_TEST(a.metric("packets_sent") == 4.0);
  BOOST_TEST(a.metric("packets_received") == 4.0);
  BOOST_TEST(a.metric("loss_percent") == 0.0);
  // The transmit stamp is 5 us after the user-space send time: the kernel stamps bracket 1.995 ms.
  BOOST_TEST(a.metric("rtt_avg_ms") == 1.995, tt::tolerance(1e-6));
  BOOST_TEST(a.metric("rtt_stddev_ms") == 0.0, tt::tolerance(1e-9));
  BOOST_TEST(a.metric("jitter_ms") == 0.0, tt::tolerance(1e-9));
  BOOST_TEST(a.metric("reply_ttl") == 61.0);
  BOOST_TEST(document(a).at("kernel_timestamps").as_int64() == 4);

  const auto& b = resultFor(host, "192.0.2.2");
  BOOST_TEST(b.metric("packets_received") == 2.0);
  BOOST_TEST(b.metric("loss_percent") == 50.0);
  const auto rtts = document(b).at("rtts_ms").as_array();
  BOOST_TEST(rtts[0].is_double());
  BOOST_TEST(rtts[1].is_null());
  BOOST_TEST(rtts[3].is_null());

  const auto& c = resultFor(host, "2001:db8::3");
  BOOST_TEST(c.metric("packets_received") == 4.0);
  BOOST_TEST(c.metric("duplicates") == 4.0);
  BOOST_TEST(c.metric("reply_ttl") == 55.0);
  BOOST_TEST(document(c).at("family").as_string() == "ipv6");

  const auto& d = resultFor(host, "192.0.2.4");  // 1, 2, 3, 4 ms
  BOOST_TEST(d.metric("rtt_min_ms") == 0.995, tt::tolerance(1e-6));
  BOOST_TEST(d.metric("rtt_max_ms") == 3.995, tt::tolerance(1e-6));
  BOOST_TEST(d.metric("jitter_mad_ms") == 1.0, tt::tolerance(1e-6));
  // RFC 3550: J += (1 - J) / 16 three times.
  BOOST_TEST(d.metric("jitter_ms") == 1.0 - std::pow(15.0 / 16.0, 3), tt::tolerance(1e-6));

  // One socket per family, opened once; the requests of all targets interleave on the schedule.
  BOOST_TEST(network->freshPrepares == 2);
  BOOST_TEST(network->sends.size() == 16u);
  BOOST_TEST((network->sends[1].second == ip("192.0.2.2")));
  BOOST_TEST((network->sends[1].first - network->sends[0].first == 1ms));    // send_rate 1000/s
  BOOST_TEST((network->sends[4].first - network->sends[0].first == 100ms));  // the interval
}

BOOST_FIXTURE_TEST_CASE(timing_without_transmit_stamps_uses_the_send_time, Fixture) {
  auto p = probe({{"targets", "192.0.2.1"}, {"count", "2"}}, true, [](SimulatedNetwork& n) {
    n.stampTransmit = false;
    n.targets[ip("192.0.2.1")] = answers(2000us);
  });
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST(host.results()[0].metric("rtt_avg_ms") == 2.0, tt::tolerance(1e-6));
  BOOST_TEST(document(host.results()[0]).at("kernel_timestamps").as_int64() == 0);
}

BOOST_FIXTURE_TEST_CASE(icmp_errors_raw_and_queued, Fixture) {
  for (const bool raw : {true, false}) {
    auto p = probe({{"targets", "192.0.2.1, 2001:db8::1"}, {"count", "2"}}, raw, [](SimulatedNetwork& n) {
      n.targets[ip("192.0.2.1")].icmpErrorFrom = "198.51.100.7";
      n.targets[ip("2001:db8::1")].icmpErrorFrom = "2001:db8:ff::1";
    });
    testing::FakeHost host;
    auto h = host.host();
    p.run(h);
    const auto& v4 = resultFor(host, "192.0.2.1");
    BOOST_TEST(v4.metric("icmp_errors") == 2.0);
    BOOST_TEST(v4.metric("loss_percent") == 100.0);
    BOOST_TEST(v4.error == "no reply: destination unreachable (host) from 198.51.100.7");
    const auto& v6 = resultFor(host, "2001:db8::1");
    BOOST_TEST(v6.metric("icmp_errors") == 2.0);
    BOOST_TEST(v6.error == "no reply: destination unreachable (host) from 2001:db8:ff::1");
    BOOST_TEST(document(v6).at("socket").as_string() == (raw ? "raw" : "datagram"));
  }
}

BOOST_FIXTURE_TEST_CASE(lost_refused_and_late_replies, Fixture) {
  auto p = probe({{"targets", "192.0.2.1, 192.0.2.2, 2001:db8::1"}, {"count", "3"}, {"timeout", "300ms"}}, true,
                 [](SimulatedNetwork& n) {
                   n.targets[ip("192.0.2.1")].drop = {0, 1, 2};
                   n.targets[ip("192.0.2.2")].sendError = ENETUNREACH;
                   n.targets[ip("2001:db8::1")] = answers(400ms);  // after the timeout
                 });
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST(resultFor(host, "192.0.2.1").error == "no reply: 3 of 3 requests lost");
  BOOST_TEST(resultFor(host, "192.0.2.2").error == "cannot send to 192.0.2.2: Network is unreachable");
  BOOST_TEST(resultFor(host, "192.0.2.2").metric("send_errors") == 3.0);
  const auto& late = resultFor(host, "2001:db8::1");
  // The last request's late reply would come after the run ended: that one is simply lost.
  BOOST_TEST(late.metric("late_replies") == 2.0);
  BOOST_TEST(late.error == "no reply: 3 of 3 requests lost (2 answered after the timeout)");
}

BOOST_FIXTURE_TEST_CASE(a_family_without_privilege_fails_its_targets_only, Fixture) {
  const std::string why = "cannot open an ICMPv6 socket: a raw socket needs CAP_NET_RAW (Operation not permitted)";
  auto p = probe({{"targets", "192.0.2.1, 2001:db8::1"}, {"count", "1"}}, true,
                 [&](SimulatedNetwork& n) { n.problem[1] = why; });
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST(resultFor(host, "192.0.2.1").error == "");
  const auto& v6 = resultFor(host, "2001:db8::1");
  BOOST_TEST(v6.error == why);
  BOOST_TEST(document(v6).at("error").as_string() == why);
  BOOST_TEST(v6.metrics.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(replies_to_other_programs_are_ignored, Fixture) {
  auto p = probe({{"targets", "192.0.2.1"}, {"count", "1"}}, true);
  testing::FakeHost host;
  auto h = host.host();
  // First run opens the transport; then a stranger's reply with our sequence but another identifier.
  p.run(h);
  network->injectForeignReply(netprobe::Family::V4, ip("192.0.2.1"), 0x9999, 0);
  network->injectForeignReply(netprobe::Family::V4, ip("192.0.2.1"), network->identifier(netprobe::Family::V4), 0);
  host.clear();
  p.run(h);
  BOOST_TEST(host.results()[0].metric("packets_received") == 1.0);
  BOOST_TEST(host.results()[0].metric("duplicates") == 0.0);
  BOOST_TEST(network->freshPrepares == 1);  // the sockets stayed open between the runs
  BOOST_TEST(network->prepares == 2);
}

BOOST_FIXTURE_TEST_CASE(cancellation_stops_the_run_with_partial_results, Fixture) {
  auto p = probe({{"targets", "192.0.2.1"}, {"count", "100"}}, true);
  testing::FakeHost host;
  host.cancel();
  auto h = host.host();
  p.run(h);  // cancelled before the first send: the result says so
  BOOST_TEST_REQUIRE(host.results().size() == 1u);
  BOOST_TEST(host.results()[0].error == "cancelled before any request was sent; run cancelled after 0 of 100 requests");
  BOOST_TEST(host.results()[0].metric("packets_sent") == 0.0);
}

BOOST_AUTO_TEST_CASE(sample_config_is_valid) {
  // Every key of the [plugin.ping] section of ping.conf, minus the agent's own.
  const auto keys = testsupport::sectionOptions(
      testsupport::readFile(testsupport::sourceDir() / "plugins/ping/ping.conf"), "plugin.ping");
  BOOST_TEST(keys.count("targets") == 1u);
  BOOST_CHECK_NO_THROW(PingProbe(Options::validated(PingProbe::configKeys(), keys)));
}

#define BOOST_TEST_MODULE traceroute_probe
// The traceroute probe end to end on simulated paths (no sockets, no clock): hop order and
// addresses in every mode, silent and lossy hops, per-packet balancing, unreachable and unreached
// destinations, path changes between runs, several targets at once, a missing privilege;
// that every emitted metric is declared; that the sample config is valid.
#include "traceroute/traceroute_probe.hpp"
#include "simulated_path_network.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sample_config.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace streamswarm;
using namespace std::chrono_literals;
using traceroute::TracerouteProbe;
using traceroute_test::SimHop;
using traceroute_test::SimPath;
using traceroute_test::SimulatedPathNetwork;
namespace json = boost::json;
namespace tt = boost::test_tools;

namespace {

struct Fixture {
  SimulatedPathNetwork* network = nullptr;  // owned by the probe
  std::function<void(SimulatedPathNetwork&)> setup;
  bool raw = true;

  TracerouteProbe probe(std::map<std::string, std::string> options) {
    return TracerouteProbe(Options::validated(TracerouteProbe::configKeys(), options),
                           [this](const traceroute::TraceOptions& o, std::uint16_t) {
                             auto n = std::make_unique<SimulatedPathNetwork>(o.mode, raw);
                             if (setup) setup(*n);
                             network = n.get();
                             return n;
                           });
  }
};

netprobe::IpAddress ip(const char* text) {
  return *netprobe::IpAddress::parse(text);
}

SimHop hop(std::vector<std::string> routers) {
  SimHop h;
  h.routers = std::move(routers);
  return h;
}

// src - 10.0.1.1 - 10.0.2.1 - 10.0.3.1 - 10.9.9.9, and the same in IPv6.
SimPath threeRouters(bool v6 = false) {
  SimPath p;
  for (int i = 1; i <= 3; ++i)
    p.hops.push_back(hop({v6 ? "fd00:" + std::to_string(i) + "::1" : "10.0." + std::to_string(i) + ".1"}));
  return p;
}

json::object document(const testing::RecordedResult& r) {
  return json::parse(r.document).as_object();
}

std::vector<std::string> hopAddresses(const testing::RecordedResult& r) {
  std::vector<std::string> out;
  const auto doc = document(r);
  for (const auto& h : doc.at("hops").as_array()) {
    const auto& a = h.as_object().at("addresses").as_array();
    out.push_back(a.empty() ? "*" : std::string(a[0].as_object().at("address").as_string()));
  }
  return out;
}

const testing::RecordedResult& resultFor(const testing::FakeHost& host, const std::string& target) {
  for (const auto& r : host.results())
    if (r.target == target) return r;
  throw std::runtime_error("no result for " + target);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(every_mode_and_family_finds_the_hops_in_order, Fixture) {
  for (const bool socketRaw : {true, false})
    for (const char* mode : {"icmp", "udp", "tcp"}) {
      if (!socketRaw && std::string(mode) != "icmp") continue;  // ping sockets: ICMP mode only
      raw = socketRaw;
      setup = [](SimulatedPathNetwork& n) {
        n.paths[ip("10.9.9.9")] = threeRouters();
        n.paths[ip("fd00:9::9")] = threeRouters(true);
      };
      auto p = probe({{"targets", "10.9.9.9, fd00:9::9"}, {"mode", mode}, {"probes", "4"}, {"interval", "100ms"}});
      testing::FakeHost host;
      auto h = host.host();
      p.run(h);
      BOOST_TEST_CONTEXT(mode << (socketRaw ? " raw" : " datagram")) {
        BOOST_TEST_REQUIRE(host.results().size() == 2u);
        BOOST_TEST(host.undeclaredMetrics(TracerouteProbe::metrics()).empty());
        const auto& v4 = resultFor(host, "10.9.9.9");
        BOOST_TEST(v4.error == "");
        const std::vector<std::string> expected = {"10.0.1.1", "10.0.2.1", "10.0.3.1", "10.9.9.9"};
        BOOST_TEST(hopAddresses(v4) == expected, tt::per_element());
        BOOST_TEST(v4.metric("reached") == 1.0);
        BOOST_TEST(v4.metric("hop_count") == 4.0);
        BOOST_TEST(v4.metric("hop.1.received") == 4.0);
        BOOST_TEST(v4.metric("hop.1.rtt_avg_ms") == 1.0, tt::tolerance(1e-9));
        BOOST_TEST(v4.metric("destination_rtt_avg_ms") == 5.0, tt::tolerance(1e-9));
        BOOST_TEST(v4.metric("destination_loss_percent") == 0.0);
        const auto& v6 = resultFor(host, "fd00:9::9");
        const std::vector<std::string> expected6 = {"fd00:1::1", "fd00:2::1", "fd00:3::1", "fd00:9::9"};
        BOOST_TEST(hopAddresses(v6) == expected6, tt::per_element());
        BOOST_TEST(document(v6).at("mode").as_string() == mode);
      }
      // Round 0 probes TTL 1..30 at once; rounds 1-3 stop at the destination's TTL 4.
      BOOST_TEST(network->sent == 2u * (30 + 3 * 4));
    }
}

BOOST_FIXTURE_TEST_CASE(later_rounds_wait_for_the_destination_and_stop_there, Fixture) {
  // No interval: round 1 still waits until round 0 showed the destination at TTL 4, so only round 0
  // probes the TTLs beyond it.
  setup = [](SimulatedPathNetwork& n) { n.paths[ip("10.9.9.9")] = threeRouters(); };
  auto p = probe({{"targets", "10.9.9.9"}, {"probes", "5"}, {"interval", "0"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST(network->sent == 30u + 4 * 4);
  BOOST_TEST(host.results().at(0).metric("hop.4.received") == 5.0);
}

BOOST_FIXTURE_TEST_CASE(silent_lossy_and_balanced_hops, Fixture) {
  setup = [](SimulatedPathNetwork& n) {
    SimPath p;
    p.hops.push_back(hop({"10.0.1.1"}));
    p.hops.push_back(hop({}));  // drops time exceeded: never answers
    p.hops.push_back(hop({"10.0.3.1", "10.0.3.2"}));
    p.hops.back().dropRounds = {0, 3, 4, 7, 8};
    n.paths[ip("10.9.9.9")] = p;
  };
  auto p = probe({{"targets", "10.9.9.9"}, {"probes", "10"}, {"interval", "50ms"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  const auto& r = host.results().at(0);
  // Hop 3 answered from .2 in rounds 1, 5, 9 and from .1 in rounds 2, 6: most replies first.
  const std::vector<std::string> expected = {"10.0.1.1", "*", "10.0.3.2", "10.9.9.9"};
  BOOST_TEST(hopAddresses(r) == expected, tt::per_element());
  BOOST_TEST(r.metric("hop.2.loss_percent") == 100.0);
  BOOST_TEST(r.metric("hop.3.loss_percent") == 50.0);
  BOOST_TEST(r.metric("reached") == 1.0);  // the trace went on past the silent hop
  const auto hop3 = document(r).at("hops").as_array()[2].as_object();
  BOOST_TEST(hop3.at("addresses").as_array().size() == 2u);  // both balanced routers
  BOOST_TEST(document(r).at("path").as_object().at("canonical").as_string() ==
             "1:10.0.1.1,2:*,3:10.0.3.1|10.0.3.2,4:10.9.9.9;reached");
}

BOOST_FIXTURE_TEST_CASE(unreachable_and_unreached_destinations, Fixture) {
  setup = [](SimulatedPathNetwork& n) {
    auto unreachable = threeRouters();
    unreachable.end = SimPath::End::Unreachable;
    unreachable.unreachableFrom = "10.0.3.1";
    n.paths[ip("10.9.9.9")] = unreachable;
    auto silent = threeRouters();
    silent.end = SimPath::End::Silent;
    n.paths[ip("10.8.8.8")] = silent;
  };
  auto p = probe({{"targets", "10.9.9.9, 10.8.8.8"}, {"probes", "2"}, {"max_hops", "8"}, {"timeout", "500ms"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  const auto& u = resultFor(host, "10.9.9.9");
  BOOST_TEST(u.metric("reached") == 0.0);
  BOOST_TEST(u.metric("hop_count") == 4.0);  // the TTL the unreachable answered
  BOOST_TEST(document(u).at("stopped_by").as_string() == "host");
  BOOST_TEST(document(u).at("hops").as_array()[3].as_object().at("unreachable").as_string() == "host");
  const auto& s = resultFor(host, "10.8.8.8");
  BOOST_TEST(s.metric("reached") == 0.0);
  BOOST_TEST(s.metric("hop_count") == 3.0);  // the last hop that answered
  BOOST_TEST(s.error == "");                 // hops answered: a measurement, not a failure
  // The silent destination kept every round probing up to max_hops.
  BOOST_TEST(network->sent == 8u + 4 + 8 + 8);
}

BOOST_FIXTURE_TEST_CASE(path_changes_between_runs, Fixture) {
  setup = [](SimulatedPathNetwork& n) { n.paths[ip("10.9.9.9")] = threeRouters(); };
  auto p = probe({{"targets", "10.9.9.9"}, {"probes", "2"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  const auto first = host.results().at(0);
  BOOST_TEST(first.metric("path_changed") == 0.0);
  BOOST_TEST(document(first).at("path").as_object().at("previous_fingerprint").is_null());

  host.clear();
  p.run(h);
  const auto same = host.results().at(0);
  BOOST_TEST(same.metric("path_changed") == 0.0);
  BOOST_TEST(document(same).at("path").as_object().at("previous_fingerprint").as_string() ==
             document(first).at("path").as_object().at("fingerprint").as_string());

  // Router 2 is replaced and the path gets a hop longer.
  auto changed = threeRouters();
  changed.hops[1] = hop({"10.0.7.1"});
  changed.hops.push_back(hop({"10.0.8.1"}));
  network->paths[ip("10.9.9.9")] = changed;
  host.clear();
  p.run(h);
  const auto after = host.results().at(0);
  BOOST_TEST(after.metric("path_changed") == 1.0);
  BOOST_TEST(after.metric("path_hops_changed") == 2.0);  // TTL 2 (new router), TTL 4 (router, was the destination)
  BOOST_TEST(after.metric("path_hops_added") == 1.0);    // TTL 5, the destination now
  BOOST_TEST(after.metric("path_hops_removed") == 0.0);
  const auto changes = document(after).at("path").as_object().at("changes").as_array();
  BOOST_TEST(changes[0].as_object().at("ttl").as_int64() == 2);
  BOOST_TEST(changes[0].as_object().at("before").as_array()[0].as_string() == "10.0.2.1");
  BOOST_TEST(changes[0].as_object().at("after").as_array()[0].as_string() == "10.0.7.1");
  BOOST_TEST(network->freshPrepares == 1);  // one set of sockets for all three runs
}

BOOST_FIXTURE_TEST_CASE(a_run_where_nothing_answers_keeps_the_last_known_path, Fixture) {
  setup = [](SimulatedPathNetwork& n) { n.paths[ip("10.9.9.9")] = threeRouters(); };
  auto p = probe({{"targets", "10.9.9.9"}, {"probes", "1"}, {"max_hops", "5"}, {"timeout", "100ms"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  const auto known = document(host.results().at(0)).at("path").as_object().at("fingerprint").as_string();
  network->paths.clear();  // the network goes away
  host.clear();
  p.run(h);
  BOOST_TEST(host.results().at(0).error == "no hop answered any of 5 probes");
  BOOST_TEST(host.results().at(0).metric("path_changed") == 0.0);
  network->paths[ip("10.9.9.9")] = threeRouters();  // and comes back, unchanged
  host.clear();
  p.run(h);
  BOOST_TEST(host.results().at(0).metric("path_changed") == 0.0);
  BOOST_TEST(document(host.results().at(0)).at("path").as_object().at("previous_fingerprint").as_string() == known);
}

BOOST_FIXTURE_TEST_CASE(a_family_without_privilege_fails_its_targets_only, Fixture) {
  const std::string why = "udp traceroute: cannot open an ICMPv6 socket: a raw socket needs CAP_NET_RAW";
  setup = [&](SimulatedPathNetwork& n) {
    n.problem[1] = why;
    n.paths[ip("10.9.9.9")] = threeRouters();
  };
  // (No unresolvable name here: resolving one would ask a DNS server, which a unit test must not.)
  auto p = probe({{"targets", "10.9.9.9, fd00:9::9"}, {"mode", "udp"}, {"probes", "1"}});
  testing::FakeHost host;
  auto h = host.host();
  p.run(h);
  BOOST_TEST(resultFor(host, "10.9.9.9").error == "");
  BOOST_TEST(resultFor(host, "fd00:9::9").error == why);
  BOOST_TEST(resultFor(host, "fd00:9::9").metrics.size() == 1u);
  // The source port was picked once, above the kernel's ephemeral range, and is reported.
  const auto port = document(resultFor(host, "10.9.9.9")).at("source_port").as_int64();
  BOOST_TEST(port >= traceroute::kSourcePortLow);
  BOOST_TEST(*p.options().sourcePort == port);
}

BOOST_FIXTURE_TEST_CASE(cancelled_before_the_first_probe, Fixture) {
  auto p = probe({{"targets", "10.9.9.9"}});
  testing::FakeHost host;
  host.cancel();
  auto h = host.host();
  p.run(h);
  BOOST_TEST_REQUIRE(host.results().size() == 1u);
  BOOST_TEST(host.results()[0].error ==
             "cancelled before any probe was sent; run cancelled before every probe was sent");
}

BOOST_AUTO_TEST_CASE(sample_config_is_valid) {
  const auto keys = testsupport::sectionOptions(
      testsupport::readFile(testsupport::sourceDir() / "plugins/traceroute/traceroute.conf"), "plugin.traceroute");
  BOOST_TEST(keys.count("targets") == 1u);
  BOOST_CHECK_NO_THROW(TracerouteProbe(Options::validated(TracerouteProbe::configKeys(), keys)));
}

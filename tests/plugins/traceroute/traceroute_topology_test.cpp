#define BOOST_TEST_MODULE traceroute_topology
// The traceroute plugin on real multi-hop networks built from namespaces: hop addresses and order
// against the topology, traceroute -n and mtr -n -r, in ICMP, UDP and TCP modes, IPv4 and IPv6; a
// router that drops its time-exceeded messages; a router that drops a share of the packets it
// forwards; a path change between two runs; and what happens without CAP_NET_RAW.
#include "tests/support/agent_once.hpp"
#include "tests/support/netns_topology.hpp"
#include "traceroute/traceroute_probe.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <boost/test/unit_test.hpp>

#include <regex>
#include <sstream>

namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using ts::metricOf;
using ts::NetnsTopology;
using Family = NetnsTopology::Family;

namespace {

bool skipWithoutNamespaces() {
  const auto why = ts::namespacesUnavailable();
  if (!why.empty()) BOOST_TEST_MESSAGE("skipped: " << why);
  return !why.empty();
}

std::string traceConfig(const std::string& targets, const std::string& extra) {
  return "[agent]\nname = traceroute-test\n[plugin.traceroute]\nrun_every = 120s\nrun_timeout = 100s\ntargets = " +
         targets + "\n" + extra;
}

// The most-answering address of each hop in our document, "*" for a silent hop.
std::vector<std::string> ourHops(const json::object& result) {
  std::vector<std::string> out;
  for (const auto& h : result.at("document").as_object().at("hops").as_array()) {
    const auto& a = h.as_object().at("addresses").as_array();
    out.push_back(a.empty() ? "*" : std::string(a[0].as_object().at("address").as_string()));
  }
  return out;
}

bool looksLikeAddress(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef.:") == std::string::npos && s.find_first_of(".:") != std::string::npos;
}

// Hop addresses from `traceroute -n`: the first address on each hop line, "*" when none answered.
std::vector<std::string> tracerouteHops(const std::string& output) {
  std::vector<std::string> out;
  for (const auto& line : ts::lines(output)) {
    std::istringstream in(line);
    std::string number;
    in >> number;
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;  // the header
    std::string word;
    std::string address = "*";
    while (in >> word)
      if (looksLikeAddress(word)) {
        address = word;
        break;
      }
    out.push_back(address);
  }
  return out;
}

// Hop addresses from `mtr -n -r`: "  1.|-- 10.0.0.1  0.0% ..." ("???" for a silent hop).
std::vector<std::string> mtrHops(const std::string& output) {
  std::vector<std::string> out;
  const std::regex hop(R"(^\s*\d+\.\|--\s+(\S+))");
  for (const auto& line : ts::lines(output)) {
    std::smatch m;
    if (std::regex_search(line, m, hop)) out.push_back(m[1] == "???" ? "*" : std::string(m[1]));
  }
  return out;
}

std::vector<std::string> expectedHops(const NetnsTopology::Chain& chain, Family family) {
  std::vector<std::string> out;
  for (int k = 1; k <= chain.routers + 1; ++k) out.push_back(chain.hopAddress(k, family));
  return out;
}

// Every router answers as fast as asked: three tools probe the same routers back to back here,
// and the loss test needs every answer that is not dropped on purpose. (Rate limiting as it is
// by default is what bench/traceroute runs against.)
void liftIcmpRateLimits(NetnsTopology& net, const NetnsTopology::Chain& chain) {
  for (std::size_t i = 1; i < chain.nodes.size(); ++i) {
    net.sysctl(chain.nodes[i], "net.ipv4.icmp_ratelimit", "0");
    net.sysctl(chain.nodes[i], "net.ipv6.icmp.ratelimit", "0");
  }
}

const char* familyName(Family f) {
  return f == Family::V4 ? "IPv4" : "IPv6";
}

}  // namespace

BOOST_AUTO_TEST_CASE(hops_match_the_topology_traceroute_and_mtr) {
  if (skipWithoutNamespaces()) return;
  NetnsTopology net("trhops");
  const auto chain = net.buildChain(4, 241);
  liftIcmpRateLimits(net, chain);
  const auto inSrc = net.execArgs("src", {});
  for (const auto family : {Family::V4, Family::V6}) {
    const auto target = chain.destination(family);
    const auto expected = expectedHops(chain, family);
    for (const std::string mode : {"icmp", "udp", "tcp"}) {
      BOOST_TEST_CONTEXT(familyName(family) << " " << mode) {
        const auto run = ts::runAgentOnce(
            traceConfig(target, "mode = " + mode + "\nprobes = 3\ninterval = 100ms\ntimeout = 1s\n"), inSrc);
        BOOST_TEST_REQUIRE(run.status == 0, run.out << run.err);
        const auto& r = run.result(target);
        BOOST_TEST(!r.contains("error"), json::serialize(r));
        BOOST_TEST(ourHops(r) == expected, boost::test_tools::per_element());
        BOOST_TEST(metricOf(r, "reached") == 1.0);
        BOOST_TEST(metricOf(r, "hop_count") == chain.routers + 1.0);
        BOOST_TEST(metricOf(r, "destination_loss_percent") == 0.0);

        std::vector<std::string> tool = {"traceroute", "-n", "-w", "1"};
        if (mode == "icmp") tool.push_back("-I");
        if (mode == "tcp") tool.insert(tool.end(), {"-T", "-p", "80"});
        tool.push_back(target);
        const auto theirs = net.exec("src", tool);
        BOOST_TEST(tracerouteHops(theirs.out) == expected, boost::test_tools::per_element());
        if (mode == "tcp") continue;  // mtr's TCP mode needs a listening port to end; the others suffice
        std::vector<std::string> mtr = {"mtr", "-n", "-r", "-c", "3", "-i", "0.2"};
        if (mode == "udp") mtr.push_back("-u");
        mtr.push_back(target);
        BOOST_TEST(mtrHops(net.exec("src", mtr).out) == expected, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_router_dropping_time_exceeded_is_a_silent_hop_and_the_trace_goes_on) {
  if (skipWithoutNamespaces()) return;
  NetnsTopology net("trsilent");
  const auto chain = net.buildChain(4, 242);
  liftIcmpRateLimits(net, chain);
  net.nft("r2", R"(table inet quiet {
  chain output {
    type filter hook output priority 0;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
})");
  for (const auto family : {Family::V4, Family::V6}) {
    const auto target = chain.destination(family);
    auto expected = expectedHops(chain, family);
    expected[1] = "*";
    BOOST_TEST_CONTEXT(familyName(family)) {
      const auto run = ts::runAgentOnce(traceConfig(target, "probes = 3\ninterval = 100ms\ntimeout = 500ms\n"),
                                        net.execArgs("src", {}));
      const auto& r = run.result(target);
      BOOST_TEST(ourHops(r) == expected, boost::test_tools::per_element());
      BOOST_TEST(metricOf(r, "hop.2.loss_percent") == 100.0);
      BOOST_TEST(metricOf(r, "hop.2.sent") == 3.0);
      BOOST_TEST(metricOf(r, "hop.3.loss_percent") == 0.0);
      BOOST_TEST(metricOf(r, "reached") == 1.0);
      const auto theirs = net.exec("src", {"traceroute", "-n", "-I", "-w", "0.5", target});
      BOOST_TEST(tracerouteHops(theirs.out) == expected, boost::test_tools::per_element());
    }
  }
}

// r2 drops 30% of what it forwards away from src (nftables numgen), so probes to the hops beyond
// it (r3 and dst) are lost with p = 0.3 while r1 and r2 themselves lose nothing (r2 answers probes
// that expire at it before its forward hook; answers travel back through r2 in the other direction,
// which is not dropped). 100 probes per hop, pooled over the two hops beyond: lost ~ Binomial(200,
// 0.3), mean 60, standard deviation 6.5. Accepting 60 +- 4 sd (17% to 43%) fails a correct
// implementation with probability below 1e-4; a wrong loss computation (counting answers to other
// rounds, counting probes beyond the destination, inverting loss) lands far outside.
constexpr int kLossProbes = 100;
constexpr double kConfiguredLoss = 30.0;
constexpr double kLossToleranceSd = 4.0;

BOOST_AUTO_TEST_CASE(a_lossy_router_gives_the_configured_loss_beyond_it) {
  if (skipWithoutNamespaces()) return;
  NetnsTopology net("trloss");
  const auto chain = net.buildChain(3, 243);
  liftIcmpRateLimits(net, chain);
  net.nft("r2", R"(table inet lossy {
  chain forward {
    type filter hook forward priority 0;
    iifname "left" numgen random mod 10 < 3 drop
  }
})");
  const double n = 2.0 * kLossProbes;
  const double p = kConfiguredLoss / 100;
  const double sd = std::sqrt(n * p * (1 - p)) / n * 100;  // in percent
  for (const auto family : {Family::V4, Family::V6}) {
    const auto target = chain.destination(family);
    BOOST_TEST_CONTEXT(familyName(family)) {
      const auto run = ts::runAgentOnce(
          traceConfig(target, "probes = " + std::to_string(kLossProbes) + "\ninterval = 10ms\ntimeout = 1s\n"),
          net.execArgs("src", {}));
      const auto& r = run.result(target);
      BOOST_TEST_REQUIRE(metricOf(r, "reached") == 1.0);
      BOOST_TEST(ourHops(r) == expectedHops(chain, family), boost::test_tools::per_element());
      BOOST_TEST(metricOf(r, "hop.1.loss_percent") == 0.0);
      BOOST_TEST(metricOf(r, "hop.2.loss_percent") == 0.0);
      BOOST_TEST(metricOf(r, "hop.3.sent") == kLossProbes);
      const double pooled = (metricOf(r, "hop.3.loss_percent") + metricOf(r, "hop.4.loss_percent")) / 2;
      BOOST_TEST_MESSAGE(familyName(family) << ": loss beyond the lossy router " << pooled << "% (configured "
                                            << kConfiguredLoss << "%, tolerance +-" << kLossToleranceSd * sd << ")");
      BOOST_TEST(std::abs(pooled - kConfiguredLoss) <= kLossToleranceSd * sd);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_path_change_is_reported_against_the_previous_run) {
  if (skipWithoutNamespaces()) return;
  // src - r1 - r2 - dst, and r1 - r3 - dst as the other way.
  NetnsTopology net("trchange");
  for (const auto* node : {"src", "r1", "r2", "r3", "dst"}) net.addNode(node, node[0] == 'r');
  net.link("src", "right", {"10.244.1.1/24"}, "r1", "left", {"10.244.1.2/24"});
  net.link("r1", "right", {"10.244.2.1/24"}, "r2", "left", {"10.244.2.2/24"});
  net.link("r2", "right", {"10.244.3.1/24"}, "dst", "left", {"10.244.3.2/24"});
  net.link("r1", "side", {"10.244.4.1/24"}, "r3", "left", {"10.244.4.2/24"});
  net.link("r3", "right", {"10.244.5.1/24"}, "dst", "side", {"10.244.5.2/24"});
  net.route("src", "default", "10.244.1.2");
  net.route("r1", "10.244.3.0/24", "10.244.2.2");
  net.route("r2", "10.244.1.0/24", "10.244.2.1");
  net.route("r3", "10.244.1.0/24", "10.244.4.1");
  net.route("r3", "10.244.3.2/32", "10.244.5.2");
  net.route("dst", "default", "10.244.3.1");
  net.waitReachable("src", "10.244.3.2");

  auto probe = streamswarm::testing::makeProbe<streamswarm::traceroute::TracerouteProbe>(
      {{"targets", "10.244.3.2"}, {"probes", "2"}, {"interval", "50ms"}, {"timeout", "500ms"}});
  streamswarm::testing::FakeHost host;
  auto runOnce = [&] {
    host.clear();
    net.runIn("src", [&] {
      auto h = host.host();
      probe.run(h);
    });
    BOOST_TEST_REQUIRE(host.results().size() == 1u);
    return host.results()[0];
  };
  const auto first = runOnce();
  BOOST_TEST(first.error == "");
  BOOST_TEST(first.metric("path_changed") == 0.0);
  BOOST_TEST(runOnce().metric("path_changed") == 0.0);  // same path, same fingerprint

  net.route("r1", "10.244.3.0/24", "10.244.4.2");  // now via r3
  const auto after = runOnce();
  BOOST_TEST(after.metric("path_changed") == 1.0);
  BOOST_TEST(after.metric("path_hops_changed") == 1.0);
  const auto doc = json::parse(after.document).as_object();
  const auto& change = doc.at("path").as_object().at("changes").as_array().at(0).as_object();
  BOOST_TEST(change.at("ttl").as_int64() == 2);
  BOOST_TEST(change.at("before").as_array()[0].as_string() == "10.244.2.2");
  BOOST_TEST(change.at("after").as_array()[0].as_string() == "10.244.4.2");
}

BOOST_AUTO_TEST_CASE(without_cap_net_raw_udp_says_so_and_icmp_uses_ping_sockets) {
  if (skipWithoutNamespaces()) return;
  if (const auto why = ts::nobodyCannotRunTheAgent(); !why.empty()) {
    BOOST_TEST_MESSAGE("skipped: " << why);
    return;
  }
  NetnsTopology net("trpriv");
  const auto chain = net.buildChain(2, 245);
  liftIcmpRateLimits(net, chain);
  net.sysctl("src", "net.ipv4.ping_group_range", "0 2147483647");
  auto prefix = net.execArgs("src", {});
  prefix.insert(prefix.end(), ts::kRunAsNobody.begin(), ts::kRunAsNobody.end());
  for (const auto family : {Family::V4, Family::V6}) {
    const auto target = chain.destination(family);
    BOOST_TEST_CONTEXT(familyName(family)) {
      const auto udp = ts::runAgentOnce(traceConfig(target, "mode = udp\nprobes = 1\n"), prefix);
      BOOST_TEST(udp.status <= 1, "the agent must not crash: " << udp.err);
      const std::string error(udp.result(target).at("error").as_string());
      BOOST_TEST_MESSAGE("udp as nobody: " << error);
      BOOST_TEST(error.find("CAP_NET_RAW") != std::string::npos);

      const auto icmp = ts::runAgentOnce(traceConfig(target, "probes = 2\ninterval = 50ms\ntimeout = 1s\n"), prefix);
      const auto& r = icmp.result(target);
      BOOST_TEST(!r.contains("error"), json::serialize(r));
      BOOST_TEST(r.at("document").as_object().at("socket").as_string() == "datagram");
      BOOST_TEST(ourHops(r) == expectedHops(chain, family), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(sample_config_runs) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: needs root for raw sockets");
    return;
  }
  const auto run = ts::runAgentOnce(ts::readFile(ts::sourceDir() / "plugins/traceroute/traceroute.conf"));
  BOOST_TEST_REQUIRE(run.status == 0, run.err);
  const auto& r = run.result("127.0.0.1");
  BOOST_TEST(metricOf(r, "reached") == 1.0);
  BOOST_TEST(metricOf(r, "hop_count") == 1.0);
}

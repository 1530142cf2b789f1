// bench_traceroute: the traceroute plugin against traceroute and mtr on a 6-hop path (5 routers
// and the destination, in network namespaces built for the run), measured in the same run. The
// routers keep Linux's default ICMP rate limits (a burst of 6 errors per source, then 1/s), as real
// routers limit theirs; between two runs the bench waits until those budgets are full again, so
// no tool inherits another's spent budget. Compared, wall time (and CPU, from wait4):
//   3 probes per hop   ours (mode udp)  vs `traceroute -n`       (UDP, 3 probes per hop)
//                      ours (mode icmp) vs `traceroute -n -I`    (ICMP)
//   the mtr report     ours (icmp, 10 probes per hop) vs `mtr -n -r -c 10` (ICMP, 10 per hop)
// Ours is this executable re-run as `--run-plugin` in the source namespace: it loads
// libstreamswarm_traceroute.so through the plugin ABI, as the agent's plugin host does, and runs it
// once, so it is timed as a process like the tools. The 10-probe report is also timed through the
// whole agent (`streamswarm-agent --once`). The hop addresses of every tool are checked against the
// topology, and our per-hop sent and loss against mtr's.
// Needs root and iproute2, traceroute, mtr-tiny.
#include "tests/support/netns_topology.hpp"
#include "tests/support/plugin_once.hpp"
#include "tests/support/timed_run.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>
#include <thread>

namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using Family = ts::NetnsTopology::Family;

namespace {

constexpr int kRouters = 5;  // 6 hops with the destination
constexpr int kNet = 246;
constexpr int kDefaultRounds = 1;
// Per-source ICMP error budget of a Linux router: 6 at once, refilled at 1/s.
constexpr auto kRateLimitRecovery = std::chrono::seconds(7);

struct Hop {
  std::string address;  // "*" when silent
  double lossPercent = 0;
  int sent = 0;
};

std::vector<Hop> ourHops(const std::string& out) {
  std::vector<Hop> hops;
  for (const auto& line : ts::lines(out)) {
    const auto doc = json::parse(line).as_object().at("document").as_object();
    for (const auto& h : doc.at("hops").as_array()) {
      const auto& o = h.as_object();
      const auto& a = o.at("addresses").as_array();
      hops.push_back({a.empty() ? "*" : std::string(a[0].as_object().at("address").as_string()),
                      o.at("loss_percent").to_number<double>(), static_cast<int>(o.at("sent").to_number<double>())});
    }
  }
  return hops;
}

std::vector<Hop> mtrHops(const std::string& out) {
  std::vector<Hop> hops;
  const std::regex row(R"(^\s*\d+\.\|--\s+(\S+)\s+([\d.]+)%\s+(\d+))");
  for (const auto& line : ts::lines(out)) {
    std::smatch m;
    if (std::regex_search(line, m, row))
      hops.push_back({m[1] == "???" ? "*" : std::string(m[1]), std::stod(m[2]), std::stoi(m[3])});
  }
  return hops;
}

std::vector<Hop> tracerouteHops(const std::string& out) {
  std::vector<Hop> hops;
  for (const auto& line : ts::lines(out)) {
    std::istringstream in(line);
    std::string number, word, address = "*";
    in >> number;
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    while (in >> word)
      if (word.find_first_not_of("0123456789.:abcdef") == std::string::npos &&
          word.find_first_of(".:") != std::string::npos) {
        address = word;
        break;
      }
    hops.push_back({address, 0, 0});
  }
  return hops;
}

std::string addresses(const std::vector<Hop>& hops) {
  std::string out;
  for (const auto& h : hops) out += (out.empty() ? "" : " ") + h.address;
  return out;
}

struct Measured {
  std::string name;
  ts::TimedRun run;
  std::vector<Hop> hops;
};

void print(const Measured& m) {
  std::printf("    %-34s wall %7.3f s  cpu %6.3f s  hops: %s\n", m.name.c_str(), m.run.wallSeconds, m.run.cpuSeconds(),
              addresses(m.hops).c_str());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int runPlugin(const std::string& library, const std::vector<std::string>& assignments) {
  std::map<std::string, std::string> options;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    options[a.substr(0, eq)] = eq == std::string::npos ? "" : a.substr(eq + 1);
  }
  try {
    for (const auto& r : ts::runPlugin(library, options).results) std::printf("%s\n", r.json().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--run-plugin")
    return runPlugin(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  int rounds = kDefaultRounds;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
      return 2;
    }
  }
  if (const auto why = ts::namespacesUnavailable(); !why.empty()) {
    std::printf("bench_traceroute: skipped (%s)\n", why.c_str());
    return 0;
  }
  for (const char* tool : {"traceroute", "mtr"})
    if (ts::run({"sh", "-c", std::string("command -v ") + tool}).status != 0) {
      std::fprintf(stderr, "bench_traceroute: needs %s (apt-get install traceroute mtr-tiny)\n", tool);
      return 2;
    }
  const auto self = std::filesystem::canonical("/proc/self/exe");
  const auto buildDir = self.parent_path().parent_path();
  const auto agent = buildDir / "bin/streamswarm-agent";
  const auto library = buildDir / "lib/streamswarm/plugins/libstreamswarm_traceroute.so";
  if (!std::filesystem::exists(library)) {
    std::fprintf(stderr, "bench_traceroute: %s is not built\n", library.c_str());
    return 2;
  }

  ts::NetnsTopology net("benchtr");
  const auto chain = net.buildChain(kRouters, kNet);
  const auto target = chain.destination(Family::V4);
  std::vector<std::string> expected;
  for (int k = 1; k <= kRouters + 1; ++k) expected.push_back(chain.hopAddress(k, Family::V4));
  const auto inSrc = net.execArgs("src", {});
  ts::TempDir dir;
  // Ours, as a process running the plugin once; `options` as key=value words.
  auto ours = [&](const std::string& name, std::vector<std::string> options) {
    auto argv = inSrc;
    argv.insert(argv.end(), {self.string(), "--run-plugin", library.string(), "targets=" + target});
    argv.insert(argv.end(), options.begin(), options.end());
    Measured m{"ours (" + name + ")", ts::runTimed(argv), {}};
    m.hops = ourHops(m.run.out);
    return m;
  };
  // The same through the whole agent.
  auto ourAgent = [&](const std::string& name, const std::string& options) {
    const auto file = dir / "agent.conf";
    ts::writeFile(file, "[agent]\nname = bench\n[plugin.traceroute]\nrun_every = 120s\nrun_timeout = 100s\ntargets = " +
                            target + "\n" + options);
    auto argv = inSrc;
    argv.insert(argv.end(), {agent.string(), "--once", "--config", file.string()});
    Measured m{"agent (" + name + ")", ts::runTimed(argv), {}};
    m.hops = ourHops(m.run.out);
    return m;
  };
  auto tool = [&](const std::string& name, std::vector<std::string> command) {
    auto argv = inSrc;
    argv.insert(argv.end(), command.begin(), command.end());
    Measured m{name, ts::runTimed(argv), {}};
    m.hops = name.rfind("mtr", 0) == 0 ? mtrHops(m.run.out) : tracerouteHops(m.run.out);
    return m;
  };
  auto rest = [] { std::this_thread::sleep_for(kRateLimitRecovery); };

  std::printf("bench_traceroute: %d hops (%d routers + destination %s), Linux default ICMP rate limits, %d round(s)\n",
              kRouters + 1, kRouters, target.c_str(), rounds);
  std::printf("  expected hops: %s\n", addresses([&] {
                                         std::vector<Hop> h;
                                         for (const auto& a : expected) h.push_back({a, 0, 0});
                                         return h;
                                       }())
                                           .c_str());
  std::vector<double> udpRatio, icmpRatio, mtrRatio, agentRatio;
  bool hopsAgree = true;
  bool fullReport = true;
  auto check = [&](const Measured& m) {
    std::vector<std::string> got;
    for (const auto& h : m.hops) got.push_back(h.address);
    if (got != expected) {
      hopsAgree = false;
      std::printf("    ! %s found other hops than the topology has\n", m.name.c_str());
    }
  };
  for (int r = 0; r < rounds; ++r) {
    std::printf("\n  round %d\n", r + 1);
    rest();
    const auto ourUdp = ours("udp, 3 probes", {"mode=udp", "probes=3"});
    rest();
    const auto theirUdp = tool("traceroute -n", {"traceroute", "-n", target});
    rest();
    const auto ourIcmp = ours("icmp, 3 probes", {"probes=3"});
    rest();
    const auto theirIcmp = tool("traceroute -n -I", {"traceroute", "-n", "-I", target});
    rest();
    const auto ourReport = ours("icmp, 10 probes", {"probes=10"});
    rest();
    const auto agentReport = ourAgent("icmp, 10 probes", "probes = 10\n");
    rest();
    const auto mtr = tool("mtr -n -r -c 10", {"mtr", "-n", "-r", "-c", "10", target});
    for (const auto* m : {&ourUdp, &theirUdp, &ourIcmp, &theirIcmp, &ourReport, &agentReport, &mtr}) {
      print(*m);
      check(*m);
    }
    for (std::size_t i = 0; i < ourReport.hops.size() && i < mtr.hops.size(); ++i)
      if (ourReport.hops[i].sent != 10 || ourReport.hops[i].lossPercent != mtr.hops[i].lossPercent) {
        fullReport = false;
        std::printf("    ! hop %zu: ours %d sent, %.1f%% loss; mtr %d sent, %.1f%% loss\n", i + 1,
                    ourReport.hops[i].sent, ourReport.hops[i].lossPercent, mtr.hops[i].sent, mtr.hops[i].lossPercent);
      }
    udpRatio.push_back(ourUdp.run.wallSeconds / theirUdp.run.wallSeconds);
    icmpRatio.push_back(ourIcmp.run.wallSeconds / theirIcmp.run.wallSeconds);
    mtrRatio.push_back(ourReport.run.wallSeconds / mtr.run.wallSeconds);
    agentRatio.push_back(agentReport.run.wallSeconds / mtr.run.wallSeconds);
  }
  std::printf(
      "\n  wall ours/traceroute (udp, 3 per hop)  = %.3f (our udp rounds are 1 s apart by default: the first\n"
      "    round probes every TTL at once and the ones beyond the destination spend its port-unreachable\n"
      "    budget, 6 then 1/s; traceroute's window of 16 probes in TTL order rarely overshoots)\n",
      median(udpRatio));
  std::printf("  wall ours/traceroute (icmp, 3 per hop) = %.3f\n", median(icmpRatio));
  std::printf("  wall ours/mtr (10-probe report)        = %.3f (through the agent: %.3f)\n", median(mtrRatio),
              median(agentRatio));
  std::printf("  hop addresses %s the topology for every tool; our 10-probe report %s mtr's (sent, loss per hop)\n",
              hopsAgree ? "match" : "DO NOT match", fullReport ? "matches" : "DOES NOT match");
  return 0;
}

// bench_ping_fanout: the ping plugin against fping on 1,000 distinct loopback addresses
// (127.0.0.0/8), 3 requests each, measured in the same run. Both are separate processes timed the
// same way (wall time, and user + system CPU from wait4):
//   ours    this executable re-run as `--run-plugin`: loads libstreamswarm_ping.so through the plugin
//           ABI, as the agent's plugin host does, and runs it once
//   fping   fping -C 3 -q with the same pacing
// Two pacings: "paced" (1 request per ms overall, 1 s between requests to one target: fping -i 1
// -p 1000) and "unpaced" (no global limit, 10 ms per target: fping -i 0 -p 10). Also one run of the
// whole agent (`streamswarm-agent --once`) for the end-to-end cost. Loss and mean RTT of both are
// printed so a fast but wrong run shows. Needs root (fping -i 0 and raw sockets).
#include "tests/support/plugin_once.hpp"
#include "tests/support/timed_run.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ts = streamswarm::testsupport;

namespace {

constexpr int kTargets = 1000;
constexpr int kCount = 3;
constexpr int kDefaultRounds = 3;

struct Pacing {
  const char* name;
  std::string fpingInterval;  // -i, ms between any two requests
  std::string fpingPeriod;    // -p, ms between requests to one target
  std::string sendRate;       // ours: requests per second overall (0: no limit)
  std::string interval;       // ours: between requests to one target
};

const Pacing kPacings[] = {
    {"paced", "1", "1000", "1000", "1s"},
    {"unpaced", "0", "10", "0", "10ms"},
};

std::vector<std::string> loopbackTargets() {
  std::vector<std::string> out;
  for (int i = 0; i < kTargets; ++i)
    out.push_back("127.42." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
  return out;
}

std::string joined(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : std::string(1, sep)) + s;
  return out;
}

// What one run of either tool found: requests answered of those sent, and the mean RTT.
struct Outcome {
  int sent = 0;
  int received = 0;
  double rttSumMs = 0;
  double meanMs() const { return received ? rttSumMs / received : 0; }
};

// --- the plugin side: load the .so through the C ABI and run it once ---------------------------

// Prints the last run's results as JSON lines, and on stderr "run_seconds" with each run's wall time.
int runPlugin(const std::string& library, const std::vector<std::string>& arguments) {
  std::map<std::string, std::string> options;
  int runs = 1;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--runs" && i + 1 < arguments.size()) {
      runs = std::max(1, std::atoi(arguments[++i].c_str()));
      continue;
    }
    const auto eq = arguments[i].find('=');
    options[arguments[i].substr(0, eq)] = eq == std::string::npos ? "" : arguments[i].substr(eq + 1);
  }
  try {
    const auto out = ts::runPlugin(library, options, runs);
    for (const auto& r : out.results) std::printf("%s\n", r.json().c_str());
    std::fprintf(stderr, "run_seconds");
    for (const double s : out.seconds) std::fprintf(stderr, " %.6f", s);
    std::fprintf(stderr, "\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}

// --- the measuring side --------------------------------------------------------------------------

// One JSON result per target: the sums over targets.
Outcome parseOurs(const std::string& out) {
  Outcome o;
  for (const auto& line : ts::lines(out)) {
    const auto metrics = boost::json::parse(line).as_object().at("metrics").as_object();
    auto number = [&](const char* name) {
      const auto* v = metrics.if_contains(name);
      return v ? v->to_number<double>() : 0.0;
    };
    o.sent += static_cast<int>(number("packets_sent"));
    o.received += static_cast<int>(number("packets_received"));
    o.rttSumMs += number("rtt_avg_ms") * number("packets_received");
  }
  return o;
}

// fping -C prints one line per target on stderr: "127.42.0.1 : 0.03 0.02 -" ("-": no reply).
Outcome parseFping(const std::string& err) {
  Outcome o;
  for (const auto& line : ts::lines(err)) {
    const auto colon = line.find(" : ");
    if (colon == std::string::npos) continue;
    std::istringstream in(line.substr(colon + 3));
    for (std::string v; in >> v;) {
      ++o.sent;
      if (v == "-") continue;
      ++o.received;
      o.rttSumMs += std::stod(v);
    }
  }
  return o;
}

// The wall time of the last run() from the "run_seconds" line of a --run-plugin child.
double lastRunSeconds(const std::string& err) {
  for (const auto& line : ts::lines(err)) {
    if (line.rfind("run_seconds", 0) != 0) continue;
    std::istringstream in(line.substr(11));
    double last = 0;
    for (double s; in >> s;) last = s;
    return last;
  }
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Sample {
  ts::TimedRun run;
  Outcome outcome;
};

Sample runOurs(const std::filesystem::path& self, const std::filesystem::path& library, const Pacing& p,
               const std::vector<std::string>& targets, int runs = 1) {
  Sample s;
  s.run = ts::runTimed({self.string(), "--run-plugin", library.string(), "--runs", std::to_string(runs),
                        "targets=" + joined(targets, ','), "count=" + std::to_string(kCount), "interval=" + p.interval,
                        "send_rate=" + p.sendRate, "timeout=1s"});
  if (s.run.status != 0) throw std::runtime_error("the plugin run failed: " + s.run.err);
  s.outcome = parseOurs(s.run.out);
  return s;
}

Sample runFping(const Pacing& p, const std::filesystem::path& targetFile) {
  Sample s;
  s.run = ts::runTimed({"fping", "-C", std::to_string(kCount), "-q", "-i", p.fpingInterval, "-p", p.fpingPeriod, "-t",
                        "1000", "-f", targetFile.string()});
  // fping exits 1 when some target did not answer; that is a result, not a failure.
  if (s.run.status > 1) throw std::runtime_error("fping failed: " + s.run.err);
  s.outcome = parseFping(s.run.err);
  return s;
}

void printSample(const char* who, const Sample& s) {
  std::printf("    %-6s wall %7.3f s  cpu %6.3f s (user %.3f, sys %.3f)  answered %d/%d  mean RTT %.4f ms\n", who,
              s.run.wallSeconds, s.run.cpuSeconds(), s.run.userSeconds, s.run.systemSeconds, s.outcome.received,
              s.outcome.sent, s.outcome.meanMs());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--run-plugin")
    return runPlugin(argv[2], std::vector<std::string>(argv + 3, argv + argc));

  int rounds = kDefaultRounds;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
      return 2;
    }
  }
  if (::geteuid() != 0) {
    std::printf("bench_ping_fanout: skipped (needs root: raw sockets, and fping -i 0)\n");
    return 0;
  }
  const auto self = std::filesystem::canonical("/proc/self/exe");
  const auto buildDir = self.parent_path().parent_path();
  const auto library = buildDir / "lib/streamswarm/plugins/libstreamswarm_ping.so";
  const auto agent = buildDir / "bin/streamswarm-agent";
  if (!std::filesystem::exists(library) || ts::run({"fping", "-v"}).status != 0) {
    std::fprintf(stderr, "bench_ping_fanout: needs %s and fping (apt-get install fping)\n", library.c_str());
    return 2;
  }
  const auto targets = loopbackTargets();
  ts::TempDir dir;
  ts::writeFile(dir / "targets", joined(targets, '\n') + "\n");

  std::printf("bench_ping_fanout: %d loopback addresses x %d requests, %d rounds (alternating order), medians\n",
              kTargets, kCount, rounds);
  bool consistent = true;
  for (const auto& pacing : kPacings) {
    std::printf("\n  %s: ours send_rate=%s interval=%s | fping -C %d -i %s -p %s\n", pacing.name,
                pacing.sendRate.c_str(), pacing.interval.c_str(), kCount, pacing.fpingInterval.c_str(),
                pacing.fpingPeriod.c_str());
    std::vector<double> wallRatio, cpuRatio, oursWall, fpingWall, oursCpu, fpingCpu;
    for (int r = 0; r < rounds; ++r) {
      Sample ours, theirs;
      if (r % 2 == 0) {
        ours = runOurs(self, library, pacing, targets);
        theirs = runFping(pacing, dir / "targets");
      } else {
        theirs = runFping(pacing, dir / "targets");
        ours = runOurs(self, library, pacing, targets);
      }
      printSample("ours", ours);
      printSample("fping", theirs);
      wallRatio.push_back(ours.run.wallSeconds / theirs.run.wallSeconds);
      cpuRatio.push_back(ours.run.cpuSeconds() / std::max(theirs.run.cpuSeconds(), 1e-3));
      oursWall.push_back(ours.run.wallSeconds);
      fpingWall.push_back(theirs.run.wallSeconds);
      oursCpu.push_back(ours.run.cpuSeconds());
      fpingCpu.push_back(theirs.run.cpuSeconds());
      if (ours.outcome.sent != theirs.outcome.sent || ours.outcome.received != theirs.outcome.received) {
        consistent = false;
        std::printf("    ! loss differs: ours %d/%d, fping %d/%d\n", ours.outcome.received, ours.outcome.sent,
                    theirs.outcome.received, theirs.outcome.sent);
      }
    }
    std::printf("  %s: wall ours/fping = %.3f (median; %.3f s vs %.3f s)   cpu ours/fping = %.2f (%.3f s vs %.3f s)\n",
                pacing.name, median(wallRatio), median(oursWall), median(fpingWall), median(cpuRatio), median(oursCpu),
                median(fpingCpu));
  }

  // The agent keeps a plugin instance (and its sockets) between runs: what one unpaced run costs
  // then, the second run of one instance timed inside the process, against fping's whole process.
  {
    std::vector<double> steady, fpingWall;
    for (int r = 0; r < rounds; ++r) {
      const auto ours = runOurs(self, library, kPacings[1], targets, 2);
      steady.push_back(lastRunSeconds(ours.run.err));
      fpingWall.push_back(runFping(kPacings[1], dir / "targets").run.wallSeconds);
    }
    std::printf(
        "\n  unpaced, steady state: ours run() %.3f s (the 2nd run of one instance, as in the agent) vs fping"
        " %.3f s (whole process); ratio %.3f\n",
        median(steady), median(fpingWall), median(steady) / median(fpingWall));
  }

  // The same work through the whole agent: start-up, plugin host, JSON output included.
  ts::writeFile(dir / "agent.conf",
                "[agent]\nname = bench\n[plugin.ping]\nrun_every = 60s\nrun_timeout = 50s\n"
                "targets = " +
                    joined(targets, ',') +
                    "\ncount = 3\ninterval = 10ms\n"
                    "send_rate = 0\ntimeout = 1s\n");
  const auto whole = ts::runTimed({agent.string(), "--once", "--config", (dir / "agent.conf").string()});
  const auto fping = runFping(kPacings[1], dir / "targets");
  std::printf(
      "\n  end to end (unpaced): streamswarm-agent --once wall %.3f s cpu %.3f s; fping wall %.3f s cpu %.3f s;"
      " wall ratio %.3f\n",
      whole.wallSeconds, whole.cpuSeconds(), fping.run.wallSeconds, fping.run.cpuSeconds(),
      whole.wallSeconds / fping.run.wallSeconds);
  std::printf("\n  loss %s between ours and fping in every round\n", consistent ? "equal" : "NOT equal");
  return 0;
}

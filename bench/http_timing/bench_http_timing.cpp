// bench_http_timing: the cost of a probe. N sequential probes of one URL on a local server, made by
// http_timing (the probe class driven in-process, as the agent's plugin host drives it: the
// instance stays loaded and run() is called once per period) and, as the baseline, by curl -w in
// a loop (one process per probe, the usual way to script this); a second baseline is one curl
// process fetching N URLs, each on a new connection, which leaves out curl's start-up. Prints the
// ratios of wall time and of client CPU time, and the measurement overhead: the probe's time to
// first byte minus the think time the server measured for the same request.
//
//   bench_http_timing [--probes N] [--think-ms T] [--curl PATH]
#include "http_timing_probe.hpp"

#include "tests/support/http_test_server.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace {

using streamswarm::testsupport::HttpTestRequest;
using streamswarm::testsupport::HttpTestResponse;
using streamswarm::testsupport::HttpTestServer;
using Clock = std::chrono::steady_clock;

constexpr int kDefaultProbes = 1000;
constexpr int kDefaultThinkMs = 1;
constexpr int kWarmupProbes = 20;
constexpr std::size_t kBodyBytes = 1024;
constexpr double kOverheadTargetMs = 0.2;
constexpr double kMinComparableOverheadMs = 0.001;

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double cpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Runs argv with stdout captured through a pipe (stderr to /dev/null); returns stdout. Throws when
// the program fails.
std::string capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(argv[0] + " failed");
  return out;
}

struct Run {
  double wallSeconds = 0;
  double cpuSeconds = 0;
  std::vector<double> ttfbMs;      // per probe, as the client measured it
  std::vector<double> overheadMs;  // per probe: client's time to first byte - server's think time
};

std::vector<double> thinkMs(const HttpTestServer& server, std::size_t from) {
  const auto requests = server.requests();
  std::vector<double> out;
  for (std::size_t i = from; i < requests.size(); ++i)
    out.push_back(std::chrono::duration<double, std::milli>(requests[i].think).count());
  return out;
}

Run ours(const HttpTestServer& server, const std::string& url, int probes) {
  auto probe = streamswarm::testing::makeProbe<streamswarm::http_timing::HttpTimingProbe>({{"url", url}});
  streamswarm::testing::FakeHost host;
  auto h = host.host();
  for (int i = 0; i < kWarmupProbes; ++i) probe.run(h);
  host.clear();
  const auto firstRequest = server.requests().size();
  Run r;
  const double cpu0 = cpuSeconds(RUSAGE_THREAD);  // the server runs on its own thread
  const auto t0 = Clock::now();
  for (int i = 0; i < probes; ++i) {
    probe.run(h);
    const auto& result = host.results().back();
    if (!result.error.empty()) throw std::runtime_error("probe failed: " + result.error);
    r.ttfbMs.push_back(result.metric("ttfb_ms"));
  }
  r.wallSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpuSeconds = cpuSeconds(RUSAGE_THREAD) - cpu0;
  const auto think = thinkMs(server, firstRequest);
  for (std::size_t i = 0; i < r.ttfbMs.size() && i < think.size(); ++i) r.overheadMs.push_back(r.ttfbMs[i] - think[i]);
  return r;
}

// curl's time from the start of the request to its first byte: starttransfer - pretransfer.
const char* const kCurlFormat = "%{time_pretransfer} %{time_starttransfer}\\n";

void readCurlTimes(const std::string& out, Run& r) {
  std::istringstream in(out);
  for (double pre = 0, start = 0; in >> pre >> start;) r.ttfbMs.push_back((start - pre) * 1000);
}

Run curlPerProbe(const HttpTestServer& server, const std::string& curl, const std::string& url, int probes) {
  const std::vector<std::string> argv{curl, "--silent", "--output", "/dev/null", "--write-out", kCurlFormat, url};
  for (int i = 0; i < kWarmupProbes; ++i) capture(argv);
  const auto firstRequest = server.requests().size();
  Run r;
  const double cpu0 = cpuSeconds(RUSAGE_CHILDREN);
  const auto t0 = Clock::now();
  for (int i = 0; i < probes; ++i) readCurlTimes(capture(argv), r);
  r.wallSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpuSeconds = cpuSeconds(RUSAGE_CHILDREN) - cpu0;
  const auto think = thinkMs(server, firstRequest);
  for (std::size_t i = 0; i < r.ttfbMs.size() && i < think.size(); ++i) r.overheadMs.push_back(r.ttfbMs[i] - think[i]);
  return r;
}

// One curl for all probes; "Connection: close" makes every transfer open its own connection, as a
// probe does.
Run curlOneProcess(const HttpTestServer& server, const std::string& curl, const std::string& url, int probes) {
  const std::string config = "/tmp/bench_http_timing_curl_" + std::to_string(getpid()) + ".conf";
  {
    std::ofstream out(config);
    for (int i = 0; i < probes; ++i) out << "url = \"" << url << "\"\noutput = \"/dev/null\"\n";
  }
  const auto firstRequest = server.requests().size();
  Run r;
  const double cpu0 = cpuSeconds(RUSAGE_CHILDREN);
  const auto t0 = Clock::now();
  readCurlTimes(
      capture({curl, "--silent", "--header", "Connection: close", "--write-out", kCurlFormat, "--config", config}), r);
  r.wallSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpuSeconds = cpuSeconds(RUSAGE_CHILDREN) - cpu0;
  std::remove(config.c_str());
  const auto think = thinkMs(server, firstRequest);
  for (std::size_t i = 0; i < r.ttfbMs.size() && i < think.size(); ++i) r.overheadMs.push_back(r.ttfbMs[i] - think[i]);
  if (static_cast<int>(r.ttfbMs.size()) != probes) throw std::runtime_error("curl did not report every transfer");
  return r;
}

void row(const char* name, const Run& r, int probes) {
  std::printf("  %-34s %8.3f %12.3f %11.3f %14.3f %12.3f\n", name, r.wallSeconds, r.cpuSeconds * 1000 / probes,
              mean(r.ttfbMs), median(r.overheadMs), mean(r.overheadMs));
}

}  // namespace

int main(int argc, char** argv) {
  int probes = kDefaultProbes;
  int thinkMsOption = kDefaultThinkMs;
  std::string curl = "curl";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--probes" && i + 1 < argc)
      probes = std::max(1, std::atoi(argv[++i]));
    else if (a == "--think-ms" && i + 1 < argc)
      thinkMsOption = std::max(0, std::atoi(argv[++i]));
    else if (a == "--curl" && i + 1 < argc)
      curl = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_http_timing [--probes N] [--think-ms T] [--curl PATH]\n");
      return 2;
    }
  }
  try {
    HttpTestServer server;
    server.route("/bench", [thinkMsOption](const HttpTestRequest&) {
      HttpTestResponse r;
      r.body = std::string(kBodyBytes, 'b');
      r.firstByteDelay = std::chrono::milliseconds(thinkMsOption);
      return r;
    });
    const auto url = server.url("/bench");
    std::printf("bench_http_timing: %d sequential probes of %s (%zu-byte body, server think time %d ms)\n", probes,
                url.c_str(), kBodyBytes, thinkMsOption);
    const auto a = ours(server, url, probes);
    const auto b = curlPerProbe(server, curl, url, probes);
    const auto c = curlOneProcess(server, curl, url, probes);

    std::printf("\n  %-34s %8s %12s %11s %14s %12s\n", "client", "wall s", "CPU ms/probe", "ttfb ms", "overhead ms",
                "(mean)");
    std::printf("  %-34s %8s %12s %11s %14s %12s\n", "", "", "", "(mean)", "(median)", "");
    row("http_timing (in-process)", a, probes);
    row("curl -w, one process per probe", b, probes);
    row("curl -w, one process, N URLs", c, probes);
    std::printf("\n  overhead = client's time to first byte - server's measured think time, per probe\n");
    std::printf("  (http_timing: ttfb_ms; curl: time_starttransfer - time_pretransfer)\n\n");

    const double wallRatio = a.wallSeconds / b.wallSeconds;
    const double cpuRatio = a.cpuSeconds / b.cpuSeconds;
    std::printf("ratio http_timing / curl per probe:    wall %.3f  CPU %.3f\n", wallRatio, cpuRatio);
    std::printf("ratio http_timing / curl one process:  wall %.3f  CPU %.3f\n", a.wallSeconds / c.wallSeconds,
                a.cpuSeconds / c.cpuSeconds);
    const double overhead = median(a.overheadMs);
    // Below a microsecond (curl's resolution) the ratio says nothing (--think-ms 0).
    const double curlOverhead = median(b.overheadMs);
    if (curlOverhead >= kMinComparableOverheadMs)
      std::printf("ratio of overheads http_timing / curl per probe (median): %.3f\n", overhead / curlOverhead);
    else
      std::printf("ratio of overheads http_timing / curl per probe (median): n/a (curl's is %.3f ms)\n", curlOverhead);
    std::printf("target: CPU below curl per probe: %s (ratio %.3f)\n", cpuRatio < 1 ? "met" : "NOT met", cpuRatio);
    std::printf("target: overhead under %.1f ms: %s (median %.3f ms, %.2f of the target)\n", kOverheadTargetMs,
                overhead < kOverheadTargetMs ? "met" : "NOT met", overhead, overhead / kOverheadTargetMs);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_http_timing: %s\n", e.what());
    return 1;
  }
}

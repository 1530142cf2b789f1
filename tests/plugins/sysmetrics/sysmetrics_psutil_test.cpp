// The real agent with sysmetrics against psutil on the same host at the same time.
//
// psutil_sample.py takes its "before" counters, the test runs `streamswarm-agent --once` (which
// samples over sample_window = 1s), then the script takes its "after" counters and every level.
// Meanwhile a background thread moves loopback bytes and writes to disk, so rates are not zero.
//
// Tolerances (also in plugins/sysmetrics/README.md), and why:
//  - cumulative counters (interface bytes/packets/errors/drops, disk bytes/ops, context switches,
//    interrupts): exact ordering, psutil-before <= agent <= psutil-after, since the agent's reads
//    happen strictly between psutil's; and rate * interval <= psutil's delta.
//  - memory and swap totals, filesystem sizes, CPU count: exact (they do not move).
//  - memory used/free/available/cached/buffers/shared: within 2 % of total; swap likewise; the
//    used percentages within 2 points: other processes allocate, and the page cache grows with
//    the disk writes of this very test, in the ~1 s between the two samples.
//  - filesystem used/free: within 1 % of the filesystem size, percent within 1 point (files are
//    written meanwhile, by this test and possibly others).
//  - load averages: within 0.5; the kernel updates them every 5 s, by at most ~8 % of the
//    distance to the number of runnable tasks, which a 2-core machine keeps well below 0.5.
//  - CPU busy percent: within 15 points overall, 25 per core: the windows overlap but are not the
//    same (psutil's also covers the agent's start-up), ticks are 10 ms, and the machine is shared.
//  - CPU frequency: within 25 %: clocks change within milliseconds with load.
//  - process count within 10 % + 5, threads within 10 % + 10, open files within 10 % + 64, TCP
//    sockets per state within 10 % + 2: processes and sockets come and go between the samples
//    (the agent itself starts a plugin host process).
//  - temperatures: present in both or in neither; the hottest sensor within 5 degrees.
#define BOOST_TEST_MODULE sysmetrics_psutil
#include <boost/test/unit_test.hpp>

#include "labels.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

using namespace sysmetrics_test;
namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kPythonStartTimeout = std::chrono::seconds(30);
constexpr auto kAgentTimeout = std::chrono::seconds(60);
constexpr auto kPythonSampleTimeout = std::chrono::seconds(60);
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, where python3-psutil installs
constexpr int kPsutilMissing = 3;

// A child process with its stdout (and optionally stdin) on pipes; killed if still running when
// the test ends, so a failing test leaves nothing behind.
class Child {
 public:
  Child(const std::vector<std::string>& argv, bool withStdin) {
    int out[2];
    int in[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || (withStdin && ::pipe2(in, O_CLOEXEC) != 0))
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    if (withStdin) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (withStdin) ::close(in[0]);
    out_ = out[0];
    in_ = in[1];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (in_ >= 0) ::close(in_);
  }

  // The next line of stdout, or nothing at EOF or the deadline.
  std::optional<std::string> readLine(Clock::time_point deadline) {
    while (true) {
      const auto newline = buffered_.find('\n');
      if (newline != std::string::npos) {
        auto line = buffered_.substr(0, newline);
        buffered_.erase(0, newline + 1);
        return line;
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // Everything up to EOF; what arrived so far when the deadline passes.
  std::string readAll(Clock::time_point deadline) {
    while (fill(deadline)) {
    }
    return std::exchange(buffered_, {});
  }

  void send(const std::string& text) {
    if (::write(in_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("write to child failed");
  }

  // Exit status, 128 + signal number if it was killed.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  bool fill(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[4096];
    const auto n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::string buffered_;
};

// Loopback TCP connections held open during the samples (so there is something in ESTABLISHED and
// LISTEN to count), and a thread that keeps bytes moving over one of them and writes to a file.
class Activity {
 public:
  explicit Activity(const fs::path& scratch) : scratch_(scratch) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    for (int i = 0; i < 3; ++i) {
      const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("cannot connect to the listener");
      sockets_.push_back(client);
      sockets_.push_back(::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC));
    }
    pump_ = std::thread([this] { run(); });
  }
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;
  ~Activity() {
    stop_ = true;
    pump_.join();
    for (const int s : sockets_) ::close(s);
    ::close(listener_);
  }

 private:
  // Small enough to fit the loopback socket buffers (one thread both sends and receives), paced
  // so the pump itself does not dominate the CPU figures it helps to check.
  static constexpr std::size_t kChunk = 16 * 1024;
  static constexpr auto kPause = std::chrono::milliseconds(1);
  static constexpr auto kFileWriteEvery = std::chrono::milliseconds(100);

  void run() {
    std::vector<char> data(kChunk, 'x');
    auto nextWrite = Clock::now();
    while (!stop_) {
      if (::send(sockets_[0], data.data(), data.size(), 0) > 0) {
        std::size_t got = 0;
        while (got < data.size()) {
          const auto n = ::recv(sockets_[1], data.data(), data.size() - got, 0);
          if (n <= 0) break;
          got += static_cast<std::size_t>(n);
        }
      }
      if (Clock::now() >= nextWrite) {
        nextWrite += kFileWriteEvery;
        const int fd = ::open((scratch_ / "written").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
          if (::write(fd, data.data(), data.size()) > 0) ::fsync(fd);
          ::close(fd);
        }
      }
      std::this_thread::sleep_for(kPause);
    }
  }

  fs::path scratch_;
  int listener_ = -1;
  std::vector<int> sockets_;
  std::atomic<bool> stop_{false};
  std::thread pump_;
};

double num(const json::value& v) {
  return v.to_number<double>();
}

struct Compared {
  const json::object& agent;  // the "metrics" object of the agent's result line

  std::optional<double> find(const std::string& name) const {
    const auto* v = agent.if_contains(name);
    return v ? std::optional<double>(num(*v)) : std::nullopt;
  }
  double at(const std::string& name) const {
    const auto v = find(name);
    BOOST_TEST_REQUIRE(v.has_value(), "the agent reported no " << name);
    return *v;
  }
  void near(const std::string& name, double expected, double tolerance) const {
    const double actual = at(name);
    BOOST_TEST(std::fabs(actual - expected) <= tolerance,
               name << ": agent " << actual << ", psutil " << expected << ", tolerance " << tolerance);
  }
  // A cumulative counter read between psutil's two reads, and its rate over `interval` seconds.
  void between(const std::string& prefix, const std::string& counter, double before, double after,
               double interval) const {
    const double total = at(prefix + counter + "_total");
    BOOST_TEST((before <= total && total <= after), prefix << counter << "_total: agent " << total
                                                           << " not within psutil's [" << before << ", " << after
                                                           << "]");
    if (const auto rate = find(prefix + counter + "_per_s"))
      BOOST_TEST((*rate >= 0 && *rate * interval <= (after - before) * (1 + 1e-12) + 1e-6),
                 prefix << counter << "_per_s: " << *rate << "/s over " << interval << " s exceeds psutil's delta "
                        << after - before);
  }
};

bool excludedDisk(const std::string& name) {
  return name.starts_with("loop") || name.starts_with("ram");
}

}  // namespace

BOOST_AUTO_TEST_CASE(agent_agrees_with_psutil) {
  const auto buildDir = fs::path(std::getenv("STREAMSWARM_BUILD_DIR") ? std::getenv("STREAMSWARM_BUILD_DIR") : "");
  const auto agentPath = buildDir / "bin/streamswarm-agent";
  const auto script = sourceDir() / "tests/plugins/sysmetrics/psutil_sample.py";
  BOOST_TEST_REQUIRE(fs::exists(agentPath), "the agent is not built: " << agentPath);
  BOOST_TEST_REQUIRE(fs::exists(kPython), kPython << " is missing (apt-get install python3 python3-psutil)");

  TempDir dir;
  writeText(dir / "agent.conf",
            "[agent]\nname = test-host\n\n"
            "[plugin.sysmetrics]\nrun_every = 10s\nrun_timeout = 10s\nsample_window = 1s\n");
  Activity activity(dir.path());

  Child python({kPython, script.string()}, true);
  const auto ready = python.readLine(Clock::now() + kPythonStartTimeout);
  if (!ready || *ready != "ready") {
    const auto rest = python.readAll(Clock::now() + std::chrono::seconds(5));
    const int status = python.wait();
    BOOST_TEST_REQUIRE(status != kPsutilMissing, "python3-psutil is not installed (apt-get install python3-psutil)");
    BOOST_FAIL("psutil_sample.py did not start (exit " << status << "): " << ready.value_or("") << rest);
  }

  Child agent({agentPath.string(), "--once", "--config", (dir / "agent.conf").string()}, false);
  const auto agentOutput = agent.readAll(Clock::now() + kAgentTimeout);
  const int agentStatus = agent.wait();

  python.send("sample\n");
  const auto pythonOutput = python.readAll(Clock::now() + kPythonSampleTimeout);
  BOOST_TEST_REQUIRE(python.wait() == 0, "psutil_sample.py failed: " << pythonOutput);
  BOOST_TEST_REQUIRE(agentStatus == 0, "streamswarm-agent exited with " << agentStatus << ": " << agentOutput);

  std::optional<json::object> line;
  std::istringstream lines(agentOutput);
  for (std::string text; std::getline(lines, text);) {
    auto v = json::parse(text);
    if (v.as_object().at("plugin").as_string() == "sysmetrics") line = v.as_object();
  }
  BOOST_TEST_REQUIRE(line.has_value(), "no sysmetrics result in the agent's output: " << agentOutput);
  BOOST_TEST_REQUIRE(!line->contains("error"), "the result has an error: " << json::serialize(*line));
  const auto& document = line->at("document").as_object();
  BOOST_TEST(num(line->at("document_schema")) == 1.0);
  const double interval = num(document.at("interval_s"));
  BOOST_TEST((interval >= 0.99 && interval < 10), "first-run interval " << interval << " s, expected ~1 s");

  const auto py = json::parse(pythonOutput).as_object();
  const Compared a{line->at("metrics").as_object()};
  const auto& before = py.at("before").as_object();
  const auto& after = py.at("after").as_object();

  // CPU.
  a.near("cpu.percent", num(py.at("cpu_percent")), 15);
  const auto& perCpu = py.at("cpu_percent_per_cpu").as_array();
  BOOST_TEST(a.at("cpu.count") == num(py.at("cpu_count")));
  for (std::size_t i = 0; i < perCpu.size(); ++i)
    a.near("cpu.cpu" + std::to_string(i) + ".percent", num(perCpu[i]), 25);
  if (!py.at("cpu_freq_mhz").is_null()) {
    const double mhz = num(py.at("cpu_freq_mhz"));
    a.near("cpu.frequency_mhz", mhz, 0.25 * mhz);
  }
  a.between("cpu.", "context_switches", num(before.at("context_switches")), num(after.at("context_switches")),
            interval);
  a.between("cpu.", "interrupts", num(before.at("interrupts")), num(after.at("interrupts")), interval);

  // Memory and swap.
  const auto& mem = py.at("mem").as_object();
  const double total = num(mem.at("total"));
  BOOST_TEST(a.at("mem.total_bytes") == total);
  for (const auto* field : {"available", "used", "free", "cached", "buffers", "shared"})
    a.near(std::string("mem.") + field + "_bytes", num(mem.at(field)), 0.02 * total);
  a.near("mem.used_percent", num(mem.at("percent")), 2);
  const auto& swap = py.at("swap").as_object();
  const double swapTotal = num(swap.at("total"));
  BOOST_TEST(a.at("swap.total_bytes") == swapTotal);
  a.near("swap.used_bytes", num(swap.at("used")), 0.02 * swapTotal);
  a.near("swap.free_bytes", num(swap.at("free")), 0.02 * swapTotal);
  a.near("swap.used_percent", num(swap.at("percent")), 2);

  // Load.
  const auto& load = py.at("load").as_array();
  a.near("load.1m", num(load[0]), 0.5);
  a.near("load.5m", num(load[1]), 0.5);
  a.near("load.15m", num(load[2]), 0.5);

  // Network: the same interfaces, every counter between psutil's two reads.
  const auto& netBefore = before.at("net").as_object();
  const auto& netAfter = after.at("net").as_object();
  std::set<std::string> agentInterfaces;
  for (const auto& [name, value] : a.agent)
    if (name.starts_with("net.") && name.ends_with(".rx_bytes_total"))
      agentInterfaces.insert(std::string(name.substr(4, name.size() - 4 - 15)));
  std::set<std::string> psutilInterfaces;
  for (const auto& [name, value] : netAfter)
    if (netBefore.contains(name)) psutilInterfaces.insert(streamswarm::sysmetrics::nameLabel(name));
  BOOST_TEST(agentInterfaces == psutilInterfaces);
  for (const auto& [name, value] : netAfter) {
    if (!netBefore.contains(name)) continue;
    const auto prefix = "net." + streamswarm::sysmetrics::nameLabel(name) + ".";
    for (const auto& [counter, v] : value.as_object())
      a.between(prefix, std::string(counter), num(netBefore.at(name).as_object().at(counter)), num(v), interval);
  }
  BOOST_TEST(a.at("net.lo.rx_bytes_per_s") > 0.0, "bytes were moving over loopback all along");

  // Disks: the same devices (but loop and RAM disks), every counter between psutil's reads.
  const auto& diskBefore = before.at("disk").as_object();
  const auto& diskAfter = after.at("disk").as_object();
  double wholeDiskWriteDelta = 0;
  for (const auto& [name, value] : diskAfter) {
    const std::string device(name);
    if (excludedDisk(device) || !diskBefore.contains(name)) continue;
    const auto prefix = "disk." + streamswarm::sysmetrics::nameLabel(device) + ".";
    for (const auto* counter : {"read_bytes", "write_bytes", "read_ops", "write_ops"})
      a.between(prefix, counter, num(diskBefore.at(name).as_object().at(counter)), num(value.as_object().at(counter)),
                interval);
    const double busy = a.at(prefix + "busy_percent");
    BOOST_TEST((busy >= 0 && busy <= 100), prefix << "busy_percent " << busy);
    if (value.as_object().at("whole").as_bool())
      wholeDiskWriteDelta +=
          num(value.as_object().at("write_bytes")) - num(diskBefore.at(name).as_object().at("write_bytes"));
  }
  for (const auto& [name, value] : a.agent)
    if (name.starts_with("disk.") && name.ends_with(".read_ops_total"))
      BOOST_TEST(name.find("loop") == std::string::npos, name);
  BOOST_TEST(a.at("disk.write_bytes_per_s") * interval <= wholeDiskWriteDelta + 1e-6);

  // Filesystems: the same mount points, sizes exact, usage close.
  std::map<std::string, std::string> labelOf;
  for (const auto& f : document.at("filesystems").as_array())
    labelOf[std::string(f.as_object().at("mountpoint").as_string())] =
        std::string(f.as_object().at("label").as_string());
  std::set<std::string> psutilMounts;
  for (const auto& entry : py.at("filesystems").as_array()) {
    const auto& f = entry.as_object();
    const std::string mountPoint(f.at("mountpoint").as_string());
    psutilMounts.insert(mountPoint);
    if (!labelOf.count(mountPoint)) continue;
    const auto prefix = "fs." + labelOf[mountPoint] + ".";
    const double size = num(f.at("total"));
    BOOST_TEST(a.at(prefix + "total_bytes") == size, mountPoint);
    a.near(prefix + "used_bytes", num(f.at("used")), 0.01 * size);
    a.near(prefix + "free_bytes", num(f.at("free")), 0.01 * size);
    a.near(prefix + "used_percent", num(f.at("percent")), 1);
  }
  std::set<std::string> agentMounts;
  for (const auto& [mountPoint, label] : labelOf) agentMounts.insert(mountPoint);
  BOOST_TEST(agentMounts == psutilMounts);

  // Processes, TCP, files.
  const double pids = num(py.at("pids"));
  a.near("proc.count", pids, 0.1 * pids + 5);
  const double threads = num(py.at("threads"));
  a.near("proc.threads", threads, 0.1 * threads + 10);
  BOOST_TEST(a.at("proc.running") >= 1.0, "the reader itself was running");
  const auto& tcp = py.at("tcp").as_object();
  for (const auto* state : {"established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait", "close",
                            "close_wait", "last_ack", "listen", "closing"}) {
    const double expected = tcp.contains(state) ? num(tcp.at(state)) : 0.0;
    a.near(std::string("tcp.") + state, expected, 0.1 * expected + 2);
  }
  BOOST_TEST(a.at("tcp.established") >= 6.0, "the test holds 3 loopback connections (6 sockets) open");
  BOOST_TEST(a.at("tcp.listen") >= 1.0);
  const double tcpTotal = num(py.at("tcp_total"));
  a.near("tcp.total", tcpTotal, 0.1 * tcpTotal + 2);
  const auto& fileNr = py.at("file_nr").as_array();
  const double open = num(fileNr[0]) - num(fileNr[1]);
  a.near("fd.open", open, 0.1 * open + 64);
  BOOST_TEST(a.at("fd.max") == num(fileNr[2]));

  // Temperatures, where the host has sensors.
  double hottest = -1e9;
  std::size_t agentSensors = 0;
  for (const auto& [name, value] : a.agent)
    if (name.starts_with("temp.")) {
      ++agentSensors;
      hottest = std::max(hottest, num(value));
    }
  const auto& temps = py.at("temperatures").as_array();
  BOOST_TEST((agentSensors == 0) == temps.empty());
  if (!temps.empty()) {
    double psutilHottest = -1e9;
    for (const auto& t : temps) psutilHottest = std::max(psutilHottest, num(t));
    BOOST_TEST(std::fabs(hottest - psutilHottest) <= 5.0);
  }
}

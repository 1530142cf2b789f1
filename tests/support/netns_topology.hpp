// Builds throw-away networks out of Linux network namespaces for integration tests: nodes
// (namespaces), veth links with IPv4/IPv6 addresses, routes, forwarding, sysctls and nftables
// rules. Every namespace is deleted when the topology goes out of scope (veth pairs go with them),
// also when a test fails; a process killed before its destructor ran leaves namespaces whose
// names carry its pid, and the next topology built with the same tag removes those.
//
//   NetnsTopology net("trace");
//   const auto chain = net.buildChain(3, 77);  // src - r1 - r2 - r3 - dst, dual stack
//   net.exec("src", {"ping", "-c1", chain.hopAddress(4, Family::V4)});
//   net.runIn("src", [&] { /* sockets opened here live in "src" */ });
#pragma once

#include "tests/support/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace streamswarm::testsupport {

// Why namespaces cannot be built here (not root, no `ip`, a container without CAP_SYS_ADMIN), or ""
// when they can. Tests that need them skip with this reason instead of failing.
inline std::string namespacesUnavailable() {
  if (::geteuid() != 0) return "needs root to create network namespaces";
  if (run({"sh", "-c", "command -v ip && command -v sysctl"}).status != 0)
    return "needs iproute2 (ip) and procps (sysctl)";
  const auto probe = "ss-probe-" + std::to_string(::getpid());
  const auto added = run({"ip", "netns", "add", probe});
  if (added.status != 0) return "cannot create a network namespace here: " + added.err;
  run({"ip", "netns", "del", probe});
  return {};
}

class NetnsTopology {
 public:
  enum class Family { V4, V6 };

  // Time for links to come up and neighbours to answer before waitReachable() gives up.
  static constexpr std::chrono::seconds kSettleTimeout{10};

  explicit NetnsTopology(std::string tag) : tag_(std::move(tag)), prefix_("ss-" + tag_ + "-") { removeStale(); }
  ~NetnsTopology() {
    for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) run({"ip", "netns", "del", *it});
  }
  NetnsTopology(const NetnsTopology&) = delete;
  NetnsTopology& operator=(const NetnsTopology&) = delete;

  std::string nsName(const std::string& node) const { return prefix_ + std::to_string(::getpid()) + "-" + node; }

  // A namespace with loopback up and IPv6 duplicate address detection off (addresses usable at
  // once); a router also forwards IPv4 and IPv6.
  void addNode(const std::string& node, bool router = false) {
    const auto ns = nsName(node);
    must({"ip", "netns", "add", ns});
    nodes_.push_back(ns);
    must(execArgs(node, {"ip", "link", "set", "lo", "up"}));
    sysctl(node, "net.ipv6.conf.default.accept_dad", "0");
    sysctl(node, "net.ipv6.conf.all.accept_dad", "0");
    if (router) {
      sysctl(node, "net.ipv4.ip_forward", "1");
      sysctl(node, "net.ipv6.conf.all.forwarding", "1");
    }
  }

  // A veth pair between two nodes; addresses in CIDR form ("10.0.0.1/24", "fd00::1/64").
  void link(const std::string& a, const std::string& ifA, const std::vector<std::string>& addressesA,
            const std::string& b, const std::string& ifB, const std::vector<std::string>& addressesB) {
    must({"ip", "link", "add", ifA, "netns", nsName(a), "type", "veth", "peer", "name", ifB, "netns", nsName(b)});
    for (const auto& [node, iface, addresses] : {std::tuple{a, ifA, addressesA}, std::tuple{b, ifB, addressesB}}) {
      for (const auto& address : addresses) {
        std::vector<std::string> argv = {"ip", "addr", "add", address, "dev", iface};
        if (address.find(':') != std::string::npos) argv.push_back("nodad");
        must(execArgs(node, argv));
      }
      must(execArgs(node, {"ip", "link", "set", iface, "up"}));
    }
  }

  // `destination` is a prefix or "default"; IPv6 when `via` is an IPv6 address.
  void route(const std::string& node, const std::string& destination, const std::string& via) {
    const bool v6 = via.find(':') != std::string::npos;
    must(execArgs(node, {"ip", v6 ? "-6" : "-4", "route", "replace", destination, "via", via}));
  }

  void sysctl(const std::string& node, const std::string& key, const std::string& value) {
    must(execArgs(node, {"sysctl", "-qw", key + "=" + value}));
  }

  // Loads an nftables ruleset (nft -f syntax) into a node.
  void nft(const std::string& node, const std::string& ruleset) {
    TempDir dir;
    writeFile(dir / "rules.nft", ruleset);
    must(execArgs(node, {"nft", "-f", (dir / "rules.nft").string()}));
  }

  std::vector<std::string> execArgs(const std::string& node, std::vector<std::string> argv) const {
    argv.insert(argv.begin(), {"ip", "netns", "exec", nsName(node)});
    return argv;
  }

  RunOutput exec(const std::string& node, const std::vector<std::string>& argv,
                 std::chrono::milliseconds limit = std::chrono::minutes(2)) const {
    return run(execArgs(node, argv), limit);
  }

  // Runs `fn` on a thread that joined the node's network namespace: sockets it opens live there.
  template <class F>
  auto runIn(const std::string& node, F&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    std::packaged_task<Result()> task([&]() -> Result {
      const auto path = "/run/netns/" + nsName(node);
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error("cannot open " + path);
      const int rc = ::setns(fd, CLONE_NEWNET);
      ::close(fd);
      if (rc != 0) throw std::runtime_error("setns into " + path + " failed");
      return fn();
    });
    auto result = task.get_future();
    std::thread(std::move(task)).join();
    return result.get();
  }

  // Waits until `node` gets an answer from `address` (links up, neighbours resolved).
  void waitReachable(const std::string& node, const std::string& address) {
    const auto deadline = std::chrono::steady_clock::now() + kSettleTimeout;
    while (exec(node, {"ping", "-c", "1", "-W", "1", address}).status != 0) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(node + " cannot reach " + address + " within " +
                                 std::to_string(kSettleTimeout.count()) + " s");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // A line of `routers` routers between "src" and "dst": src - r1 - ... - rN - dst. Link k (1-based,
  // between node k-1 and node k) is 10.<net>.<k>.0/24 and fd00:<net>:<k>::/64, with .1/::1 on the
  // left end and .2/::2 on the right. Every node routes both ways; neighbours are resolved.
  struct Chain {
    int routers = 0;
    int net = 0;
    std::vector<std::string> nodes;  // "src", "r1", ..., "dst"

    // The right end of link k: the address node k (router k, or dst) answers src from.
    std::string hopAddress(int k, Family family) const {
      return family == Family::V4 ? "10." + std::to_string(net) + "." + std::to_string(k) + ".2"
                                  : "fd00:" + std::to_string(net) + ":" + std::to_string(k) + "::2";
    }
    // The left end of link k: node k-1's address on it.
    std::string leftAddress(int k, Family family) const {
      return family == Family::V4 ? "10." + std::to_string(net) + "." + std::to_string(k) + ".1"
                                  : "fd00:" + std::to_string(net) + ":" + std::to_string(k) + "::1";
    }
    std::string destination(Family family) const { return hopAddress(routers + 1, family); }
    std::string source(Family family) const { return leftAddress(1, family); }
  };

  Chain buildChain(int routers, int net) {
    Chain c;
    c.routers = routers;
    c.net = net;
    c.nodes.push_back("src");
    for (int r = 1; r <= routers; ++r) c.nodes.push_back("r" + std::to_string(r));
    c.nodes.push_back("dst");
    for (std::size_t i = 0; i < c.nodes.size(); ++i) addNode(c.nodes[i], i > 0 && i + 1 < c.nodes.size());
    const auto prefix = [&](int k, Family f) {
      return f == Family::V4 ? "10." + std::to_string(net) + "." + std::to_string(k) + ".0/24"
                             : "fd00:" + std::to_string(net) + ":" + std::to_string(k) + "::/64";
    };
    const int links = routers + 1;
    for (int k = 1; k <= links; ++k) {
      link(c.nodes[static_cast<std::size_t>(k - 1)], "right",
           {c.leftAddress(k, Family::V4) + "/24", c.leftAddress(k, Family::V6) + "/64"},
           c.nodes[static_cast<std::size_t>(k)], "left",
           {c.hopAddress(k, Family::V4) + "/24", c.hopAddress(k, Family::V6) + "/64"});
    }
    for (int k = 0; k <= links; ++k) {
      const auto& node = c.nodes[static_cast<std::size_t>(k)];
      for (const auto f : {Family::V4, Family::V6}) {
        if (k < links) route(node, "default", c.hopAddress(k + 1, f));               // toward dst
        for (int j = 1; j < k; ++j) route(node, prefix(j, f), c.leftAddress(k, f));  // back toward src
      }
    }
    for (const auto f : {Family::V4, Family::V6}) waitReachable("src", c.destination(f));
    return c;
  }

 private:
  static void must(const std::vector<std::string>& argv) {
    const auto r = run(argv, std::chrono::seconds(30));
    if (r.status != 0) {
      std::string command;
      for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
      throw std::runtime_error("`" + command + "` failed (" + std::to_string(r.status) + "): " + r.err);
    }
  }

  // Namespaces of this tag left by a process that no longer exists.
  void removeStale() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
      const auto name = entry.path().filename().string();
      if (name.rfind(prefix_, 0) != 0) continue;
      const auto rest = name.substr(prefix_.size());
      const auto dash = rest.find('-');
      if (dash == std::string::npos || rest.find_first_not_of("0123456789") != dash) continue;
      const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
      if (pid == ::getpid() || ::kill(pid, 0) == 0) continue;
      run({"ip", "netns", "del", name});
    }
  }

  std::string tag_;
  std::string prefix_;
  std::vector<std::string> nodes_;  // namespace names, in creation order
};

}  // namespace streamswarm::testsupport

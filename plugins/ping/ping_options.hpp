// The ping plugin's options: declared keys (with defaults and bounds) and the validated values.
#pragma once

#include "common/ip_address.hpp"
#include "common/name_resolver.hpp"
#include "common/probe_socket.hpp"

#include <streamswarm/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::ping {

constexpr std::size_t kMaxTargets = 10000;
constexpr int kMaxCount = 10000;
// targets x count: the per-packet records of one run stay in the tens of megabytes.
constexpr std::size_t kMaxPacketsPerRun = 1'000'000;
// Largest ICMPv4 echo payload: 65535 - 20 (IPv4 header) - 8 (ICMP header).
constexpr int kMaxPayloadBytes = 65507;

struct PingOptions {
  std::vector<std::string> targets;
  int count = 5;
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};
  std::chrono::nanoseconds timeout{std::chrono::seconds(2)};
  std::size_t size = 56;
  double sendRate = 1000;  // packets per second over all targets; 0: no limit
  std::optional<int> tos;  // IPv4 TOS / IPv6 traffic class byte (DSCP << 2)
  std::optional<int> ttl;
  std::optional<netprobe::IpAddress> source;
  std::string interface;
  netprobe::FamilyChoice family = netprobe::FamilyChoice::Any;
  netprobe::IcmpSocketPreference socket = netprobe::IcmpSocketPreference::Auto;
};

std::span<const ss_config_key> pingConfigKeys();

// Reads validated options (see Options::validated); throws ConfigError naming the option.
PingOptions parsePingOptions(const Options& options);

}  // namespace streamswarm::ping

// The traceroute plugin's options: declared keys (with defaults and bounds) and validated values.
#pragma once

#include "common/ip_address.hpp"
#include "common/name_resolver.hpp"

#include <streamswarm/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::traceroute {

constexpr std::size_t kMaxTargets = 1000;
constexpr int kMaxHops = 255;
constexpr int kMaxProbesPerHop = 100;
constexpr std::uint16_t kDefaultUdpPort = 33434;  // traceroute's
constexpr std::uint16_t kDefaultTcpPort = 80;

// Time between rounds when not configured. Routers limit the ICMP errors they send to one source
// (Linux: a burst of 6, then 1/s), and each router sees one expiring probe per round: up to
// kBurstRounds rounds fit in the burst and go back to back; more are spread 500 ms apart, which
// keeps 10 probes per hop within the budget. UDP probes beyond the destination (round 0 probes
// every TTL) also spend its budget for port unreachables, so UDP rounds are 1 s apart.
constexpr int kBurstRounds = 5;
constexpr std::chrono::milliseconds kSpreadInterval{500};
constexpr std::chrono::milliseconds kUdpInterval{1000};
// A round waits for the previous one to show where the destination is (or to time out) before it
// goes out, so later rounds stop at the destination; it waits no longer than this.
constexpr std::chrono::milliseconds kDistanceWait{1000};

enum class TraceMode : std::uint8_t { Icmp, Udp, Tcp };
const char* modeName(TraceMode mode);

struct TraceOptions {
  std::vector<std::string> targets;
  TraceMode mode = TraceMode::Icmp;
  int firstTtl = 1;
  int maxHops = 30;
  int probes = 3;
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{std::chrono::seconds(2)};
  std::uint16_t port = 0;                   // destination port (UDP, TCP)
  std::optional<std::uint16_t> sourcePort;  // unset: one picked per instance, kept across runs
  std::optional<int> tos;
  std::optional<netprobe::IpAddress> source;
  std::string interface;
  netprobe::FamilyChoice family = netprobe::FamilyChoice::Any;
};

std::span<const ss_config_key> traceConfigKeys();

// Reads validated options (see Options::validated); throws ConfigError naming the option.
TraceOptions parseTraceOptions(const Options& options);

}  // namespace streamswarm::traceroute

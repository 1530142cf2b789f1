#include "traceroute/traceroute_options.hpp"

#include <set>

namespace streamswarm::traceroute {
namespace {

constexpr ss_config_key kConfigKeys[] = {
    option("targets", SS_TYPE_LIST, nullptr,
           "Hosts to trace: names or IPv4/IPv6 addresses, comma-separated. Names resolve once per run."),
    choice("mode", "icmp", "icmp|udp|tcp",
           "Probe kind: ICMP echo, UDP to `port` (traceroute's default), or TCP SYN to `port` (through firewalls)"),
    option("max_hops", SS_TYPE_INT, "30", "Highest TTL probed", 1, kMaxHops),
    option("first_ttl", SS_TYPE_INT, "1", "Lowest TTL probed (hops before it are not shown)", 1, kMaxHops),
    option("probes", SS_TYPE_INT, "3", "Probes per hop (rounds); the per-hop statistics are over these", 1,
           kMaxProbesPerHop),
    option("interval", SS_TYPE_DURATION, "",
           "Least time between the starts of two rounds. Empty: 0 for up to 5 probes, else 500ms (udp: 1s). "
           "Routers limit their ICMP errors (Linux: 6 at once, then 1/s): shorter intervals lose answers",
           0, 60),
    option("timeout", SS_TYPE_DURATION, "2s", "How long to wait for each probe's answer", 0.001, 60),
    option("port", SS_TYPE_INT, "", "Destination port for udp (default 33434) and tcp (default 80)", 1, 65535),
    option("source_port", SS_TYPE_INT, "",
           "Source port for udp and tcp; empty: one picked per plugin instance and kept, so every run "
           "follows the same load-balanced path",
           1, 65535),
    option("tos", SS_TYPE_INT, "", "IPv4 TOS / IPv6 traffic class byte of the probes; empty: system default", 0, 255),
    option("source", SS_TYPE_STRING, "", "Source address to send from (must be local); empty: chosen by routing"),
    option("interface", SS_TYPE_STRING, "", "Network interface to send through (SO_BINDTODEVICE); empty: any"),
    choice("family", "auto", "auto|ipv4|ipv6", "Address family for names: auto takes the resolver's first address"),
};

}  // namespace

const char* modeName(TraceMode mode) {
  switch (mode) {
    case TraceMode::Icmp: return "icmp";
    case TraceMode::Udp: return "udp";
    case TraceMode::Tcp: return "tcp";
  }
  return "icmp";
}

std::span<const ss_config_key> traceConfigKeys() {
  return kConfigKeys;
}

TraceOptions parseTraceOptions(const Options& o) {
  TraceOptions t;
  t.targets = o.list("targets");
  if (t.targets.empty()) throw ConfigError("option 'targets': no target given");
  if (t.targets.size() > kMaxTargets)
    throw ConfigError("option 'targets': " + std::to_string(t.targets.size()) + " targets, at most " +
                      std::to_string(kMaxTargets));
  std::set<std::string> seen;
  for (const auto& target : t.targets)
    if (!seen.insert(target).second) throw ConfigError("option 'targets': '" + target + "' is listed twice");
  const auto& mode = o.text("mode");
  t.mode = mode == "udp" ? TraceMode::Udp : mode == "tcp" ? TraceMode::Tcp : TraceMode::Icmp;
  t.maxHops = static_cast<int>(o.integer("max_hops"));
  t.firstTtl = static_cast<int>(o.integer("first_ttl"));
  if (t.firstTtl > t.maxHops)
    throw ConfigError("option 'first_ttl': " + std::to_string(t.firstTtl) + " is above max_hops (" +
                      std::to_string(t.maxHops) + ")");
  t.probes = static_cast<int>(o.integer("probes"));
  if (o.isSet("interval"))
    t.interval = o.duration("interval");
  else if (t.mode == TraceMode::Udp)
    t.interval = kUdpInterval;
  else
    t.interval = t.probes <= kBurstRounds ? std::chrono::nanoseconds(0) : std::chrono::nanoseconds(kSpreadInterval);
  t.timeout = o.duration("timeout");
  if (o.isSet("port") && t.mode == TraceMode::Icmp)
    throw ConfigError("option 'port': icmp probes have no port (use mode udp or tcp)");
  t.port = o.isSet("port") ? static_cast<std::uint16_t>(o.integer("port"))
                           : (t.mode == TraceMode::Tcp ? kDefaultTcpPort : kDefaultUdpPort);
  if (o.isSet("source_port")) {
    if (t.mode == TraceMode::Icmp) throw ConfigError("option 'source_port': icmp probes have no port");
    t.sourcePort = static_cast<std::uint16_t>(o.integer("source_port"));
  }
  if (o.isSet("tos")) t.tos = static_cast<int>(o.integer("tos"));
  if (o.isSet("source")) {
    t.source = netprobe::IpAddress::parse(o.text("source"));
    if (!t.source) throw ConfigError("option 'source': '" + o.text("source") + "' is not an IPv4 or IPv6 address");
  }
  t.interface = o.text("interface");
  t.family = *netprobe::familyChoiceFromName(o.text("family"));
  if (t.source && t.family != netprobe::FamilyChoice::Any &&
      (t.family == netprobe::FamilyChoice::V4) != (t.source->family() == netprobe::Family::V4))
    throw ConfigError("option 'source': " + t.source->toString() + " is not an address of family " + o.text("family"));
  return t;
}

}  // namespace streamswarm::traceroute

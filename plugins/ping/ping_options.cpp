#include "ping/ping_options.hpp"

#include <set>

namespace streamswarm::ping {
namespace {

constexpr ss_config_key kConfigKeys[] = {
    option("targets", SS_TYPE_LIST, nullptr,
           "Hosts to ping: names or IPv4/IPv6 addresses, comma-separated. Names resolve once per run."),
    option("count", SS_TYPE_INT, "5", "Echo requests sent to each target per run", 1, kMaxCount),
    option("interval", SS_TYPE_DURATION, "1s", "Time between two requests to the same target", 0.001, 3600),
    option("timeout", SS_TYPE_DURATION, "2s",
           "How long to wait for each reply; a later reply counts as late, not received", 0.001, 60),
    option("size", SS_TYPE_INT, "56", "ICMP payload bytes per request (as ping -s)", 0, kMaxPayloadBytes),
    option("send_rate", SS_TYPE_DOUBLE, "1000",
           "Most requests per second over all targets together (as fping -i); 0: no limit", 0, 1e6),
    option("tos", SS_TYPE_INT, "", "IPv4 TOS / IPv6 traffic class byte of the requests; empty: system default", 0, 255),
    option("dscp", SS_TYPE_INT, "", "DSCP code point (0-63) of the requests; the alternative to tos", 0, 63),
    option("ttl", SS_TYPE_INT, "", "TTL / hop limit of the requests; empty: system default", 1, 255),
    option("source", SS_TYPE_STRING, "", "Source address to send from (must be local); empty: chosen by routing"),
    option("interface", SS_TYPE_STRING, "", "Network interface to send through (SO_BINDTODEVICE); empty: any"),
    choice("family", "auto", "auto|ipv4|ipv6", "Address family for names: auto takes the resolver's first address"),
    choice("socket", "auto", "auto|raw|datagram",
           "ICMP socket kind: raw needs CAP_NET_RAW, datagram needs net.ipv4.ping_group_range; auto tries raw first"),
};

}  // namespace

std::span<const ss_config_key> pingConfigKeys() {
  return kConfigKeys;
}

PingOptions parsePingOptions(const Options& o) {
  PingOptions p;
  p.targets = o.list("targets");
  if (p.targets.empty()) throw ConfigError("option 'targets': no target given");
  if (p.targets.size() > kMaxTargets)
    throw ConfigError("option 'targets': " + std::to_string(p.targets.size()) + " targets, at most " +
                      std::to_string(kMaxTargets));
  std::set<std::string> seen;
  for (const auto& t : p.targets)
    if (!seen.insert(t).second) throw ConfigError("option 'targets': '" + t + "' is listed twice");
  p.count = static_cast<int>(o.integer("count"));
  if (p.targets.size() * static_cast<std::size_t>(p.count) > kMaxPacketsPerRun)
    throw ConfigError("option 'count': targets x count exceeds " + std::to_string(kMaxPacketsPerRun) +
                      " packets per run");
  p.interval = o.duration("interval");
  p.timeout = o.duration("timeout");
  p.size = static_cast<std::size_t>(o.integer("size"));
  p.sendRate = o.number("send_rate");
  if (o.isSet("tos") && o.isSet("dscp")) throw ConfigError("option 'dscp': set either tos or dscp, not both");
  if (o.isSet("tos")) p.tos = static_cast<int>(o.integer("tos"));
  if (o.isSet("dscp")) p.tos = static_cast<int>(o.integer("dscp")) << 2;
  if (o.isSet("ttl")) p.ttl = static_cast<int>(o.integer("ttl"));
  if (o.isSet("source")) {
    p.source = netprobe::IpAddress::parse(o.text("source"));
    if (!p.source) throw ConfigError("option 'source': '" + o.text("source") + "' is not an IPv4 or IPv6 address");
  }
  p.interface = o.text("interface");
  p.family = *netprobe::familyChoiceFromName(o.text("family"));
  if (p.source && p.family != netprobe::FamilyChoice::Any &&
      (p.family == netprobe::FamilyChoice::V4) != (p.source->family() == netprobe::Family::V4))
    throw ConfigError("option 'source': " + p.source->toString() + " is not an address of family " + o.text("family"));
  const auto& socket = o.text("socket");
  p.socket = socket == "raw"        ? netprobe::IcmpSocketPreference::Raw
             : socket == "datagram" ? netprobe::IcmpSocketPreference::Datagram
                                    : netprobe::IcmpSocketPreference::Auto;
  return p;
}

}  // namespace streamswarm::ping

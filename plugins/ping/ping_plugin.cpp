// The plugin's exports and nothing else: the manifest and the entry alias.
#include "ping/ping_probe.hpp"

#include <streamswarm/plugin.hpp>

STREAMSWARM_PLUGIN(streamswarm::ping::PingProbe, "ping", "1.0.0",
                   "ICMP echo to many targets from one socket: loss, duplicates, RTT statistics, jitter, reply TTL")

// The plugin's exports and nothing else: the manifest and the entry alias.
#include "traceroute/traceroute_probe.hpp"

#include <streamswarm/plugin.hpp>

STREAMSWARM_PLUGIN(streamswarm::traceroute::TracerouteProbe, "traceroute", "1.0.0",
                   "Paris traceroute (ICMP, UDP, TCP SYN) with mtr per-hop statistics and path-change detection")

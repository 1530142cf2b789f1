// The plugin's exports and nothing else: the manifest and the entry alias.
#include "http_timing_probe.hpp"

#include <streamswarm/plugin.hpp>

STREAMSWARM_PLUGIN(streamswarm::http_timing::HttpTimingProbe, "http_timing", "1.0.0",
                   "HTTP(S) timing per phase (DNS, connect, TLS, first byte, transfer), status, TLS certificate "
                   "and body checks; DNS-only and TCP-connect modes")

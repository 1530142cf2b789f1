// The plugin's exports and nothing else: the manifest and the entry alias.
#include "sys_metrics_probe.hpp"

#include <streamswarm/plugin.hpp>

STREAMSWARM_PLUGIN(
    streamswarm::sysmetrics::SysMetricsProbe, "sysmetrics", "1.0.0",
    "Host CPU, memory, disk, filesystem, network, process, TCP and temperature metrics from /proc and /sys")

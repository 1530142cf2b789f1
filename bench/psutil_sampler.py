#!/usr/bin/python3
"""Baseline for bench_agent_footprint: samples with psutil what the sysmetrics plugin reads, once
per interval, and prints one JSON line per sample on stdout, as the agent prints one per result.

Run by Debian's /usr/bin/python3 with python3-psutil; exits 3 when psutil cannot be imported.
"""
import argparse
import collections
import json
import sys
import time

EXIT_NO_PSUTIL = 3  # bench_agent_footprint tells this apart from a crash

try:
    import psutil
except ImportError:
    sys.stderr.write("psutil_sampler: cannot import psutil: install Debian's python3-psutil\n")
    sys.exit(EXIT_NO_PSUTIL)


def as_dicts(mapping):
    return {name: value._asdict() for name, value in (mapping or {}).items()}


def filesystems():
    usage = {}
    for part in psutil.disk_partitions(all=False):
        try:
            usage[part.mountpoint] = psutil.disk_usage(part.mountpoint)._asdict()
        except OSError:
            # A mount that vanished or cannot be read is skipped, as sysmetrics skips it.
            continue
    return usage


def file_nr():
    with open("/proc/sys/fs/file-nr") as f:
        allocated, unused, maximum = (int(v) for v in f.read().split())
    return {"allocated": allocated, "unused": unused, "max": maximum}


def sample():
    temperatures = psutil.sensors_temperatures() if hasattr(psutil, "sensors_temperatures") else {}
    return {
        "timestamp": time.time(),
        "cpu_percent": psutil.cpu_percent(percpu=True),
        "cpu_freq": [f._asdict() for f in psutil.cpu_freq(percpu=True)],
        "temperatures": {name: [t._asdict() for t in entries] for name, entries in temperatures.items()},
        "cpu_stats": psutil.cpu_stats()._asdict(),
        "load": psutil.getloadavg(),
        "memory": psutil.virtual_memory()._asdict(),
        "swap": psutil.swap_memory()._asdict(),
        "filesystems": filesystems(),
        "disks": as_dicts(psutil.disk_io_counters(perdisk=True)),
        "nics": as_dicts(psutil.net_io_counters(pernic=True)),
        "processes": len(psutil.pids()),
        "tcp_states": dict(collections.Counter(c.status for c in psutil.net_connections(kind="tcp"))),
        "files": file_nr(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    args = parser.parse_args()
    # A fixed schedule like the agent's timer: a slow sample does not push the next ones back.
    due = time.monotonic()
    while True:
        print(json.dumps(sample(), separators=(",", ":")), flush=True)
        due += args.interval
        time.sleep(max(0.0, due - time.monotonic()))


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        sys.exit(0)

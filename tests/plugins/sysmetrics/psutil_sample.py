#!/usr/bin/python3
"""psutil's view of this host, for sysmetrics_psutil_test.

Protocol (stdin/stdout, one line each):
  1. takes the "before" counters and the CPU-time baseline, then prints "ready";
  2. waits for a line "sample" on stdin (the test sends it once the agent has exited);
  3. takes the "after" counters and every level, prints one JSON object and exits 0.
So the agent's whole run lies between "before" and "after": every cumulative counter the agent
reports must lie between the two, and both CPU percentages cover overlapping windows.
Exit status 3: psutil is missing (Debian: apt-get install python3-psutil).
"""
import json
import os
import sys
import time

try:
    import psutil
except ImportError:
    print("python3-psutil is not installed (apt-get install python3-psutil)", flush=True)
    sys.exit(3)

# sysmetrics' defaults: exclude_disks = loop*,ram*; exclude_fs_types = squashfs,iso9660.
EXCLUDED_FS_TYPES = {"squashfs", "iso9660"}


def counters():
    nets = {}
    for name, c in psutil.net_io_counters(pernic=True, nowrap=False).items():
        nets[name] = {"rx_bytes": c.bytes_recv, "tx_bytes": c.bytes_sent,
                      "rx_packets": c.packets_recv, "tx_packets": c.packets_sent,
                      "rx_errors": c.errin, "tx_errors": c.errout,
                      "rx_drops": c.dropin, "tx_drops": c.dropout}
    disks = {}
    for name, c in psutil.disk_io_counters(perdisk=True, nowrap=False).items():
        disks[name] = {"read_bytes": c.read_bytes, "write_bytes": c.write_bytes,
                       "read_ops": c.read_count, "write_ops": c.write_count,
                       "whole": os.path.exists("/sys/block/" + name.replace("/", "!"))}
    stats = psutil.cpu_stats()
    return {"net": nets, "disk": disks, "context_switches": stats.ctx_switches,
            "interrupts": stats.interrupts}


def filesystems():
    # Real filesystems as psutil sees them, one entry per mount point: the one mounted last,
    # which is the one statvfs() measures.
    real = {(p.device, p.mountpoint, p.fstype) for p in psutil.disk_partitions(all=False)}
    last = {}
    for p in psutil.disk_partitions(all=True):
        last[p.mountpoint] = p
    out = []
    for p in last.values():
        if (p.device, p.mountpoint, p.fstype) not in real or p.fstype in EXCLUDED_FS_TYPES:
            continue
        try:
            u = psutil.disk_usage(p.mountpoint)
        except OSError:
            continue
        out.append({"mountpoint": p.mountpoint, "type": p.fstype, "total": u.total,
                    "used": u.used, "free": u.free, "percent": u.percent})
    return out


def main():
    before = counters()
    psutil.cpu_percent(interval=None)
    psutil.cpu_percent(interval=None, percpu=True)
    started = time.monotonic()
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "sample":
        return 1
    after = counters()
    cpu = psutil.cpu_percent(interval=None)
    per_cpu = psutil.cpu_percent(interval=None, percpu=True)
    elapsed = time.monotonic() - started

    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    tcp = {}
    conns = psutil.net_connections(kind="tcp")
    for c in conns:
        tcp[c.status.lower()] = tcp.get(c.status.lower(), 0) + 1
    freq = psutil.cpu_freq()
    temps = [t.current for entries in psutil.sensors_temperatures().values() for t in entries]
    with open("/proc/sys/fs/file-nr") as f:
        file_nr = [int(x) for x in f.read().split()]
    with open("/proc/loadavg") as f:
        threads = int(f.read().split()[3].split("/")[1])

    print(json.dumps({
        "before": before, "after": after, "elapsed_s": elapsed,
        "cpu_percent": cpu, "cpu_percent_per_cpu": per_cpu,
        "cpu_count": psutil.cpu_count(logical=True),
        "cpu_freq_mhz": freq.current if freq else None,
        "mem": {"total": vm.total, "available": vm.available, "used": vm.used, "free": vm.free,
                "cached": vm.cached, "buffers": vm.buffers, "shared": vm.shared,
                "percent": vm.percent},
        "swap": {"total": sw.total, "used": sw.used, "free": sw.free, "percent": sw.percent},
        "load": list(os.getloadavg()),
        "filesystems": filesystems(),
        "tcp": tcp, "tcp_total": len(conns),
        "pids": len(psutil.pids()), "threads": threads,
        "file_nr": file_nr,
        "temperatures": temps,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

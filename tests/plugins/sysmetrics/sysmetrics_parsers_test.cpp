// The pure half of sysmetrics on /proc files recorded on a Debian VM (tests/fixtures/sysmetrics/
// recorded/t0 and t1, one second apart with loopback and disk traffic in between) and on crafted
// text for the cases a quiet machine never shows: wraps, resets, old formats, malformed lines.
#define BOOST_TEST_MODULE sysmetrics_parsers
#include <boost/test/unit_test.hpp>

#include "counter_math.hpp"
#include "labels.hpp"
#include "name_filter.hpp"
#include "proc_parsers.hpp"
#include "snapshot_metrics.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace streamswarm::sysmetrics;
using sysmetrics_test::fixture;
using sysmetrics_test::readText;
namespace tt = boost::test_tools;

namespace {

constexpr std::uint64_t kKiB = 1024;

std::string recorded(const std::string& snapshot, const std::string& file) {
  return readText(fixture("recorded/" + snapshot + "/proc/" + file));
}

bool anyContains(const Warnings& warnings, const std::string& needle) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

std::optional<double> find(const MetricList& metrics, const std::string& name) {
  for (const auto& [n, v] : metrics)
    if (n == name) return v;
  return std::nullopt;
}

// A snapshot of the recorded files, as the reader would build it, taken at `seconds`.
Snapshot recordedSnapshot(const std::string& name, double seconds) {
  Snapshot s;
  Warnings w;
  s.taken = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  parseKernelStat(recorded(name, "stat"), s.stat, w);
  parseDiskStats(recorded(name, "diskstats"), s.disks, w);
  parseNetDev(recorded(name, "net/dev"), s.nets, w);
  MemInfo mem;
  parseMemInfo(recorded(name, "meminfo"), mem, w);
  s.mem = mem;
  s.load = parseLoadAvg(recorded(name, "loadavg"), w);
  TcpStates tcp;
  countTcpStates(recorded(name, "net/tcp"), tcp, w);
  countTcpStates(recorded(name, "net/tcp6"), tcp, w);
  s.tcp = tcp;
  s.files = parseFileNr(recorded(name, "sys/fs/file-nr"), w);
  BOOST_TEST_REQUIRE(w.empty());
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kernel_stat)

BOOST_AUTO_TEST_CASE(recorded_file) {
  KernelStat stat;
  Warnings warnings;
  parseKernelStat(recorded("t0", "stat"), stat, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST_REQUIRE(stat.total.has_value());
  BOOST_TEST(stat.total->user == 1655u);
  BOOST_TEST(stat.total->system == 851u);
  BOOST_TEST(stat.total->idle == 88025u);
  BOOST_TEST(stat.total->iowait == 211u);
  BOOST_TEST(stat.total->softirq == 26u);
  BOOST_TEST(stat.total->steal == 1u);
  BOOST_TEST_REQUIRE(stat.cores.size() == 2u);
  BOOST_TEST(stat.cores[0].name == "cpu0");
  BOOST_TEST(stat.cores[1].name == "cpu1");
  BOOST_TEST(stat.cores[1].times.user == 1097u);
  BOOST_TEST(*stat.contextSwitches == 332176u);
  BOOST_TEST(*stat.interrupts == 172666u);  // the first number of the long "intr" line
  BOOST_TEST(*stat.forks == 4357u);
  BOOST_TEST(*stat.procsRunning == 1u);
  BOOST_TEST(*stat.procsBlocked == 0u);
}

BOOST_AUTO_TEST_CASE(old_kernel_with_four_columns) {
  KernelStat stat;
  Warnings warnings;
  parseKernelStat("cpu  10 20 30 40\ncpu0 10 20 30 40\n", stat, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST(stat.total->nice == 20u);
  BOOST_TEST(stat.total->iowait == 0u);
  BOOST_TEST(!stat.contextSwitches.has_value());
}

BOOST_AUTO_TEST_CASE(malformed_lines_are_skipped_and_named) {
  KernelStat stat;
  Warnings warnings;
  parseKernelStat(
      "cpu  1 2 3 4 5 6 7 8 9 10\n"
      "cpu0 1 x 3 4\n"
      "cpuX 1 2 3 4\n"
      "cpu1 1 2\n"
      "cpu2 1 2 3 4 5 6 7 8 9 10\n"
      "ctxt\n"
      "intr -5 0 0\n"
      "procs_running 3\n",
      stat, warnings);
  BOOST_TEST_REQUIRE(warnings.size() == 5u);
  BOOST_TEST(warnings[0].find("line 2") == 0u);
  BOOST_TEST(warnings[0].find("'x'") != std::string::npos);
  BOOST_TEST(warnings[1].find("cpuX") != std::string::npos);
  BOOST_TEST(warnings[2].find("fewer than 4") != std::string::npos);
  BOOST_TEST(warnings[3].find("line 6") == 0u);
  BOOST_TEST(warnings[4].find("line 7") == 0u);
  BOOST_TEST_REQUIRE(stat.cores.size() == 1u);  // only the good core line
  BOOST_TEST(stat.cores[0].name == "cpu2");
  BOOST_TEST(!stat.contextSwitches.has_value());
  BOOST_TEST(!stat.interrupts.has_value());
  BOOST_TEST(*stat.procsRunning == 3u);
}

BOOST_AUTO_TEST_CASE(huge_line_is_quoted_short) {
  KernelStat stat;
  Warnings warnings;
  parseKernelStat("cpu0 " + std::string(100000, '7') + "\n", stat, warnings);  // overflows uint64
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].size() < 300u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(memory)

BOOST_AUTO_TEST_CASE(recorded_meminfo_as_psutil_reads_it) {
  MemInfo info;
  Warnings warnings;
  parseMemInfo(recorded("t0", "meminfo"), info, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST(*info.memTotal == 24684096u * kKiB);
  const auto m = memoryUsage(info);
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->total == 24684096u * kKiB);
  BOOST_TEST(m->free == 24324584u * kKiB);
  BOOST_TEST(m->available == 24299500u * kKiB);
  BOOST_TEST(m->cached == (108356u + 92792u) * kKiB);  // Cached + SReclaimable
  BOOST_TEST(m->buffers == 5696u * kKiB);
  BOOST_TEST(m->shared == 8788u * kKiB);
  BOOST_TEST(m->used == (24684096u - 24324584u - 108356u - 92792u - 5696u) * kKiB);
  BOOST_TEST(m->usedPercent == 100.0 * (24684096 - 24299500) / 24684096, tt::tolerance(1e-9));
  const auto s = swapUsage(info);
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->total == 0u);
  BOOST_TEST(s->usedPercent == 0.0);  // no swap is 0 %, not a division by zero
}

BOOST_AUTO_TEST_CASE(swap_and_old_kernel_without_memavailable) {
  MemInfo info;
  Warnings warnings;
  parseMemInfo(
      "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n"
      "SwapTotal: 400 kB\nSwapFree: 300 kB\nHugePages_Total: 0\n",
      info, warnings);
  BOOST_TEST(warnings.empty());
  const auto m = memoryUsage(info);
  BOOST_TEST(m->available == 350u * kKiB);  // free + cached + buffers before Linux 3.14
  BOOST_TEST(m->used == 650u * kKiB);
  const auto s = swapUsage(info);
  BOOST_TEST(s->used == 100u * kKiB);
  BOOST_TEST(s->usedPercent == 25.0, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(container_with_host_sized_cache) {
  MemInfo info;
  Warnings warnings;
  parseMemInfo("MemTotal: 1000 kB\nMemFree: 400 kB\nCached: 5000 kB\nMemAvailable: 9000 kB\n", info, warnings);
  const auto m = memoryUsage(info);
  BOOST_TEST(m->used == 600u * kKiB);       // total - free when the cache exceeds total
  BOOST_TEST(m->available == 400u * kKiB);  // available > total falls back to free
}

BOOST_AUTO_TEST_CASE(malformed_lines) {
  MemInfo info;
  Warnings warnings;
  parseMemInfo(
      "MemTotal: 1000 kB\nno colon here\nMemFree: lots kB\nBuffers: 5 MB\n"
      "Cached: 99999999999999999999 kB\nShmem: 18014398509481984 kB\nSomethingNew: 1 kB\n",
      info, warnings);
  BOOST_TEST(warnings.size() == 5u);
  BOOST_TEST(anyContains(warnings, "line 2: no ':'"));
  BOOST_TEST(anyContains(warnings, "line 4: unknown unit 'MB'"));
  BOOST_TEST(anyContains(warnings, "line 6"));  // would overflow 64 bits once multiplied by 1024
  BOOST_TEST(*info.memTotal == 1000u * kKiB);
  BOOST_TEST(!info.memFree.has_value());
  BOOST_TEST(!memoryUsage(info).has_value());  // without MemFree there is nothing honest to report
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(small_files)

BOOST_AUTO_TEST_CASE(loadavg) {
  Warnings warnings;
  const auto load = parseLoadAvg(recorded("t1", "loadavg"), warnings);
  BOOST_TEST_REQUIRE(load.has_value());
  BOOST_TEST(load->one == 0.08);
  BOOST_TEST(load->five == 0.03);
  BOOST_TEST(load->fifteen == 0.01);
  BOOST_TEST(load->runnable == 1u);
  BOOST_TEST(load->threads == 82u);
  BOOST_TEST(!parseLoadAvg("0.1 0.2 oops 1/2 3\n", warnings).has_value());
  BOOST_TEST(!parseLoadAvg("0.1 0.2 0.3 12 3\n", warnings).has_value());
  BOOST_TEST(!parseLoadAvg("", warnings).has_value());
  BOOST_TEST(warnings.size() == 3u);
}

BOOST_AUTO_TEST_CASE(file_nr) {
  Warnings warnings;
  const auto files = parseFileNr(recorded("t0", "sys/fs/file-nr"), warnings);
  BOOST_TEST_REQUIRE(files.has_value());
  BOOST_TEST(files->allocated == 345u);
  BOOST_TEST(files->unused == 0u);
  BOOST_TEST(files->max == 2466183u);
  BOOST_TEST(!parseFileNr("12 x 100\n", warnings).has_value());
  BOOST_TEST(!parseFileNr("12 13 100\n", warnings).has_value());  // more unused than allocated
  BOOST_TEST(warnings.size() == 2u);
}

BOOST_AUTO_TEST_CASE(cpuinfo_mhz) {
  std::vector<CpuFrequency> freqs;
  Warnings warnings;
  parseCpuInfoMhz(recorded("t0", "cpuinfo"), freqs, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST_REQUIRE(freqs.size() == 2u);
  BOOST_TEST(freqs[1].core == "cpu1");
  BOOST_TEST(freqs[1].mhz == 2700.0);
  parseCpuInfoMhz("processor : 0\ncpu MHz : fast\n\nprocessor : 3\nCPU MHz : 1200.5\n", freqs, warnings);
  BOOST_TEST_REQUIRE(freqs.size() == 1u);
  BOOST_TEST(freqs[0].core == "cpu3");
  BOOST_TEST(freqs[0].mhz == 1200.5);
  BOOST_TEST(anyContains(warnings, "line 2: 'cpu MHz' is not a number"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(diskstats)

BOOST_AUTO_TEST_CASE(recorded_file) {
  std::vector<DiskCounters> disks;
  Warnings warnings;
  parseDiskStats(recorded("t0", "diskstats"), disks, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST_REQUIRE(disks.size() == 10u);  // loop0-7, vda, zram0: filtering is the reader's job
  const auto& vda = disks[8];
  BOOST_TEST(vda.name == "vda");
  BOOST_TEST(vda.reads == 29520u);
  BOOST_TEST(vda.readSectors == 2505218u);
  BOOST_TEST(vda.writes == 29920u);
  BOOST_TEST(vda.writeSectors == 1424200u);
  BOOST_TEST(*vda.ioTicksMs == 2976u);
}

BOOST_AUTO_TEST_CASE(formats_across_kernel_versions) {
  std::vector<DiskCounters> disks;
  Warnings warnings;
  parseDiskStats(
      "   8       0 sda 100 1 2000 3 400 5 6000 7 0 80 90\n"           // 2.6 - 4.17: 11 counters
      "   8       1 sda1 10 200 30 400\n"                              // 2.6 partition line: 4 counters
      " 104       0 cciss/c0d0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"  // 4.18+: 15 counters
      "   8      16 sdb 1 2 3\n"                                       // neither
      "   8      32 sdc 1 2 3 4 5 6 7 8 9 ten 11\n"
      "   x       0 sdd 1 2 3 4\n",
      disks, warnings);
  BOOST_TEST_REQUIRE(disks.size() == 3u);
  BOOST_TEST(disks[0].writeSectors == 6000u);
  BOOST_TEST(*disks[0].ioTicksMs == 80u);
  BOOST_TEST(disks[1].name == "sda1");
  BOOST_TEST(disks[1].readSectors == 200u);
  BOOST_TEST(disks[1].writeSectors == 400u);
  BOOST_TEST(!disks[1].ioTicksMs.has_value());
  BOOST_TEST(disks[2].name == "cciss/c0d0");
  BOOST_TEST_REQUIRE(warnings.size() == 3u);
  BOOST_TEST(warnings[0].find("line 4: 3 counters") == 0u);
  BOOST_TEST(warnings[1].find("'ten'") != std::string::npos);
  BOOST_TEST(warnings[2].find("line 6") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(net_dev)

BOOST_AUTO_TEST_CASE(recorded_file) {
  std::vector<NetCounters> nets;
  Warnings warnings;
  parseNetDev(recorded("t1", "net/dev"), nets, warnings);
  BOOST_TEST(warnings.empty());
  BOOST_TEST_REQUIRE(nets.size() == 4u);
  BOOST_TEST(nets[0].name == "lo");
  BOOST_TEST(nets[0].rxBytes == 13143915u);
  BOOST_TEST(nets[0].txPackets == 665u);
  BOOST_TEST(nets[3].name == "eth0");
  BOOST_TEST(nets[3].rxBytes == 53062535u);
  BOOST_TEST(nets[3].txBytes == 64748u);
}

BOOST_AUTO_TEST_CASE(columns_and_malformed_lines) {
  std::vector<NetCounters> nets;
  Warnings warnings;
  parseNetDev(
      "Inter-|   Receive |  Transmit\n"
      " face |bytes packets|bytes\n"
      "eth1:12345678901 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  // no blank after a long name
      "  eth2: 1 2 3\n"
      ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
      "  eth3: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n",
      nets, warnings);
  BOOST_TEST_REQUIRE(nets.size() == 1u);
  BOOST_TEST(nets[0].rxBytes == 12345678901u);
  BOOST_TEST(nets[0].rxPackets == 2u);
  BOOST_TEST(nets[0].rxErrors == 3u);
  BOOST_TEST(nets[0].rxDrops == 4u);
  BOOST_TEST(nets[0].txBytes == 9u);
  BOOST_TEST(nets[0].txPackets == 10u);
  BOOST_TEST(nets[0].txErrors == 11u);
  BOOST_TEST(nets[0].txDrops == 12u);
  BOOST_TEST_REQUIRE(warnings.size() == 3u);
  BOOST_TEST(warnings[0].find("line 4: 3 counters") == 0u);
  BOOST_TEST(warnings[1].find("line 5") == 0u);
  BOOST_TEST(warnings[2].find("'-16'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tcp)

BOOST_AUTO_TEST_CASE(recorded_ipv4_and_ipv6) {
  TcpStates states;
  Warnings warnings;
  countTcpStates(recorded("t0", "net/tcp"), states, warnings);
  BOOST_TEST(states.total == 7u);
  countTcpStates(recorded("t0", "net/tcp6"), states, warnings);
  BOOST_TEST(warnings.empty());
  const auto count = [&](TcpState s) { return states.byState[static_cast<std::size_t>(s)]; };
  BOOST_TEST(count(TcpState::kEstablished) == 4u);
  BOOST_TEST(count(TcpState::kListen) == 3u);
  BOOST_TEST(count(TcpState::kTimeWait) == 2u);
  BOOST_TEST(count(TcpState::kCloseWait) == 2u);
  BOOST_TEST(count(TcpState::kFinWait2) == 2u);
  BOOST_TEST(count(TcpState::kSynSent) == 0u);
  BOOST_TEST(states.total == 13u);
}

BOOST_AUTO_TEST_CASE(unknown_state_and_malformed_lines) {
  TcpStates states;
  Warnings warnings;
  countTcpStates(
      "  sl  local_address rem_address   st\n"
      "   0: 0100007F:1F90 00000000:0000 0C 0\n"  // a state this code does not know: total only
      "   1: 0100007F:1F90 00000000:0000 ZZ 0\n"
      "   2 0100007F:1F90 00000000:0000 01 0\n"
      "   3: 0100007F:1F90\n",
      states, warnings);
  BOOST_TEST(states.total == 1u);
  BOOST_TEST(states.byState[static_cast<std::size_t>(TcpState::kEstablished)] == 0u);
  BOOST_TEST_REQUIRE(warnings.size() == 3u);
  BOOST_TEST(warnings[0].find("line 3") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mounts)

BOOST_AUTO_TEST_CASE(escapes_and_types) {
  std::vector<MountEntry> mounts;
  Warnings warnings;
  parseMounts(
      "/dev/sda1 / ext4 rw 0 0\n"
      "/dev/sdb1 /mnt/my\\040disk\\011tab xfs rw 0 0\n"
      "/dev/sdc1 /mnt/back\\134slash\\12 btrfs rw 0 0\n"
      "broken-line\n",
      mounts, warnings);
  BOOST_TEST_REQUIRE(mounts.size() == 3u);
  BOOST_TEST(mounts[1].mountPoint == "/mnt/my disk\ttab");
  BOOST_TEST(mounts[1].fsType == "xfs");
  BOOST_TEST(mounts[2].mountPoint == "/mnt/back\\slash\\12");  // an incomplete escape stays as written
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("line 4") == 0u);
}

BOOST_AUTO_TEST_CASE(device_filesystems) {
  std::vector<std::string> types;
  parseDeviceFilesystems(recorded("t0", "filesystems") + "nodev\tzfs\n", types);
  const auto has = [&](const std::string& t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  BOOST_TEST(has("ext4"));
  BOOST_TEST(has("xfs"));
  BOOST_TEST(has("zfs"));  // nodev, but psutil counts it as a disk filesystem, and so do we
  BOOST_TEST(!has("tmpfs"));
  BOOST_TEST(!has("overlay"));
  BOOST_TEST(!has("nodev"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(counters)

constexpr std::uint64_t kTop32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kTop64 = std::numeric_limits<std::uint64_t>::max();

BOOST_AUTO_TEST_CASE(increase_is_the_difference) {
  BOOST_TEST(*counterDelta(100, 250, 64) == 150u);
  BOOST_TEST(*counterDelta(7, 7, 32) == 0u);
  BOOST_TEST(*counterDelta(kTop64 - 5, kTop64, 64) == 5u);
}

BOOST_AUTO_TEST_CASE(thirty_two_bit_wrap_counts_through_the_top) {
  BOOST_TEST(*counterDelta(kTop32 - 299, 700, 32) == 1000u);
  BOOST_TEST(*counterDelta(kTop32, 0, 32) == 1u);
}

BOOST_AUTO_TEST_CASE(decrease_that_is_no_plausible_wrap_is_a_reset) {
  // From 1e9 down to 5 would be a 3.3e9 step through 2^32: a reset (interface re-created).
  BOOST_TEST(!counterDelta(1'000'000'000, 5, 32).has_value());
  // A value above 2^32 cannot come from a 32-bit counter.
  BOOST_TEST(!counterDelta(kTop32 + 10, 5, 32).has_value());
  // 64-bit counters never wrap in practice: any decrease is a reset, even near the top.
  BOOST_TEST(!counterDelta(kTop32 - 299, 700, 64).has_value());
  BOOST_TEST(!counterDelta(kTop64, 0, 64).has_value());
}

BOOST_AUTO_TEST_CASE(cpu_usage_from_recorded_ticks) {
  const auto t0 = recordedSnapshot("t0", 0);
  const auto t1 = recordedSnapshot("t1", 1);
  const auto total = cpuUsage(*t0.stat.total, *t1.stat.total);
  BOOST_TEST_REQUIRE(total.has_value());
  // 202 ticks: user +100, system +2, idle +100.
  BOOST_TEST(total->busy == 100.0 * 102 / 202, tt::tolerance(1e-12));
  BOOST_TEST(total->user == 100.0 * 100 / 202, tt::tolerance(1e-12));
  BOOST_TEST(total->system == 100.0 * 2 / 202, tt::tolerance(1e-12));
  BOOST_TEST(total->iowait == 0.0);
  // cpu1: user +100, iowait +1; iowait is not busy.
  const auto cpu1 = cpuUsage(t0.stat.cores[1].times, t1.stat.cores[1].times);
  BOOST_TEST(cpu1->busy == 100.0 * 100 / 101, tt::tolerance(1e-12));
  BOOST_TEST(cpu1->iowait == 100.0 * 1 / 101, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(cpu_state_stepping_back_counts_as_zero) {
  CpuTimes before{100, 0, 100, 1000, 50, 0, 0, 0, 0, 0};
  CpuTimes after{150, 0, 150, 1100, 48, 0, 0, 0, 0, 0};  // iowait went back by 2 ticks
  const auto usage = cpuUsage(before, after);
  BOOST_TEST(usage->busy == 50.0, tt::tolerance(1e-12));  // 100 busy of 200 ticks
  BOOST_TEST(usage->iowait == 0.0);
  BOOST_TEST(!cpuUsage(before, before).has_value());  // no tick elapsed: no percentage at all
}

BOOST_AUTO_TEST_CASE(steal_and_guest) {
  // guest ticks are already inside user: they must not be counted twice.
  CpuTimes before{};
  CpuTimes after{60, 0, 10, 10, 0, 0, 0, 20, 40, 0};
  const auto usage = cpuUsage(before, after);
  BOOST_TEST(usage->busy == 90.0, tt::tolerance(1e-12));
  BOOST_TEST(usage->steal == 20.0, tt::tolerance(1e-12));
  BOOST_TEST(usage->user == 60.0, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(labels) {
  BOOST_TEST(mountLabel("/") == "root");
  BOOST_TEST(mountLabel("/boot/efi") == "boot_efi");
  BOOST_TEST(mountLabel("/var/lib/docker/") == "var_lib_docker");
  BOOST_TEST(mountLabel("/mnt/my disk.v2") == "mnt_my_disk_v2");
  BOOST_TEST(mountLabel("/odd{x}\n") == "odd_x__");
  BOOST_TEST(nameLabel("eth0.100") == "eth0_100");
  BOOST_TEST(nameLabel("cciss/c0d0") == "cciss_c0d0");
  BOOST_TEST(sensorLabel("coretemp", "Package id 0") == "coretemp_package_id_0");
  BOOST_TEST(sensorLabel("acpitz", "") == "acpitz");
  BOOST_TEST(sensorLabel("", "") == "_");
}

BOOST_AUTO_TEST_CASE(labels_made_unique_in_order) {
  std::vector<FsUsage> items(4);
  items[0].label = "root";
  items[1].label = "root";    // "/root" after "/"
  items[2].label = "root_2";  // a mount that really is "/root_2"
  items[3].label = "root";
  makeLabelsUnique(items);
  BOOST_TEST(items[0].label == "root");
  BOOST_TEST(items[1].label == "root_2");
  BOOST_TEST(items[2].label == "root_2_2");
  BOOST_TEST(items[3].label == "root_3");
}

BOOST_AUTO_TEST_CASE(filters) {
  const NameFilter all;
  BOOST_TEST(all.accepts("anything"));
  const NameFilter some({"eth*", "en?0"}, {"eth1"});
  BOOST_TEST(some.accepts("eth0"));
  BOOST_TEST(some.accepts("ens0"));
  BOOST_TEST(!some.accepts("eth1"));  // exclude wins
  BOOST_TEST(!some.accepts("lo"));
  const NameFilter mounts({}, {"/var/lib/docker/*", "/snap/*"});
  BOOST_TEST(!mounts.accepts("/var/lib/docker/overlay2/abc/merged"));
  BOOST_TEST(mounts.accepts("/var/lib"));
  BOOST_TEST(mounts.accepts("/"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(snapshot_metrics)

BOOST_AUTO_TEST_CASE(recorded_interval_gives_exact_rates) {
  auto t0 = recordedSnapshot("t0", 100);
  auto t1 = recordedSnapshot("t1", 110);  // 10 s later on the host's monotonic clock
  MetricList out;
  std::vector<std::string> resets;
  appendMetrics(t0, t1, {}, out, resets);
  BOOST_TEST(resets.empty());
  const auto at = [&](const std::string& name) {
    const auto v = find(out, name);
    BOOST_TEST_REQUIRE(v.has_value(), "no metric " << name);
    return *v;
  };
  BOOST_TEST(at("cpu.percent") == 100.0 * 102 / 202, tt::tolerance(1e-12));
  BOOST_TEST(at("cpu.cpu1.percent") == 100.0 * 100 / 101, tt::tolerance(1e-12));
  BOOST_TEST(at("cpu.cpu0.percent") == 100.0 * 1 / 101, tt::tolerance(1e-12));
  BOOST_TEST(at("cpu.count") == 2.0);
  BOOST_TEST(at("cpu.context_switches_per_s") == (332340.0 - 332176) / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("cpu.interrupts_per_s") == (173046.0 - 172666) / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("cpu.context_switches_total") == 332340.0);
  BOOST_TEST(at("proc.forks_per_s") == 0.1, tt::tolerance(1e-12));
  BOOST_TEST(at("net.lo.rx_bytes_per_s") == (13143915.0 - 5099) / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("net.lo.tx_packets_per_s") == (665.0 - 57) / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("net.eth0.rx_bytes_per_s") == 0.0);
  BOOST_TEST(at("net.lo.rx_bytes_total") == 13143915.0);
  BOOST_TEST(at("disk.vda.read_bytes_per_s") == (2505402.0 - 2505218) * 512 / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("disk.vda.write_bytes_per_s") == (1456968.0 - 1424200) * 512 / 10, tt::tolerance(1e-12));
  BOOST_TEST(at("disk.vda.read_ops_per_s") == 0.3, tt::tolerance(1e-12));
  BOOST_TEST(at("disk.vda.write_ops_per_s") == 3.2, tt::tolerance(1e-12));
  BOOST_TEST(at("disk.vda.busy_percent") == 100.0 * 4 / 10000, tt::tolerance(1e-12));
  BOOST_TEST(at("disk.vda.write_bytes_total") == 1456968.0 * 512);
  // Totals over whole disks: vda is the only one that moved.
  BOOST_TEST(at("disk.write_bytes_per_s") == at("disk.vda.write_bytes_per_s"), tt::tolerance(1e-12));
  BOOST_TEST(at("load.1m") == 0.08);
  BOOST_TEST(at("proc.threads") == 82.0);
  BOOST_TEST(at("mem.total_bytes") == 24684096.0 * 1024);
  BOOST_TEST(at("swap.used_percent") == 0.0);
  BOOST_TEST(at("tcp.established") == 4.0);
  BOOST_TEST(at("tcp.total") == 13.0);
  BOOST_TEST(at("fd.open") == 345.0);
  BOOST_TEST(at("fd.used_percent") == 100.0 * 345 / 2466183, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(resets_wraps_and_newcomers) {
  Snapshot before;
  Snapshot after;
  before.taken = std::chrono::seconds(1);
  after.taken = std::chrono::seconds(11);
  NetCounters eth0{"eth0", 4'294'967'000, 10, 0, 0, 500, 10, 0, 0};
  before.nets = {eth0};
  eth0.rxBytes = 1000;  // went down: the interface was re-created
  eth0.rxPackets = 30;
  eth0.txBytes = 2500;
  after.nets = {eth0, NetCounters{"veth9", 50, 1, 0, 0, 60, 1, 0, 0}};
  DiskCounters sda;
  sda.name = "sda";
  sda.ioTicksMs = 4'294'967'000;  // the 32-bit milliseconds field wraps on every kernel
  before.disks = {sda};
  sda.ioTicksMs = 704;
  after.disks = {sda};

  MetricList out;
  std::vector<std::string> resets;
  appendMetrics(before, after, MetricsOptions{true, 64}, out, resets);
  BOOST_TEST(!find(out, "net.eth0.rx_bytes_per_s").has_value());
  BOOST_TEST(*find(out, "net.eth0.rx_bytes_total") == 1000.0);
  BOOST_TEST(*find(out, "net.eth0.rx_packets_per_s") == 2.0);
  BOOST_TEST(*find(out, "net.eth0.tx_bytes_per_s") == 200.0);
  BOOST_TEST_REQUIRE(resets.size() == 1u);
  BOOST_TEST(resets[0].find("net.eth0.rx_bytes_per_s") != std::string::npos);
  BOOST_TEST(resets[0].find("4294967000") != std::string::npos);
  // An interface that appeared since the previous sample: totals now, rates from the next run.
  BOOST_TEST(*find(out, "net.veth9.rx_bytes_total") == 50.0);
  BOOST_TEST(!find(out, "net.veth9.rx_bytes_per_s").has_value());
  // 1000 ms busy through the wrap, over 10 s.
  BOOST_TEST(*find(out, "disk.sda.busy_percent") == 10.0, tt::tolerance(1e-12));

  // On a 32-bit kernel the same drop of eth0's byte counter is a wrap.
  out.clear();
  resets.clear();
  appendMetrics(before, after, MetricsOptions{true, 32}, out, resets);
  BOOST_TEST(resets.empty());
  BOOST_TEST(*find(out, "net.eth0.rx_bytes_per_s") == (4294967296.0 - 4294967000 + 1000) / 10, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(no_time_elapsed_means_no_rates) {
  const auto t0 = recordedSnapshot("t0", 5);
  MetricList out;
  std::vector<std::string> resets;
  appendMetrics(t0, t0, {}, out, resets);
  BOOST_TEST(!find(out, "cpu.percent").has_value());
  BOOST_TEST(!find(out, "net.lo.rx_bytes_per_s").has_value());
  BOOST_TEST(!find(out, "disk.read_bytes_per_s").has_value());
  BOOST_TEST(find(out, "net.lo.rx_bytes_total").has_value());  // levels are still reported
  BOOST_TEST(find(out, "mem.used_percent").has_value());
}

BOOST_AUTO_TEST_CASE(busy_percent_is_capped_and_per_cpu_can_be_off) {
  Snapshot before;
  Snapshot after;
  after.taken = std::chrono::seconds(1);
  DiskCounters d;
  d.name = "nvme0n1";
  d.ioTicksMs = 0;
  before.disks = {d};
  d.ioTicksMs = 1004;  // in-flight accounting a little ahead of the clock
  after.disks = {d};
  before.stat.cores = {{"cpu0", {}}};
  after.stat.cores = {{"cpu0", CpuTimes{50, 0, 0, 50, 0, 0, 0, 0, 0, 0}}};
  MetricList out;
  std::vector<std::string> resets;
  appendMetrics(before, after, MetricsOptions{false, 64}, out, resets);
  BOOST_TEST(*find(out, "disk.nvme0n1.busy_percent") == 100.0);
  BOOST_TEST(!find(out, "cpu.cpu0.percent").has_value());
  BOOST_TEST(*find(out, "cpu.count") == 1.0);
}

BOOST_AUTO_TEST_CASE(filesystem_percentages_like_df) {
  FsUsage fs;
  fs.totalBytes = 1000;
  fs.freeBytes = 100;      // 900 used
  fs.availableBytes = 50;  // 50 of the free space is the root reserve
  BOOST_TEST(fsUsedPercent(fs) == 100.0 * 900 / 950, tt::tolerance(1e-12));
  fs.availableBytes = 0;
  BOOST_TEST(fsUsedPercent(fs) == 100.0);
  fs = FsUsage{};
  BOOST_TEST(fsUsedPercent(fs) == 0.0);  // an empty pseudo filesystem is not a division by zero
}

BOOST_AUTO_TEST_SUITE_END()

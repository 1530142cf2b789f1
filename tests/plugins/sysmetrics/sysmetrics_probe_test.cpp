// SysMetricsProbe as the agent drives it, on a fake clock: option validation, the sample config,
// the metric catalogue, and runs over /proc and /sys trees the test controls (the recorded files
// of tests/fixtures/sysmetrics, and crafted trees written here with known before/after values).
#define BOOST_TEST_MODULE sysmetrics_probe
#include <boost/test/unit_test.hpp>

#include "labels.hpp"
#include "sys_metrics_probe.hpp"
#include "test_support.hpp"

#include <streamswarm/config_values.hpp>
#include <streamswarm/testing/fake_host.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using streamswarm::ConfigError;
using streamswarm::Options;
using streamswarm::sysmetrics::SysMetricsProbe;
using streamswarm::testing::FakeHost;
using streamswarm::testing::makeProbe;
using streamswarm::testing::RecordedResult;
using namespace sysmetrics_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace tt = boost::test_tools;

namespace {

using OptionMap = std::map<std::string, std::string>;

bool logged(const FakeHost& host, std::uint32_t level, const std::string& a, const std::string& b = "") {
  return std::any_of(host.logs().begin(), host.logs().end(), [&](const auto& entry) {
    return entry.first == level && entry.second.find(a) != std::string::npos &&
           entry.second.find(b) != std::string::npos;
  });
}

std::size_t countLogs(const FakeHost& host, const std::string& needle) {
  return static_cast<std::size_t>(std::count_if(host.logs().begin(), host.logs().end(), [&](const auto& entry) {
    return entry.second.find(needle) != std::string::npos;
  }));
}

void requireConfigError(const OptionMap& options, const std::string& expected) {
  try {
    makeProbe<SysMetricsProbe>(options);
    BOOST_ERROR("options were accepted; expected an error mentioning '" << expected << "'");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find(expected) != std::string::npos,
               "'" << e.what() << "' should mention '" << expected << "'");
  }
}

// How long the probe slept on the fake clock, in ms (chrono durations do not print in Boost.Test).
std::int64_t sleptMs(const FakeHost& host) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(host.slept()).count();
}

double number(const boost::json::value& v) {
  return v.to_number<double>();
}

double at(const RecordedResult& r, const std::string& name) {
  const auto v = r.find(name);
  BOOST_TEST_REQUIRE(v.has_value(), "no metric " << name);
  return *v;
}

// A /proc and /sys tree with two states of /proc ("before" and "after"); `proc` is a symlink the
// test re-points between runs, as if time had passed on a host.
class CraftedHost {
 public:
  CraftedHost() {
    for (const auto* state : {"before", "after"}) {
      const auto proc = dir_ / state / "proc";
      writeText(proc / "meminfo",
                "MemTotal: 8000000 kB\nMemFree: 1000000 kB\nMemAvailable: 5000000 kB\nBuffers: 100000 kB\n"
                "Cached: 2000000 kB\nSReclaimable: 500000 kB\nShmem: 50000 kB\n"
                "SwapTotal: 2000000 kB\nSwapFree: 1500000 kB\n");
      writeText(proc / "loadavg", "1.50 0.75 0.25 3/456 9999\n");
      writeText(proc / "sys/fs/file-nr", "2048\t0\t100000\n");
      writeText(proc / "filesystems", "nodev\tproc\nnodev\ttmpfs\n\text4\n\txfs\n\tsquashfs\n");
      writeText(proc / "self/mounts", mounts());
      writeText(proc / "net/tcp",
                "  sl  local_address rem_address   st tx_queue rx_queue\n"
                "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"
                "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 2\n"
                "   2: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 0 0 3\n"
                "   3: 0100007F:D433 0100007F:1F90 06 00000000:00000000 00:00000000 00000000 0 0 0\n");
      // No net/tcp6: a host with IPv6 disabled, which must not cause a warning.
      for (const auto* pid : {"1", "42", "4242"}) writeText(proc / pid / "comm", "init\n");
    }
    const auto before = dir_ / "before/proc";
    writeText(before / "stat",
              "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n"
              "intr 500 1 2 3\nctxt 1000\nbtime 1700000000\nprocesses 300\nprocs_running 2\nprocs_blocked 1\n");
    writeText(before / "diskstats",
              "   8       0 sda 1000 0 20000 0 500 0 10000 0 0 4294967000 0 0 0 0 0 0 0\n"
              "   8       1 sda1 900 0 18000 0 400 0 8000 0 0 100 0 0 0 0 0 0 0\n"
              "   7       0 loop0 5 0 10 0 0 0 0 0 0 0 0\n"
              " 259       0 nvme0n1 100 0 800 0 100 0 800 0 0 50 0\n"
              "garbage line here\n");
    writeText(before / "net/dev",
              "Inter-|   Receive                |  Transmit\n"
              " face |bytes    packets errs drop|bytes    packets errs drop\n"
              "    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n"
              "  eth0: 5000000000 100 1 2 0 0 0 0 5000 50 3 4 0 0 0 0\n"
              "  eth1: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
              "docker0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n");
    const auto after = dir_ / "after/proc";
    // 10 s later: total +300 user +100 system +200 idle +100 iowait = 700 ticks, 400 busy.
    writeText(after / "stat",
              "cpu  400 0 200 1000 100 0 0 0 0 0\ncpu0 250 0 100 450 0 0 0 0 0 0\n"
              "cpu1 150 0 100 550 100 0 0 0 0 0\n"
              "intr 2500 1 2 3\nctxt 6000\nbtime 1700000000\nprocesses 320\nprocs_running 3\nprocs_blocked 0\n");
    writeText(after / "diskstats",
              "   8       0 sda 1500 0 30000 0 700 0 14000 0 0 704 0 0 0 0 0 0 0\n"
              "   8       1 sda1 1300 0 26000 0 550 0 11000 0 0 600 0 0 0 0 0 0 0\n"
              "   7       0 loop0 9 0 20 0 0 0 0 0 0 0 0\n"
              " 259       0 nvme0n1 50 0 400 0 300 0 2400 0 0 2050 0\n"
              "garbage line here\n");
    writeText(after / "net/dev",
              "Inter-|   Receive                |  Transmit\n"
              " face |bytes    packets errs drop|bytes    packets errs drop\n"
              "    lo: 21000 110 0 0 0 0 0 0 21000 110 0 0 0 0 0 0\n"
              "  eth0: 1000 300 11 2 0 0 0 0 105000 150 3 24 0 0 0 0\n"
              "  veth1: 64 1 0 0 0 0 0 0 64 1 0 0 0 0 0 0\n"
              "docker0: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n");

    const auto sys = dir_ / "sys";
    for (const auto* disk : {"sda", "nvme0n1", "loop0"}) writeText(sys / "block" / disk / "size", "1000\n");
    const auto hwmon = sys / "class/hwmon";
    writeText(hwmon / "hwmon0/name", "coretemp\n");
    writeText(hwmon / "hwmon0/temp1_input", "45000\n");
    writeText(hwmon / "hwmon0/temp1_label", "Package id 0\n");
    writeText(hwmon / "hwmon0/temp2_input", "-5500\n");
    writeText(hwmon / "hwmon0/temp2_label", "Core 0\n");
    writeText(hwmon / "hwmon1/name", "nvme\n");
    writeText(hwmon / "hwmon1/temp1_input", "38850\n");
    writeText(hwmon / "hwmon1/temp1_label", "Composite\n");
    writeText(hwmon / "hwmon2/name", "nvme\n");  // a second drive: same name and label
    writeText(hwmon / "hwmon2/temp1_input", "40000\n");
    writeText(hwmon / "hwmon2/temp1_label", "Composite\n");
    writeText(hwmon / "hwmon3/name", "broken\n");
    writeText(hwmon / "hwmon3/temp1_input", "n/a\n");
    writeText(hwmon / "hwmon4/name", "fans\n");
    writeText(hwmon / "hwmon4/fan1_input", "1200\n");
    writeText(hwmon / "hwmon10/device/name", "acpitz\n");  // files one level down, as on CentOS 7
    writeText(hwmon / "hwmon10/device/temp1_input", "30000\n");
    // Ignored: hwmon already has temperatures, and zones usually repeat the same sensors.
    writeText(sys / "class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
    writeText(sys / "class/thermal/thermal_zone0/temp", "99000\n");
    writeText(sys / "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2400000\n");
    writeText(sys / "devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "1800000\n");
    fs::create_directories(dir_ / "data");
    fs::create_directories(dir_ / "skipme");
    fs::create_directories(dir_ / "a.b");
    fs::create_directories(dir_ / "a_b");
    fs::create_directories(dir_ / "shadowed");
    show("before");
  }

  void show(const std::string& state) { pointAt(dir_ / "proc", dir_ / state / "proc"); }
  fs::path path(const std::string& relative) const { return dir_ / relative; }
  const fs::path& root() const { return dir_.path(); }
  std::string label(const std::string& relative) const {
    return streamswarm::sysmetrics::mountLabel((dir_ / relative).string());
  }

  OptionMap options(OptionMap extra = {}) const {
    OptionMap o{{"proc_root", (dir_ / "proc").string()},
                {"sys_root", (dir_ / "sys").string()},
                {"exclude_interfaces", "docker*"},
                {"exclude_mounts", "*/skipme"},
                {"sample_window", "2s"}};
    for (auto& [k, v] : extra) o[k] = v;
    return o;
  }

 private:
  std::string mounts() const {
    const auto d = dir_.path().string();
    return "/dev/sda2 / ext4 rw,relatime 0 0\n"
           "proc /proc proc rw 0 0\n"
           "tmpfs /run tmpfs rw 0 0\n"
           "/dev/loop3 /snap/core/1 squashfs ro 0 0\n"
           "/dev/sdz9 /nonexistent/sysmetrics-test xfs rw 0 0\n"
           "/dev/sda3 " +
           d +
           "/data ext4 rw 0 0\n"
           "/dev/sda4 " +
           d +
           "/skipme ext4 rw 0 0\n"
           "/dev/sda5 " +
           d +
           "/a.b ext4 rw 0 0\n"
           "/dev/sda6 " +
           d +
           "/a_b xfs rw 0 0\n"
           "/dev/sda7 " +
           d +
           "/shadowed ext4 rw 0 0\n"
           "tmpfs " +
           d + "/shadowed tmpfs rw 0 0\n";
  }

  TempDir dir_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(defaults_are_valid) {
  const auto probe = makeProbe<SysMetricsProbe>();
  const auto validated = Options::validated(SysMetricsProbe::configKeys(), {});
  BOOST_TEST(validated.text("exclude_disks") == "loop*,ram*");
}

BOOST_AUTO_TEST_CASE(bad_options_are_rejected_with_their_name) {
  requireConfigError({{"colour", "red"}}, "unknown option 'colour'");
  requireConfigError({{"sample_window", "fast"}}, "sample_window");
  requireConfigError({{"sample_window", "50ms"}}, "sample_window");  // below 100 ms
  requireConfigError({{"sample_window", "2m"}}, "sample_window");    // above 60 s
  requireConfigError({{"per_cpu", "maybe"}}, "per_cpu");
  requireConfigError({{"tcp", "2"}}, "tcp");
  requireConfigError({{"proc_root", "proc"}}, "not an absolute path");
  requireConfigError({{"proc_root", "/nonexistent/sysmetrics/proc"}}, "proc_root");
  requireConfigError({{"sys_root", "relative/sys"}}, "sys_root");
}

BOOST_AUTO_TEST_CASE(hand_built_options_are_checked_too) {
  // Options that did not go through validation (another host, a test) reach the constructor.
  BOOST_CHECK_THROW(SysMetricsProbe(Options(OptionMap{{"sample_window", "10ms"}})), ConfigError);
  BOOST_CHECK_THROW(SysMetricsProbe(Options(OptionMap{{"verbose", "true"}})), ConfigError);
  BOOST_CHECK_NO_THROW(SysMetricsProbe(Options(OptionMap{{"sample_window", "250ms"}})));
  BOOST_CHECK_NO_THROW(SysMetricsProbe(Options(OptionMap{{"sample_window", "0.25"}})));  // bare number: seconds
  BOOST_CHECK_THROW(SysMetricsProbe(Options(OptionMap{{"sample_window", "250000000"}})), ConfigError);
  // A missing sysfs (some containers) only costs sensors and frequencies.
  BOOST_CHECK_NO_THROW(makeProbe<SysMetricsProbe>({{"sys_root", "/nonexistent/sysmetrics/sys"}}));
}

BOOST_AUTO_TEST_CASE(sample_config_is_valid_and_shows_every_option) {
  const auto path = sourceDir() / "plugins/sysmetrics/sysmetrics.conf";
  const auto text = readText(path);
  // The agent's INI: "[section]", "key = value", '#' or ';' comments.
  std::map<std::string, OptionMap> sections;
  std::string section;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto t = std::string(streamswarm::values::trim(line));
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      BOOST_TEST_REQUIRE(t.back() == ']', "bad section line " << t);
      section = t.substr(1, t.size() - 2);
      continue;
    }
    const auto eq = t.find('=');
    BOOST_TEST_REQUIRE(eq != std::string::npos, "bad line " << t);
    sections[section][std::string(streamswarm::values::trim(t.substr(0, eq)))] =
        std::string(streamswarm::values::trim(t.substr(eq + 1)));
  }
  BOOST_TEST_REQUIRE(sections.count("plugin.sysmetrics") == 1u);
  auto pluginOptions = sections["plugin.sysmetrics"];
  for (const auto* agentKey : {"enabled", "run_every", "run_timeout"}) pluginOptions.erase(agentKey);
  BOOST_TEST(!pluginOptions.empty());
  BOOST_CHECK_NO_THROW(SysMetricsProbe(Options::validated(SysMetricsProbe::configKeys(), pluginOptions)));
  // Every option appears as a line of its own, set or commented out ("# per_cpu = true").
  for (const auto& key : SysMetricsProbe::configKeys()) {
    const std::string name(key.name);
    const bool shown =
        text.find("\n" + name + " =") != std::string::npos || text.find("\n# " + name + " =") != std::string::npos;
    BOOST_TEST(shown, "the sample config does not show option " << name);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(catalogue_is_well_formed) {
  std::set<std::string> names;
  for (const auto& m : SysMetricsProbe::metrics()) {
    const std::string name(m.name);
    BOOST_TEST(names.insert(name).second, "declared twice: " << name);
    BOOST_TEST(std::string(m.unit).size() > 0u, name);
    BOOST_TEST(std::string(m.doc).size() > 0u, name);
    BOOST_TEST((m.kind == SS_METRIC_GAUGE || m.kind == SS_METRIC_RATE), name);
    // Rates say so in their name; nothing called *_per_s is anything but a rate.
    BOOST_TEST((m.kind == SS_METRIC_RATE) == name.ends_with("_per_s"), name);
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      BOOST_TEST((std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                  c == '.' || c == '_' || c == '{' || c == '}'),
                 "character '" << c << "' in " << name);
    }
  }
  for (const auto& k : SysMetricsProbe::configKeys()) BOOST_TEST(std::string(k.doc).size() > 0u, k.name);
}

BOOST_AUTO_TEST_SUITE(recorded_host)

BOOST_AUTO_TEST_CASE(two_runs_over_recorded_files) {
  TempDir dir;
  pointAt(dir / "proc", fixture("recorded/t0/proc"));
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(
      {{"proc_root", (dir / "proc").string()}, {"sys_root", fixture("recorded/sys").string()}});
  auto h = host.host();

  // First run: no previous sample, so two samples one sample_window apart.
  probe.run(h);
  BOOST_TEST(sleptMs(host) == std::chrono::milliseconds(1s).count());
  BOOST_TEST_REQUIRE(host.results().size() == 1u);
  const auto& first = host.results()[0];
  BOOST_TEST(first.error == "");
  BOOST_TEST(at(first, "net.lo.rx_bytes_per_s") == 0.0);  // the same files twice
  BOOST_TEST(!first.find("cpu.percent").has_value());     // no CPU tick elapsed: no percentage
  const auto doc = boost::json::parse(first.document).as_object();
  BOOST_TEST(number(doc.at("interval_s")) == 1.0);

  // Second run, 10 s later, over the second recording: rates over those 10 s, no extra sampling.
  pointAt(dir / "proc", fixture("recorded/t1/proc"));
  host.clock().advance(10s);
  probe.run(h);
  BOOST_TEST(sleptMs(host) == std::chrono::milliseconds(1s).count());
  BOOST_TEST_REQUIRE(host.results().size() == 2u);
  const auto& second = host.results()[1];
  BOOST_TEST(second.error == "");
  BOOST_TEST(at(second, "cpu.percent") == 100.0 * 102 / 202, tt::tolerance(1e-9));
  BOOST_TEST(at(second, "net.lo.rx_bytes_per_s") == (13143915.0 - 5099) / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(second, "disk.vda.write_bytes_per_s") == (1456968.0 - 1424200) * 512 / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(second, "disk.write_bytes_per_s") == at(second, "disk.vda.write_bytes_per_s"), tt::tolerance(1e-9));
  BOOST_TEST(at(second, "cpu.frequency_mhz") == 2700.0);  // no cpufreq in the recording: /proc/cpuinfo
  BOOST_TEST(at(second, "tcp.established") == 4.0);
  BOOST_TEST(at(second, "fs.root.total_bytes") > 0.0);  // "/" from the recorded mounts, measured live
  BOOST_TEST(second.find("disk.zram0.read_ops_per_s").has_value());
  // Default exclude_disks = loop*,ram*.
  for (const auto& [name, value] : second.metrics) BOOST_TEST(name.find("loop") == std::string::npos, name);
  BOOST_TEST(host.undeclaredMetrics(SysMetricsProbe::metrics()).empty());
  BOOST_TEST(number(boost::json::parse(second.document).as_object().at("interval_s")) == 10.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(crafted_host)

BOOST_AUTO_TEST_CASE(rates_resets_wraps_and_levels) {
  CraftedHost tree;
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(tree.options());
  auto h = host.host();
  probe.run(h);
  BOOST_TEST(sleptMs(host) == std::chrono::milliseconds(2s).count());
  tree.show("after");
  host.clock().advance(10s);
  probe.run(h);
  BOOST_TEST_REQUIRE(host.results().size() == 2u);
  const auto& r = host.results()[1];
  BOOST_TEST(r.error == "");
  BOOST_TEST(host.undeclaredMetrics(SysMetricsProbe::metrics()).empty());

  // CPU: 400 busy of 700 ticks; cpu0 250 of 300; cpu1 150 of 400 (iowait is not busy).
  BOOST_TEST(at(r, "cpu.percent") == 100.0 * 400 / 700, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.user_percent") == 100.0 * 300 / 700, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.system_percent") == 100.0 * 100 / 700, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.iowait_percent") == 100.0 * 100 / 700, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.steal_percent") == 0.0);
  BOOST_TEST(at(r, "cpu.cpu0.percent") == 100.0 * 250 / 300, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.cpu1.percent") == 100.0 * 150 / 400, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.count") == 2.0);
  BOOST_TEST(at(r, "cpu.frequency_mhz") == 2100.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.cpu1.frequency_mhz") == 1800.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.context_switches_per_s") == 500.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.interrupts_per_s") == 200.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "cpu.interrupts_total") == 2500.0);
  BOOST_TEST(at(r, "proc.forks_per_s") == 2.0, tt::tolerance(1e-9));

  BOOST_TEST(at(r, "load.1m") == 1.5);
  BOOST_TEST(at(r, "load.15m") == 0.25);
  BOOST_TEST(at(r, "proc.threads") == 456.0);
  BOOST_TEST(at(r, "proc.running") == 3.0);
  BOOST_TEST(at(r, "proc.blocked") == 0.0);
  BOOST_TEST(at(r, "proc.count") == 3.0);  // numeric entries of proc_root only

  constexpr double kKiB = 1024;
  BOOST_TEST(at(r, "mem.total_bytes") == 8000000 * kKiB);
  BOOST_TEST(at(r, "mem.used_bytes") == (8000000 - 1000000 - 2500000 - 100000) * kKiB);
  BOOST_TEST(at(r, "mem.cached_bytes") == 2500000 * kKiB);
  BOOST_TEST(at(r, "mem.used_percent") == 37.5, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "swap.used_bytes") == 500000 * kKiB);
  BOOST_TEST(at(r, "swap.used_percent") == 25.0, tt::tolerance(1e-9));

  // sda: +10000 sectors read, +4000 written, +500/+200 ops; io_ticks wrapped through 2^32: +1000 ms.
  BOOST_TEST(at(r, "disk.sda.read_bytes_per_s") == 10000.0 * 512 / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.sda.write_bytes_per_s") == 4000.0 * 512 / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.sda.read_ops_per_s") == 50.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.sda.write_ops_per_s") == 20.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.sda.busy_percent") == 10.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.sda1.read_bytes_per_s") == 8000.0 * 512 / 10, tt::tolerance(1e-9));
  // nvme0n1's read counters went down (a reset): no read rates; writes still have theirs.
  BOOST_TEST(!r.find("disk.nvme0n1.read_bytes_per_s").has_value());
  BOOST_TEST(!r.find("disk.nvme0n1.read_ops_per_s").has_value());
  BOOST_TEST(at(r, "disk.nvme0n1.read_bytes_total") == 400.0 * 512);
  BOOST_TEST(at(r, "disk.nvme0n1.write_ops_per_s") == 20.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.nvme0n1.busy_percent") == 20.0, tt::tolerance(1e-9));
  // Totals: whole disks only (sda1 is a partition, loop0 is excluded); a reset adds nothing.
  BOOST_TEST(at(r, "disk.read_bytes_per_s") == 10000.0 * 512 / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.write_bytes_per_s") == (4000.0 + 1600) * 512 / 10, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.read_ops_per_s") == 50.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "disk.write_ops_per_s") == 40.0, tt::tolerance(1e-9));
  BOOST_TEST(!r.find("disk.loop0.read_ops_total").has_value());

  BOOST_TEST(at(r, "net.lo.rx_bytes_per_s") == 2000.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "net.lo.tx_packets_per_s") == 10.0, tt::tolerance(1e-9));
  BOOST_TEST(!r.find("net.eth0.rx_bytes_per_s").has_value());  // 5e9 -> 1000: reset
  BOOST_TEST(at(r, "net.eth0.rx_bytes_total") == 1000.0);
  BOOST_TEST(at(r, "net.eth0.rx_packets_per_s") == 20.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "net.eth0.rx_errors_per_s") == 1.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "net.eth0.rx_drops_per_s") == 0.0);
  BOOST_TEST(at(r, "net.eth0.tx_bytes_per_s") == 10000.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "net.eth0.tx_drops_per_s") == 2.0, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "net.eth0.tx_drops_total") == 24.0);
  BOOST_TEST(!r.find("net.eth1.rx_bytes_total").has_value());  // gone
  BOOST_TEST(at(r, "net.veth1.rx_bytes_total") == 64.0);       // new: totals now, rates next run
  BOOST_TEST(!r.find("net.veth1.rx_bytes_per_s").has_value());
  BOOST_TEST(!r.find("net.docker0.rx_bytes_total").has_value());  // exclude_interfaces

  BOOST_TEST(at(r, "tcp.established") == 2.0);
  BOOST_TEST(at(r, "tcp.listen") == 1.0);
  BOOST_TEST(at(r, "tcp.time_wait") == 1.0);
  BOOST_TEST(at(r, "tcp.syn_sent") == 0.0);
  BOOST_TEST(at(r, "tcp.total") == 4.0);
  BOOST_TEST(at(r, "fd.open") == 2048.0);
  BOOST_TEST(at(r, "fd.max") == 100000.0);
  BOOST_TEST(at(r, "fd.used_percent") == 2.048, tt::tolerance(1e-9));

  BOOST_TEST(at(r, "temp.coretemp_package_id_0.celsius") == 45.0);
  BOOST_TEST(at(r, "temp.coretemp_core_0.celsius") == -5.5);
  BOOST_TEST(at(r, "temp.nvme_composite.celsius") == 38.85, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "temp.nvme_composite_2.celsius") == 40.0);
  BOOST_TEST(at(r, "temp.acpitz_temp1.celsius") == 30.0);
  for (const auto& [name, value] : r.metrics) {
    BOOST_TEST(name.find("broken") == std::string::npos, name);
    BOOST_TEST(name.find("x86_pkg_temp") == std::string::npos, name);
  }

  // Filesystems: "/" and the temp mounts; not proc/tmpfs (nodev), squashfs (excluded type),
  // */skipme (exclude_mounts), the unreachable one, nor the one a tmpfs is mounted over.
  const auto d = tree.root().string();
  BOOST_TEST(at(r, "fs.root.total_bytes") > 0.0);
  const auto data = tree.label("data");
  BOOST_TEST(at(r, "fs." + data + ".used_bytes") <= at(r, "fs." + data + ".total_bytes"));
  BOOST_TEST(at(r, "fs." + data + ".used_percent") >= 0.0);
  BOOST_TEST(at(r, "fs." + data + ".used_percent") <= 100.0);
  BOOST_TEST(r.find("fs." + tree.label("a_b") + ".total_bytes").has_value());
  BOOST_TEST(r.find("fs." + tree.label("a_b") + "_2.total_bytes").has_value());  // "/a.b" and "/a_b" collide
  const auto doc = boost::json::parse(r.document).as_object();
  BOOST_TEST(number(doc.at("interval_s")) == 10.0);
  std::map<std::string, std::string> mountOfLabel;
  for (const auto& f : doc.at("filesystems").as_array()) {
    const auto& o = f.as_object();
    mountOfLabel[std::string(o.at("label").as_string())] = std::string(o.at("mountpoint").as_string());
  }
  BOOST_TEST(mountOfLabel.size() == 4u);
  BOOST_TEST(mountOfLabel["root"] == "/");
  BOOST_TEST(mountOfLabel[tree.label("a_b")] == d + "/a.b");  // mount-table order decides
  BOOST_TEST(mountOfLabel[tree.label("a_b") + "_2"] == d + "/a_b");
  BOOST_TEST(mountOfLabel[data] == d + "/data");

  // Problems are logged with their source, once; resets are logged as information.
  BOOST_TEST(logged(host, SS_LOG_WARNING, "diskstats: line 5", "'garbage line here'"));
  BOOST_TEST(countLogs(host, "diskstats: line 5") == 1u);  // two runs, three reads, one log line
  BOOST_TEST(logged(host, SS_LOG_WARNING, "/nonexistent/sysmetrics-test", "statvfs"));
  BOOST_TEST(logged(host, SS_LOG_WARNING, "hwmon3/temp1_input", "'n/a'"));
  BOOST_TEST(logged(host, SS_LOG_INFO, "disk.nvme0n1.read_bytes_per_s", "reset"));
  BOOST_TEST(logged(host, SS_LOG_INFO, "net.eth0.rx_bytes_per_s", "5000000000"));
  BOOST_TEST(countLogs(host, "tcp6") == 0u);
  BOOST_TEST(countLogs(host, "snap") == 0u);
  BOOST_TEST(countLogs(host, "skipme") == 0u);

  // A third run with the garbage line gone: the source is reported as clean again.
  writeText(tree.path("after/proc/diskstats"), "   8       0 sda 1500 0 30000 0 700 0 14000 0 0 704 0 0 0 0 0 0 0\n");
  host.clock().advance(10s);
  probe.run(h);
  BOOST_TEST(logged(host, SS_LOG_INFO, "diskstats reads cleanly again"));
  BOOST_TEST(at(host.results()[2], "disk.sda.read_bytes_per_s") == 0.0);  // no time travel
}

BOOST_AUTO_TEST_CASE(every_declared_metric_is_emitted_somewhere) {
  CraftedHost tree;
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(tree.options());
  auto h = host.host();
  probe.run(h);
  tree.show("after");
  host.clock().advance(10s);
  probe.run(h);
  // Metrics a declared pattern never matches would be a typo on one side or the other.
  for (const auto& m : SysMetricsProbe::metrics()) {
    bool emitted = false;
    for (const auto& r : host.results())
      for (const auto& [name, value] : r.metrics) emitted = emitted || streamswarm::values::metricMatches(m.name, name);
    BOOST_TEST(emitted, "declared but never emitted: " << m.name);
  }
}

BOOST_AUTO_TEST_CASE(filters_and_per_cpu_off) {
  CraftedHost tree;
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(tree.options({{"interfaces", "eth*,lo"},
                                                        {"exclude_interfaces", "lo"},
                                                        {"disks", "nvme*"},
                                                        {"mounts", "/"},
                                                        {"per_cpu", "false"},
                                                        {"tcp", "off"}}));
  auto h = host.host();
  probe.run(h);
  const auto& r = host.results().at(0);
  std::set<std::string> prefixes;
  for (const auto& [name, value] : r.metrics) prefixes.insert(name.substr(0, name.find('.', name.find('.') + 1)));
  BOOST_TEST(prefixes.count("net.eth0") == 1u);
  BOOST_TEST(prefixes.count("net.eth1") == 1u);
  BOOST_TEST(prefixes.count("net.lo") == 0u);
  BOOST_TEST(prefixes.count("disk.nvme0n1") == 1u);
  BOOST_TEST(prefixes.count("disk.sda") == 0u);
  BOOST_TEST(prefixes.count("fs.root") == 1u);
  BOOST_TEST(prefixes.count("cpu.cpu0") == 0u);
  BOOST_TEST(r.find("cpu.frequency_mhz").has_value());
  BOOST_TEST(!r.find("tcp.total").has_value());
  BOOST_TEST(boost::json::parse(r.document).as_object().at("filesystems").as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(thermal_zones_when_there_is_no_hwmon) {
  TempDir sys;
  writeText(sys / "class/thermal/thermal_zone0/type", "acpitz\n");
  writeText(sys / "class/thermal/thermal_zone0/temp", "27800\n");
  writeText(sys / "class/thermal/thermal_zone1/type", "x86_pkg_temp\n");
  writeText(sys / "class/thermal/thermal_zone1/temp", "51000\n");
  writeText(sys / "class/thermal/thermal_zone2/type", "acpitz\n");
  writeText(sys / "class/thermal/thermal_zone2/temp", "29000\n");
  writeText(sys / "class/thermal/thermal_zone3/type", "disabled\n");  // no temp file: left out
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(
      {{"proc_root", fixture("recorded/t0/proc").string()}, {"sys_root", sys.path().string()}});
  auto h = host.host();
  probe.run(h);
  const auto& r = host.results().at(0);
  BOOST_TEST(at(r, "temp.acpitz.celsius") == 27.8, tt::tolerance(1e-9));
  BOOST_TEST(at(r, "temp.x86_pkg_temp.celsius") == 51.0);
  BOOST_TEST(at(r, "temp.acpitz_2.celsius") == 29.0);
  BOOST_TEST(!r.find("temp.disabled.celsius").has_value());
  BOOST_TEST(host.logs().empty());
}

BOOST_AUTO_TEST_CASE(no_sensors_no_sysfs_no_noise) {
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>(
      {{"proc_root", fixture("recorded/t0/proc").string()}, {"sys_root", "/nonexistent/sysmetrics/sys"}});
  auto h = host.host();
  probe.run(h);
  const auto& r = host.results().at(0);
  BOOST_TEST(r.error == "");
  for (const auto& [name, value] : r.metrics) BOOST_TEST(!name.starts_with("temp."), name);
  BOOST_TEST(at(r, "cpu.cpu1.frequency_mhz") == 2700.0);
  BOOST_TEST(host.logs().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(unreadable_proc_is_an_error_result_not_an_exception) {
  TempDir empty;
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>({{"proc_root", empty.path().string()}});
  auto h = host.host();
  BOOST_CHECK_NO_THROW(probe.run(h));
  BOOST_TEST_REQUIRE(host.results().size() == 1u);
  const auto& error = host.results()[0].error;
  for (const auto* file : {"/stat", "/meminfo", "/loadavg"}) {
    const auto path = empty.path().string() + file + ":";
    BOOST_TEST(error.find(path) != std::string::npos, error);
    BOOST_TEST(error.find(path) == error.rfind(path), "reported twice: " << error);  // read twice in a first run
  }
  BOOST_TEST(logged(host, SS_LOG_WARNING, "diskstats", "cannot read"));
}

BOOST_AUTO_TEST_CASE(cancelled_run_emits_nothing) {
  FakeHost host;
  auto probe = makeProbe<SysMetricsProbe>({{"proc_root", fixture("recorded/t0/proc").string()}});
  host.cancel();
  auto h = host.host();
  probe.run(h);
  BOOST_TEST(host.results().empty());
}

// A first run cut short by its timeout keeps its whole first snapshot, so the next run reports at
// once instead of sleeping through the window (and timing out) again, forever.
BOOST_AUTO_TEST_CASE(cancelled_first_run_lets_the_next_report_without_sleeping) {
  auto probe = makeProbe<SysMetricsProbe>({{"proc_root", fixture("recorded/t0/proc").string()}});
  FakeHost cancelled;
  cancelled.cancel();
  auto first = cancelled.host();
  probe.run(first);
  BOOST_TEST(cancelled.results().empty());
  FakeHost later;  // same monotonic origin as the first host
  later.clock().advance(5s);
  auto second = later.host();
  probe.run(second);
  BOOST_TEST(sleptMs(later) == 0);
  BOOST_TEST_REQUIRE(later.results().size() == 1u);
  BOOST_TEST(later.results()[0].find("mem.total_bytes").has_value());  // same files twice: no CPU delta
}

BOOST_AUTO_TEST_CASE(runs_too_close_together_sample_again) {
  FakeHost host;
  auto probe =
      makeProbe<SysMetricsProbe>({{"proc_root", fixture("recorded/t0/proc").string()}, {"sample_window", "500ms"}});
  auto h = host.host();
  probe.run(h);
  host.clock().advance(10ms);  // far less than kMinRateInterval since the last sample
  probe.run(h);
  BOOST_TEST(sleptMs(host) == std::chrono::milliseconds(1s).count());  // both runs slept 500 ms
  host.clock().advance(5s);
  probe.run(h);
  BOOST_TEST(sleptMs(host) == std::chrono::milliseconds(1s).count());
  BOOST_TEST(host.results().size() == 3u);
}

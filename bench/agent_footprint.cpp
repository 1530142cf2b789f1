// bench_agent_footprint: the agent's steady-state memory and CPU with every built plugin enabled and
// sysmetrics sampling every second, against Debian's python3 + psutil doing the same sampling,
// measured in the same run, one after the other. The agent runs twice: with the other plugins
// every 60 s (idle: a host that may stop between runs does), and with them every 10 s (busy: every
// host is up and working). Prints the ratios and PASS/FAIL of each against the targets (PSS sum
// < 10 MiB, CPU < 1 % of one core); exits non-zero on FAIL only with --check.
#include "bench/bench_error.hpp"
#include "bench/child_process.hpp"
#include "bench/output_counter.hpp"
#include "bench/process_tree.hpp"
#include "bench/subject.hpp"

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace po = boost::program_options;
namespace json = boost::json;
using namespace streamswarm::bench;

namespace {

constexpr int kExitFail = 1;  // a target missed, with --check
constexpr int kExitCannotRun = 2;
constexpr double kPssTargetMib = 10.0;
constexpr double kCpuTargetPercent = 1.0;
// Fewer samples than this share of the window's seconds means the subject is not really sampling.
constexpr double kMinSampleShare = 0.8;
constexpr int kMaxExclusions = 16;  // plugins dropped for required options before giving up
constexpr const char* kSamplingEvery = "1s";

// How often the plugins other than the sampling one run, in each agent scenario.
struct Scenario {
  const char* name;
  const char* othersEvery;
  const char* what;
};
constexpr Scenario kScenarios[] = {
    {"idle", "60s", "the other plugins idle between runs 60 s apart"},
    {"busy", "10s", "every plugin working: the others run every 10 s, so every host stays up"},
};
constexpr std::size_t kScenarioCount = std::size(kScenarios);
constexpr const char* kPythonSamplesKey = "samples";
constexpr int kPythonNoPsutil = 3;    // psutil_sampler.py's exit code
constexpr int kAgentExitStartup = 2;  // streamswarm-agent's exit code for a configuration error

struct Options {
  fs::path agent;
  std::optional<fs::path> pluginDir;
  fs::path python;
  fs::path script;
  std::string samplePlugin;
  // PLUGIN -> "key = value" lines added to its section (--set PLUGIN.KEY=VALUE).
  std::map<std::string, std::vector<std::string>> settings;
  int warmupSeconds = 5;
  int seconds = 30;
  int rounds = 1;
  bool check = false;
};

struct PluginRow {
  std::string name;
  std::string file;
};

// Everything one benchmark run found, for the report.
struct Results {
  std::vector<PluginRow> plugins;  // loaded in the agent's runs
  std::string sampler;             // the plugin run every second
  bool representative = true;      // the sampler is the target's sampling plugin
  std::vector<std::string> excluded;
  std::vector<Measurement> pythonRuns;
  std::vector<Measurement> agentRuns[kScenarioCount];  // by kScenarios index
};

double toMib(std::uint64_t kib) {
  return static_cast<double>(kib) / 1024.0;
}

fs::path executableDir() {
  return fs::canonical("/proc/self/exe").parent_path();
}

// The rows of `streamswarm-agent --list-plugins` with status ok.
std::vector<PluginRow> listPlugins(const Options& o, const fs::path& scratch) {
  std::vector<std::string> argv{o.agent.string(), "--list-plugins"};
  if (o.pluginDir) argv.insert(argv.end(), {"--plugin-dir", o.pluginDir->string()});
  const auto r = runCommand(argv, scratch);
  if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
    throw BenchError(o.agent.string() + " --list-plugins failed (" + describeStatus(r.status) + "):\n" +
                     lastLines(r.err, 10) +
                     "build the plugins (cmake --build --preset default) or pass --plugin-dir DIR");
  std::vector<PluginRow> rows;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name, version, abi, status, file;
    if (!(fields >> name >> version >> abi >> status >> file) || name == "NAME") continue;
    if (status == "ok") rows.push_back({name, file});
  }
  return rows;
}

// Checks that python imports psutil and returns its version.
std::string psutilVersion(const Options& o, const fs::path& scratch) {
  const auto r = runCommand({o.python.string(), "-c", "import psutil; print(psutil.__version__)"}, scratch);
  if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
    throw BenchError(o.python.string() + " cannot import psutil (" + describeStatus(r.status) + "):\n" +
                     lastLines(r.err, 3) + "the baseline needs Debian's psutil: apt-get install python3-psutil");
  auto version = r.out;
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
  return version;
}

std::string writeAgentConfig(const fs::path& file, const std::vector<PluginRow>& plugins, const std::string& sampler,
                             const Scenario& scenario, const Options& o) {
  std::ofstream out(file);
  out << "[agent]\nname = bench\nlog_level = warning\n";
  for (const auto& p : plugins) {
    const bool sampling = p.name == sampler;
    const auto set = o.settings.find(p.name);
    const auto given = [&](const std::string& key) {
      return set != o.settings.end() &&
             std::any_of(set->second.begin(), set->second.end(),
                         [&](const std::string& line) { return line.rfind(key + " =", 0) == 0; });
    };
    out << "\n[plugin." << p.name << "]\n";
    if (!given("run_every")) out << "run_every = " << (sampling ? kSamplingEvery : scenario.othersEvery) << "\n";
    if (sampling && !given("run_timeout")) out << "run_timeout = " << kSamplingEvery << "\n";
    if (set != o.settings.end())
      for (const auto& line : set->second) out << line << "\n";
  }
  if (!out) throw BenchError("cannot write " + file.string());
  return file.string();
}

// Keys a result line by its plugin, and a failed run by plugin + " errors".
std::string classifyResult(std::string_view line) {
  boost::system::error_code ec;
  const auto value = json::parse(line, ec);
  if (ec || !value.is_object()) return "(not JSON)";
  const auto& obj = value.get_object();
  const auto* plugin = obj.if_contains("plugin");
  std::string key = plugin && plugin->is_string() ? std::string(plugin->get_string()) : "(no plugin)";
  if (obj.contains("error")) key += " errors";
  return key;
}

// The plugin an agent start-up error names: "... [plugin.NAME] ..." or "[plugin.NAME.INSTANCE]".
std::optional<std::string> pluginNamedIn(const std::string& text) {
  const std::string marker = "[plugin.";
  const auto at = text.find(marker);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + marker.size();
  const auto end = text.find_first_of(".]", start);
  if (end == std::string::npos || end == start) return std::nullopt;
  return text.substr(start, end - start);
}

template <typename Get>
double median(const std::vector<Measurement>& ms, Get get) {
  std::vector<double> v;
  for (const auto& m : ms) v.push_back(get(m));
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string ratio(double a, double b) {
  if (b <= 0) return "n/a (baseline is 0)";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fx", a / b);
  return buffer;
}

// One clock tick over the window: /proc reports CPU time in ticks, so 0 means "less than this".
double cpuResolution(double windowSeconds) {
  return 100.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)) / windowSeconds;
}

std::string cpuText(double percent, double windowSeconds) {
  char buffer[32];
  if (percent > 0)
    std::snprintf(buffer, sizeof buffer, "%.2f", percent);
  else
    std::snprintf(buffer, sizeof buffer, "<%.2f", cpuResolution(windowSeconds));
  return buffer;
}

std::string agentName(const Scenario& scenario) {
  return std::string("agent, ") + scenario.name;
}

void printSummaryRow(const std::string& name, const std::vector<Measurement>& ms) {
  const auto samples = median(ms, [](const Measurement& m) { return static_cast<double>(m.samples); });
  const auto window = median(ms, [](const Measurement& m) { return m.windowSeconds; });
  std::printf("%-22s %5.0f in %4.1f s %9s %10.2f %10.2f %10.2f %10.2f %10.2f %6zu\n", name.c_str(), samples, window,
              cpuText(median(ms, [](const Measurement& m) { return m.cpuPercent; }), window).c_str(),
              median(ms, [](const Measurement& m) { return toMib(m.peakTotal.pssKib); }),
              median(ms, [](const Measurement& m) { return toMib(m.lastTotal.pssKib); }),
              median(ms, [](const Measurement& m) { return toMib(m.lastTotal.ussKib); }),
              median(ms, [](const Measurement& m) { return toMib(m.peakTotal.rssKib); }),
              median(ms, [](const Measurement& m) { return toMib(m.lastTotal.rssKib); }), ms.back().processes);
}

void printProcesses(const std::string& name, const Measurement& m) {
  std::printf(
      "\n%s, per process (last round; memory when last seen, which is the end of the window for a\n"
      "process seen in every sample):\n",
      name.c_str());
  std::printf("  %-8s %-52s %7s %9s %10s %10s %10s %10s\n", "PID", "PROCESS", "SEEN", "CPU %core", "PSS MiB", "USS MiB",
              "RSS MiB", "RSS peak");
  for (const auto& p : m.perProcess) {
    const auto seen = std::to_string(p.seen) + "/" + std::to_string(m.memorySamples);
    std::printf("  %-8d %-52s %7s %9.2f %10.2f %10.2f %10.2f %10.2f\n", static_cast<int>(p.pid), p.label.c_str(),
                seen.c_str(), p.cpuPercent, toMib(p.last.pssKib), toMib(p.last.ussKib), toMib(p.last.rssKib),
                toMib(p.peak.rssKib));
  }
}

// Which plugin hosts the memory samples saw, over every round: a host that stops while idle
// costs nothing while it is stopped, and the reader should know which ones did.
void printHosts(const std::string& name, const std::vector<PluginRow>& plugins, const std::vector<Measurement>& ms) {
  std::printf("%s: plugin hosts in the memory samples of the window:", name.c_str());
  for (const auto& plugin : plugins) {
    const auto file = fs::path(plugin.file).filename().string();
    std::size_t seen = 0, samples = 0, processes = 0;
    for (const auto& m : ms) {
      samples += m.memorySamples;
      for (const auto& p : m.perProcess)
        if (p.label.size() >= file.size() && p.label.compare(p.label.size() - file.size(), file.size(), file) == 0) {
          seen += p.seen;
          ++processes;
        }
    }
    std::printf("\n  %-14s %s", plugin.name.c_str(),
                seen == 0         ? "in none (not running: stopped while idle)"
                : seen == samples ? "in every one"
                                  : ("in " + std::to_string(seen) + " of " + std::to_string(samples)).c_str());
    if (processes > ms.size()) std::printf(" (%zu processes: started again)", processes);
  }
  std::printf("\n");
}

// Loud notes for a subject whose output shows it did not do the work being compared; false then.
// Error results of the other plugins are measurements too (a refused connection): noted only.
bool checkSampling(const std::string& name, const std::string& sampleKey, const Measurement& m, int round) {
  bool ok = true;
  const double expected = m.windowSeconds;  // one sample a second
  if (static_cast<double>(m.samples) < kMinSampleShare * expected) {
    std::printf(
        "\n!!! round %d: %s produced only %ld samples in %.1f s (expected ~%.0f): it is NOT really sampling every "
        "second, so its figures are not comparable !!!\n",
        round, name.c_str(), m.samples, m.windowSeconds, expected);
    ok = false;
  }
  for (const auto& [key, n] : m.lines) {
    if (key.size() <= 7 || key.compare(key.size() - 7, 7, " errors") != 0) continue;
    const auto plugin = key.substr(0, key.size() - 7);
    if (plugin == sampleKey) {
      std::printf("!!! round %d: %s: %ld failed runs of %s in the window !!!\n", round, name.c_str(), n,
                  plugin.c_str());
      ok = false;
    } else {
      std::printf(
          "note: round %d: %s: %ld results of %s with an error in the window (measured failures, such as\n"
          "      a refused connection, are results too)\n",
          round, name.c_str(), n, plugin.c_str());
    }
  }
  if (!ok && !m.stderrTail.empty()) std::printf("  its last diagnostics:\n%s", m.stderrTail.c_str());
  return ok;
}

Options parseOptions(int argc, char** argv, bool& helpOnly) {
  Options o;
  po::options_description d("bench_agent_footprint options");
  d.add_options()("help,h", "show this help")("seconds", po::value(&o.seconds)->default_value(30),
                                              "measurement window per run, in seconds")(
      "warmup", po::value(&o.warmupSeconds)->default_value(5), "seconds each program runs before the window starts")(
      "rounds", po::value(&o.rounds)->default_value(1),
      "measure baseline and agent this many times each, alternating which goes first; medians are reported")(
      "check", po::bool_switch(&o.check), "exit 1 when a target is missed (for CI)")(
      "agent", po::value<std::string>(),
      "streamswarm-agent to measure (default: ../bin/streamswarm-agent beside this)")(
      "plugin-dir", po::value<std::string>(), "plugin directory (default: the agent's own)")(
      "sample-plugin", po::value(&o.samplePlugin)->default_value("sysmetrics"),
      "the plugin run every second; the others run every 60 s (idle run) and every 10 s (busy run)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "PLUGIN.KEY=VALUE: add a key to a plugin's section (repeatable), e.g. a required option or run_timeout")(
      "python", po::value<std::string>()->default_value("/usr/bin/python3"), "python with psutil for the baseline")(
      "script", po::value<std::string>(), "the baseline script (default: psutil_sampler.py beside this)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, d), vm);
  po::notify(vm);
  helpOnly = vm.count("help") > 0;
  if (helpOnly) {
    std::cout << "usage: bench_agent_footprint [--seconds N] [--rounds N] [--check]\n\n" << d;
    return o;
  }
  if (o.seconds < 1 || o.warmupSeconds < 0 || o.rounds < 1)
    throw BenchError("--seconds and --rounds must be at least 1, --warmup at least 0");
  const auto here = executableDir();
  o.agent = vm.count("agent") ? fs::path(vm["agent"].as<std::string>()) : here / ".." / "bin" / "streamswarm-agent";
  if (vm.count("plugin-dir")) o.pluginDir = fs::absolute(vm["plugin-dir"].as<std::string>());
  o.python = vm["python"].as<std::string>();
  o.script = vm.count("script") ? fs::path(vm["script"].as<std::string>()) : here / "psutil_sampler.py";
  for (const auto& [what, path] : {std::pair{"agent", o.agent}, {"python", o.python}, {"script", o.script}})
    if (!fs::exists(path))
      throw BenchError(
          std::string(what) + " " + path.string() + " not found" +
          (std::string(what) == "agent" ? ": build it (cmake --build --preset default) or pass --agent" : ""));
  o.agent = fs::canonical(o.agent);
  if (vm.count("set"))
    for (const auto& text : vm["set"].as<std::vector<std::string>>()) {
      const auto dot = text.find('.'), equals = text.find('=');
      if (dot == std::string::npos || equals == std::string::npos || dot == 0 || equals < dot + 2)
        throw BenchError("--set '" + text + "': expected PLUGIN.KEY=VALUE");
      o.settings[text.substr(0, dot)].push_back(text.substr(dot + 1, equals - dot - 1) + " = " +
                                                text.substr(equals + 1));
    }
  return o;
}

// Removes the scratch directory however the benchmark ends.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "streamswarm-bench-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw BenchError("cannot create a directory in " + fs::temp_directory_path().string());
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Prints the table, the notes, the ratios and the verdict; returns the exit code.
int printReport(const Options& o, const Results& results) {
  const auto& [plugins, sampler, representative, excluded, pythonRuns, agentRuns] = results;
  const std::string pythonName = "python3+psutil";
  std::printf("\nplugins: %s every %s; the others (", sampler.c_str(), kSamplingEvery);
  bool first = true;
  for (const auto& p : plugins)
    if (p.name != sampler) {
      std::printf("%s%s", first ? "" : ", ", p.name.c_str());
      first = false;
    }
  std::printf(") every %s in the idle run, every %s in the busy run\n", kScenarios[0].othersEvery,
              kScenarios[1].othersEvery);
  for (const auto& scenario : kScenarios) std::printf("  %-6s %s\n", scenario.name, scenario.what);
  for (const auto& [name, lines] : o.settings)
    for (const auto& line : lines) std::printf("set:      [plugin.%s] %s\n", name.c_str(), line.c_str());
  for (const auto& name : excluded)
    std::printf("excluded: %s (needs options the bench cannot guess; give them with --set %s.KEY=VALUE)\n",
                name.c_str(), name.c_str());

  std::printf("\n%-22s %14s %9s %10s %10s %10s %10s %10s %6s\n", "SUBJECT (medians)", "SAMPLES", "CPU %core",
              "PSS peak", "PSS last", "USS last", "RSS peak", "RSS last", "PROCS");
  std::printf("%-22s %14s %9s %10s %10s %10s %10s %10s %6s\n", "", "", "", "MiB", "MiB", "MiB", "MiB", "MiB", "");
  printSummaryRow(pythonName, pythonRuns);
  for (std::size_t s = 0; s < kScenarioCount; ++s) printSummaryRow(agentName(kScenarios[s]), agentRuns[s]);
  printProcesses(pythonName, pythonRuns.back());
  for (std::size_t s = 0; s < kScenarioCount; ++s) printProcesses(agentName(kScenarios[s]), agentRuns[s].back());
  std::printf("\n");
  for (std::size_t s = 0; s < kScenarioCount; ++s) printHosts(agentName(kScenarios[s]), plugins, agentRuns[s]);
  std::printf(
      "\nRSS sums count shared pages (libc, libstdc++, Boost) once per process; PSS splits them between the processes\n"
      "mapping them, so the PSS sum is the honest total and the one the target is judged on (its peak over the\n"
      "window). PSS also shrinks when unrelated programs map the same libraries; USS (pages no other process maps)\n"
      "does not, and is the floor. CPU is utime+stime of the process and its descendants (and children they\n"
      "reaped) over the window, in %% of one core; the clock tick is %ld ms, so each process's figure is +-1 tick.\n"
      "A plugin host started and stopped between two memory samples is in no sample; its CPU still counts.\n",
      1000 / ::sysconf(_SC_CLK_TCK));

  bool pythonSampled = true;
  bool agentSampled[kScenarioCount];
  std::fill(std::begin(agentSampled), std::end(agentSampled), true);
  for (int r = 0; r < o.rounds; ++r) {
    const auto round = static_cast<std::size_t>(r);
    pythonSampled = checkSampling(pythonName, kPythonSamplesKey, pythonRuns[round], r + 1) && pythonSampled;
    for (std::size_t s = 0; s < kScenarioCount; ++s)
      agentSampled[s] =
          checkSampling(agentName(kScenarios[s]) + " (" + sampler + ")", sampler, agentRuns[s][round], r + 1) &&
          agentSampled[s];
  }

  const auto pss = [](const Measurement& m) { return toMib(m.peakTotal.pssKib); };
  const auto cpu = [](const Measurement& m) { return m.cpuPercent; };
  bool allOk = true;
  for (std::size_t s = 0; s < kScenarioCount; ++s) {
    const auto& runs = agentRuns[s];
    const auto name = agentName(kScenarios[s]);
    const double agentPss = median(runs, pss), agentCpu = median(runs, cpu);
    const double agentWindow = median(runs, [](const Measurement& m) { return m.windowSeconds; });
    // An agent below one tick gets an upper bound, not a ratio of 0.
    const auto cpuRatio = agentCpu > 0 ? ratio(agentCpu, median(pythonRuns, cpu))
                                       : "<" + ratio(cpuResolution(agentWindow), median(pythonRuns, cpu));
    std::printf("\n%s: ratio to python3+psutil (below 1: the agent is cheaper): PSS %s, CPU %s%s\n", name.c_str(),
                ratio(agentPss, median(pythonRuns, pss)).c_str(), cpuRatio.c_str(),
                agentSampled[s] && pythonSampled ? "" : " [not comparable: see the !!! notes]");

    const bool pssOk = agentPss < kPssTargetMib, cpuOk = agentCpu < kCpuTargetPercent;
    // A figure from an agent that did not sample, or sampled with a stand-in, proves nothing.
    const bool judgeable = representative && agentSampled[s];
    const auto why = !representative    ? "no " + o.samplePlugin + " plugin"
                     : !agentSampled[s] ? std::string("the agent was not sampling")
                                        : std::string();
    const auto verdict = [&](bool ok) {
      if (judgeable) return std::string(ok ? "PASS" : "FAIL");
      return std::string("NOT JUDGED, ") + why + " (would " + (ok ? "pass" : "fail") + ")";
    };
    std::printf("%s: target PSS sum < %.0f MiB:      %s: %.2f MiB\n", name.c_str(), kPssTargetMib,
                verdict(pssOk).c_str(), agentPss);
    std::printf("%s: target CPU < %.0f %% of one core: %s: %s %%\n", name.c_str(), kCpuTargetPercent,
                verdict(cpuOk).c_str(), cpuText(agentCpu, agentWindow).c_str());
    allOk = allOk && judgeable && pssOk && cpuOk;
  }
  if (!excluded.empty())
    std::printf(
        "NOTE: these figures leave out %zu of the built plugins (excluded above); each plugin loaded adds a "
        "plugin host process, so the footprint with all of them is larger.\n",
        excluded.size());
  if (!o.check) return 0;
  return allOk ? 0 : kExitFail;
}

int run(const Options& o) {
  ScratchDir scratch;
  const auto psutil = psutilVersion(o, scratch.path);
  Results results;
  auto& plugins = results.plugins;
  plugins = listPlugins(o, scratch.path);
  if (plugins.empty())
    throw BenchError("no usable plugin found by " + o.agent.string() + " --list-plugins" +
                     (o.pluginDir ? " --plugin-dir " + o.pluginDir->string() : " in its default plugin directory") +
                     ": build the plugins (cmake --build --preset default) or pass --plugin-dir DIR");
  for (const auto& [name, lines] : o.settings)
    if (std::none_of(plugins.begin(), plugins.end(), [&](const PluginRow& p) { return p.name == name; }))
      throw BenchError("--set " + name + ".*: no plugin '" + name + "' among the built ones");

  // Without the sampling plugin the run still measures the agent, but not the target setup.
  auto& sampler = results.sampler;
  sampler = o.samplePlugin;
  const bool representative = results.representative =
      std::any_of(plugins.begin(), plugins.end(), [&](const PluginRow& p) { return p.name == sampler; });
  if (!representative) {
    sampler = plugins.front().name;
    std::printf(
        "NOTE: no '%s' plugin among the built ones; sampling with '%s' every second instead. The figures are NOT the "
        "target configuration and the targets are not judged.\n\n",
        o.samplePlugin.c_str(), sampler.c_str());
  }

  const Subject python(
      "python3+psutil", {o.python.string(), o.script.string()},
      [](std::string_view) { return std::string(kPythonSamplesKey); }, kPythonSamplesKey);
  const std::chrono::seconds warmup(o.warmupSeconds), window(o.seconds);
  auto& pythonRuns = results.pythonRuns;
  auto& agentRuns = results.agentRuns;
  auto& excluded = results.excluded;

  auto agentSubject = [&](const Scenario& scenario) {
    const auto config = writeAgentConfig(scratch.path / "agent.ini", plugins, sampler, scenario, o);
    std::vector<std::string> argv{o.agent.string(), "--config", config};
    if (o.pluginDir) argv.insert(argv.end(), {"--plugin-dir", o.pluginDir->string()});
    return Subject("streamswarm-agent", argv, classifyResult, sampler);
  };
  auto measureAgent = [&](const Scenario& scenario) {
    for (int attempt = 0;; ++attempt) {
      try {
        return agentSubject(scenario).measure(warmup, window, scratch.path);
      } catch (const SubjectEnded& e) {
        // A plugin that needs options the bench cannot guess stops the agent at start-up (exit 2).
        const auto named = pluginNamedIn(e.stderrText());
        const bool startupError = WIFEXITED(e.status()) && WEXITSTATUS(e.status()) == kAgentExitStartup;
        // The target's own sampling plugin cannot be dropped; a stand-in for it can be replaced.
        const bool canDrop = named && (*named != sampler || (!representative && plugins.size() > 1));
        if (!startupError || !canDrop || attempt >= kMaxExclusions)
          throw BenchError(std::string(e.what()) + ":\n" + lastLines(e.stderrText(), 10));
        std::printf("\nNOTE: excluding plugin '%s': the agent refused to start with it at its defaults:\n%s",
                    named->c_str(), lastLines(e.stderrText(), 3).c_str());
        std::erase_if(plugins, [&](const PluginRow& p) { return p.name == *named; });
        excluded.push_back(*named);
        if (*named == sampler) {
          sampler = plugins.front().name;
          std::printf("NOTE: sampling with '%s' every second instead\n", sampler.c_str());
        }
      }
    }
  };
  auto measurePython = [&] {
    try {
      return python.measure(warmup, window, scratch.path);
    } catch (const SubjectEnded& e) {
      if (WIFEXITED(e.status()) && WEXITSTATUS(e.status()) == kPythonNoPsutil)
        throw BenchError("the baseline cannot import psutil: apt-get install python3-psutil");
      throw BenchError(std::string(e.what()) + ":\n" + lastLines(e.stderrText(), 10));
    }
  };

  std::printf("bench_agent_footprint: warm-up %d s, window %d s, %d round(s), memory sampled every %lld s\n",
              o.warmupSeconds, o.seconds, o.rounds, static_cast<long long>(kMemoryPeriod.count()));
  std::printf("agent:    %s%s%s\n", o.agent.c_str(), o.pluginDir ? " --plugin-dir " : "",
              o.pluginDir ? o.pluginDir->c_str() : "");
  std::printf("baseline: %s %s (psutil %s)\n", o.python.c_str(), o.script.c_str(), psutil.c_str());
  std::fflush(stdout);

  constexpr std::size_t kSubjects = 1 + kScenarioCount;  // python, then the agent's scenarios
  for (int round = 1; round <= o.rounds; ++round) {
    // Alternating the order spreads slow drifts of a shared machine over the subjects.
    const bool forward = round % 2 == 1;
    std::printf("round %d/%d: ", round, o.rounds);
    for (std::size_t i = 0; i < kSubjects; ++i) {
      const auto subject = forward ? i : kSubjects - 1 - i;
      std::printf("%s%s...", i ? ", " : "",
                  subject == 0 ? python.name().c_str() : agentName(kScenarios[subject - 1]).c_str());
      std::fflush(stdout);
      if (subject == 0)
        pythonRuns.push_back(measurePython());
      else
        agentRuns[subject - 1].push_back(measureAgent(kScenarios[subject - 1]));
    }
    std::printf(" done\n");
    if (o.rounds > 1) {
      std::printf("  python3+psutil CPU %.2f %% PSS peak %.2f MiB", pythonRuns.back().cpuPercent,
                  toMib(pythonRuns.back().peakTotal.pssKib));
      for (std::size_t s = 0; s < kScenarioCount; ++s)
        std::printf("; %s CPU %.2f %% PSS peak %.2f MiB", agentName(kScenarios[s]).c_str(),
                    agentRuns[s].back().cpuPercent, toMib(agentRuns[s].back().peakTotal.pssKib));
      std::printf("\n");
    }
  }
  return printReport(o, results);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    bool helpOnly = false;
    const auto options = parseOptions(argc, argv, helpOnly);
    return helpOnly ? 0 : run(options);
  } catch (const po::error& e) {
    std::fprintf(stderr, "bench_agent_footprint: %s (see --help)\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_agent_footprint: error: %s\n", e.what());
  }
  return kExitCannotRun;
}

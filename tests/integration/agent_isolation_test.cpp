#define BOOST_TEST_MODULE agent_isolation
// Runs the real agent with deliberately broken plugins (tests/core/plugins/test_probe.cpp built as
// probe_a, probe_b, probe_c, and probe_d with independent runs): a plugin that crashes, aborts,
// throws or hangs must become an error result, never stop the agent or the other plugins, and be
// restarted with back-off; an idle host of a plugin with independent runs stops between runs.
#include "tests/support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <algorithm>

namespace ts = streamswarm::testsupport;
namespace json = boost::json;

namespace {

struct Agent {
  ts::TempDir dir;
  std::vector<std::string> args(const std::string& config, bool once) {
    ts::writeFile(dir / "agent.conf", "[agent]\nname = test\n" + config);
    std::vector<std::string> a{(ts::buildDir() / "bin" / "streamswarm-agent").string(), "--config",
                               (dir / "agent.conf").string(), "--plugin-dir",
                               (ts::buildDir() / "test-plugins").string()};
    if (once) a.push_back("--once");
    return a;
  }
  ts::RunOutput once(const std::string& config) { return ts::run(args(config, true), std::chrono::seconds(60)); }
};

std::vector<json::object> results(const std::string& out, const std::string& plugin) {
  std::vector<json::object> found;
  for (const auto& line : ts::lines(out)) {
    auto o = json::parse(line).as_object();  // every stdout line must be JSON
    if (o.at("plugin").as_string() == plugin) found.push_back(std::move(o));
  }
  return found;
}

std::string errorOf(const json::object& o) {
  return o.contains("error") ? std::string(o.at("error").as_string()) : "";
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(crash_and_hang_become_error_results_while_others_run, Agent) {
  const auto r = once(R"(
[plugin.probe_a]
targets = alpha, beta
value = 7.5
[plugin.probe_b]
mode = crash
[plugin.probe_c]
mode = hang
run_timeout = 1s
)");
  BOOST_TEST(r.status == 1, r.err);  // some run failed
  const auto a = results(r.out, "probe_a");
  BOOST_REQUIRE_EQUAL(a.size(), 2u);
  BOOST_TEST(a[0].at("target").as_string() == "alpha");
  BOOST_TEST(a[1].at("target").as_string() == "beta");
  BOOST_TEST(a[0].at("metrics").at("test.value").as_double() == 7.5);
  BOOST_TEST(a[0].at("document").at("hops").as_array().size() == 2u);
  BOOST_TEST(a[0].at("document_schema").as_int64() == 3);
  BOOST_TEST(!a[0].contains("error"));
  BOOST_TEST(std::string(a[0].at("timestamp").as_string()).back() == 'Z');

  const auto b = results(r.out, "probe_b");
  BOOST_REQUIRE_EQUAL(b.size(), 1u);
  BOOST_TEST(errorOf(b[0]) == "plugin host killed by signal 11 (Segmentation fault) during the run");
  const auto c = results(r.out, "probe_c");
  BOOST_REQUIRE_EQUAL(c.size(), 1u);
  BOOST_TEST(errorOf(c[0]) == "run timed out after 1s and was cancelled");
}

BOOST_FIXTURE_TEST_CASE(abort_throw_and_ignored_cancellation, Agent) {
  const auto r = once(R"(
[plugin.probe_a]
mode = stubborn
run_timeout = 1s
[plugin.probe_b]
mode = abort
[plugin.probe_c]
mode = throw
)");
  BOOST_TEST(r.status == 1, r.err);
  BOOST_TEST(errorOf(results(r.out, "probe_a").at(0)) ==
             "run timed out after 1s and ignored cancellation; plugin host killed");
  BOOST_TEST(errorOf(results(r.out, "probe_b").at(0)) == "plugin host killed by signal 6 (Aborted) during the run");
  BOOST_TEST(errorOf(results(r.out, "probe_c").at(0)) == "probe threw on purpose");
}

BOOST_FIXTURE_TEST_CASE(bad_output_of_a_plugin_is_contained, Agent) {
  const auto r = once(R"(
[plugin.probe_a]
mode = undeclared
[plugin.probe_b]
mode = bad_document
)");
  BOOST_TEST(r.status == 0, r.err);
  const auto a = results(r.out, "probe_a").at(0);
  BOOST_TEST(!a.at("metrics").as_object().contains("not.declared"));
  BOOST_TEST(a.at("metrics").as_object().contains("test.value"));
  BOOST_TEST(r.err.find("undeclared metric 'not.declared'; dropped") != std::string::npos, r.err);
  const auto b = results(r.out, "probe_b").at(0);
  BOOST_TEST(!b.contains("document"));
  BOOST_TEST(errorOf(b) == "plugin emitted a result document that is not a JSON object");
}

BOOST_FIXTURE_TEST_CASE(configuration_errors_stop_the_start_with_file_key_and_reason, Agent) {
  const auto file = (dir / "agent.conf").string();
  auto r = once("[plugin.probe_a]\nmdoe = ok\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(
      r.err.find(file + ": [plugin.probe_a] key 'mdoe': unknown option for plugin 'probe_a'") != std::string::npos,
      r.err);

  r = once("[plugin.probe_a]\nmode = sideways\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("key 'mode': 'sideways' is not one of: ok, throw") != std::string::npos, r.err);

  r = once("[plugin.probe_a]\nreject = yes\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find(file + ": [plugin.probe_a]: plugin 'probe_a' rejected its options: option 'reject'") !=
                 std::string::npos,
             r.err);

  r = once("[plugin.no_such_probe]\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("no plugin named 'no_such_probe'") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("available: probe_a, probe_b, probe_c, probe_d") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(crashing_plugin_restarts_with_backoff_while_others_keep_their_rate, Agent) {
  ts::Process agent(args(R"(
[plugin.probe_a]
run_every = 500ms
[plugin.probe_b]
mode = crash
run_every = 500ms
)",
                         false));
  std::this_thread::sleep_for(std::chrono::milliseconds(7200));
  agent.signal(SIGTERM);
  BOOST_TEST(agent.wait(std::chrono::seconds(10)) == 0);
  const auto out = agent.out();
  const auto err = agent.err();
  // probe_a every 500 ms for ~7.2 s: about 15 results, undisturbed by probe_b's crashes.
  const auto a = results(out, "probe_a");
  BOOST_TEST(a.size() >= 12u, a.size() << " results\n" << err);
  BOOST_TEST(std::all_of(a.begin(), a.end(), [](const json::object& o) { return !o.contains("error"); }));
  // Back-off 1 s, 2 s, 4 s: in 7.2 s at most 4 crashes (at ~0, 1, 3, 7 s), not 15.
  const auto b = results(out, "probe_b");
  const auto crashes = std::count_if(b.begin(), b.end(), [](const json::object& o) {
    return errorOf(o) == "plugin host killed by signal 11 (Segmentation fault) during the run";
  });
  BOOST_TEST(crashes >= 3);
  BOOST_TEST(crashes <= 4);
  BOOST_TEST(count(err, "restarting in 1s") == 1u, err);
  BOOST_TEST(count(err, "restarting in 2s") == 1u, err);
  BOOST_TEST(count(err, "restarting in 4s") == 1u, err);
  // Runs that fall due while it is down are reported, not silently skipped.
  const auto unavailable = std::count_if(b.begin(), b.end(), [](const json::object& o) {
    return errorOf(o).find("plugin unavailable: plugin host killed by signal 11") != std::string::npos;
  });
  BOOST_TEST(unavailable >= 5);
}

BOOST_FIXTURE_TEST_CASE(sigterm_cancels_runs_and_ends_plugin_hosts, Agent) {
  ts::Process agent(args(R"(
[plugin.probe_a]
run_every = 30s
[plugin.probe_c]
mode = hang
run_every = 30s
)",
                         false));
  std::vector<pid_t> hosts;
  for (int i = 0; i < 100 && hosts.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hosts = ts::childrenOf(agent.pid());
  }
  BOOST_REQUIRE_EQUAL(hosts.size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // probe_c is now in its hanging run
  agent.signal(SIGTERM);
  // The hanging run is cancelled rather than waited for: without that the agent would not exit.
  BOOST_TEST(agent.wait(std::chrono::seconds(10)) == 0);
  for (const auto pid : hosts) BOOST_TEST(::kill(pid, 0) == -1, "plugin host " << pid << " outlived the agent");
  BOOST_TEST(agent.err().find("received SIGTERM; stopping") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(plugin_hosts_die_with_a_killed_agent, Agent) {
  ts::Process agent(args("[plugin.probe_a]\nrun_every = 30s\n[plugin.probe_b]\nrun_every = 30s\n", false));
  std::vector<pid_t> hosts;
  for (int i = 0; i < 100 && hosts.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hosts = ts::childrenOf(agent.pid());
  }
  BOOST_REQUIRE_EQUAL(hosts.size(), 2u);
  agent.signal(SIGKILL);
  agent.wait(std::chrono::seconds(5));
  for (const auto pid : hosts) {
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      // Reparented to init (or a subreaper): gone means no such process, or a zombie not ours.
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text;
      std::getline(stat, text);
      gone = text.empty() || text.find(") Z ") != std::string::npos;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST(gone, "plugin host " << pid << " survived SIGKILL of the agent");
  }
}

namespace {

// The run counter of probe_* results ("runs" in the document): 1 on a freshly created instance.
std::vector<std::int64_t> runCounts(const std::vector<json::object>& results) {
  std::vector<std::int64_t> runs;
  for (const auto& r : results) runs.push_back(r.at("document").at("runs").as_int64());
  return runs;
}

// Waits up to `limit` for the agent to have exactly `n` plugin host children.
bool hostCountBecomes(pid_t agent, std::size_t n, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (ts::childrenOf(agent).size() != n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_idle_host_of_a_plugin_with_independent_runs_stops_between_runs, Agent) {
  // probe_d declares independent runs, probe_a does not; both run every 2 s, and no run is due
  // within 1 s once a run is over.
  ts::Process agent(args(R"(idle_host_stop = 1s
log_level = debug
[plugin.probe_a]
run_every = 2s
[plugin.probe_d]
run_every = 2s
)",
                         false));
  const auto started = std::chrono::steady_clock::now();
  // Between the runs at 0 s and 2 s only probe_a's host is left; the same between 2 s and 4 s.
  BOOST_TEST(hostCountBecomes(agent.pid(), 1, std::chrono::milliseconds(1500)), agent.err());
  std::this_thread::sleep_until(started + std::chrono::milliseconds(2500));
  BOOST_TEST(hostCountBecomes(agent.pid(), 1, std::chrono::milliseconds(1000)), agent.err());
  std::this_thread::sleep_until(started + std::chrono::milliseconds(5000));
  agent.signal(SIGTERM);  // while probe_d's host is stopped
  BOOST_TEST(agent.wait(std::chrono::seconds(10)) == 0, agent.err());
  const auto out = agent.out();
  const auto err = agent.err();

  // Every run of probe_d has its result; each started a host and created the instance anew.
  const auto d = results(out, "probe_d");
  BOOST_TEST(d.size() == 3u, out);
  BOOST_TEST(std::all_of(d.begin(), d.end(), [](const json::object& o) { return !o.contains("error"); }));
  BOOST_TEST(runCounts(d) == std::vector<std::int64_t>(d.size(), 1), boost::test_tools::per_element());
  BOOST_TEST(count(err, "plugin probe_d: host stopped while idle") == 3u, err);
  // probe_a keeps what its runs leave behind: one host, one instance throughout.
  const auto a = results(out, "probe_a");
  BOOST_TEST(runCounts(a) == (std::vector<std::int64_t>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(count(err, "plugin probe_a: host stopped") == 0u, err);
}

BOOST_FIXTURE_TEST_CASE(options_of_a_plugin_whose_host_stops_when_idle_are_checked_at_start, Agent) {
  // Its first run is an hour away: the plugin's own rejection must stop the start all the same.
  ts::Process agent(args("[plugin.probe_d]\nrun_every = 1h\nreject = yes\n", false));
  BOOST_TEST(agent.wait(std::chrono::seconds(20)) == 2);
  BOOST_TEST(
      agent.err().find("[plugin.probe_d]: plugin 'probe_d' rejected its options: option 'reject'") != std::string::npos,
      agent.err());
  BOOST_TEST(agent.out().empty());
  const auto r = once("[plugin.probe_d]\nrun_every = 1h\nmdoe = ok\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("[plugin.probe_d] key 'mdoe': unknown option for plugin 'probe_d'") != std::string::npos,
             r.err);
}

BOOST_FIXTURE_TEST_CASE(a_crash_in_a_host_started_for_a_run_is_an_error_result_and_restarts, Agent) {
  ts::Process agent(args(R"(idle_host_stop = 1s
[plugin.probe_d]
mode = crash
run_every = 3s
)",
                         false));
  // Crash at 0 s, restart after 1 s, stopped while idle, started for the run at 3 s, crash again.
  std::this_thread::sleep_for(std::chrono::milliseconds(4000));
  agent.signal(SIGTERM);
  BOOST_TEST(agent.wait(std::chrono::seconds(10)) == 0, agent.err());
  const auto d = results(agent.out(), "probe_d");
  BOOST_REQUIRE_EQUAL(d.size(), 2u);
  for (const auto& r : d)
    BOOST_TEST(errorOf(r) == "plugin host killed by signal 11 (Segmentation fault) during the run");
  BOOST_TEST(count(agent.err(), "restarting in 1s") == 1u, agent.err());
  BOOST_TEST(count(agent.err(), "restarting in 2s") == 1u, agent.err());
}

BOOST_FIXTURE_TEST_CASE(without_its_server_mode_module_an_agent_with_a_server_stops_naming_the_file, Agent) {
  // An agent binary with no ../lib/streamswarm beside it: fine without [server], an error with it.
  std::filesystem::create_directories(dir / "bin");
  const auto agent = dir / "bin" / "streamswarm-agent";
  std::filesystem::copy_file(ts::buildDir() / "bin" / "streamswarm-agent", agent);
  std::filesystem::copy_file(ts::buildDir() / "bin" / "streamswarm-plugin-host",
                             dir / "bin" / "streamswarm-plugin-host");
  auto argv = args("[plugin.probe_a]\n", true);
  argv[0] = agent.string();
  auto r = ts::run(argv, std::chrono::seconds(60));
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(results(r.out, "probe_a").size() == 1u);

  ts::writeFile(dir / "agent.conf",
                "[agent]\nname = test\n[server]\nurl = http://127.0.0.1:9/\nenrollment_token = t\n"
                "state_dir = " +
                    (dir / "state").string() + "\n[plugin.probe_a]\n");
  argv.pop_back();  // not --once: with it the server is not used
  r = ts::run(argv, std::chrono::seconds(60));
  BOOST_TEST(r.status == 2, r.err);
  const auto module = (dir / "lib" / "streamswarm" / "libstreamswarm_server_mode.so").string();
  BOOST_TEST(
      r.err.find("cannot load " + module + ", which an agent with a [server] section needs") != std::string::npos,
      r.err);
}

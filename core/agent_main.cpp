// streamswarm-agent: loads the probe plugins enabled in its config and runs them, printing one
// JSON result per line on stdout (diagnostics go to stderr).
#include "core/agent_config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/plugin_discovery.hpp"
#include "core/probe_runner.hpp"
#include "core/server_mode.hpp"
#include "core/test_runner.hpp"

#include <streamswarm/abi.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#ifndef STREAMSWARM_VERSION
#define STREAMSWARM_VERSION "0.0.0"
#endif

namespace po = boost::program_options;
namespace core = streamswarm::core;

namespace {

constexpr int kExitRunFailed = 1;
constexpr int kExitStartup = 2;

int listPlugins(const std::filesystem::path& dir) {
  const auto d = core::discoverPlugins(dir);
  std::printf("%-20s %-10s %-5s %-8s %s\n", "NAME", "VERSION", "ABI", "STATUS", "FILE");
  auto row = [](const core::PluginManifest& m, const char* status) {
    const auto abi = std::to_string(m.abiMajor) + "." + std::to_string(m.abiMinor);
    std::printf("%-20s %-10s %-5s %-8s %s\n", m.name.c_str(), m.version.empty() ? "?" : m.version.c_str(), abi.c_str(),
                status, m.file.c_str());
  };
  for (const auto& m : d.usable) row(m, "ok");
  for (const auto& m : d.refused) row(m, "refused");
  for (const auto& problem : d.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return 0;
}

void printLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void printResult(const core::ProbeResult& r) {
  printLine(core::toJsonLine(r));
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description visible("streamswarm-agent options");
  visible.add_options()("help,h", "show this help")("version", "print the agent and plugin ABI versions")(
      "config,c", po::value<std::string>(), "agent config file (INI)")(
      "plugin-dir", po::value<std::string>(), "directory of plugin *.so files (default: ../lib/streamswarm/plugins)")(
      "list-plugins", "list the plugins found, without running them")(
      "once", "run every enabled plugin once, print the results, then exit (does not contact the server)")(
      "print-results", "with a [server] section: also print each result, with its spool seq, on stdout");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(visible).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "streamswarm-agent: %s (see --help)\n", e.what());
    return kExitStartup;
  }
  if (vm.count("help")) {
    std::cout << "usage: streamswarm-agent --config FILE [--once | --print-results] [--plugin-dir DIR]\n"
                 "       streamswarm-agent --list-plugins [--plugin-dir DIR]\n\n"
              << visible
              << "\nExit status: 0 ok, 1 some run failed (with --once), 2 configuration or start-up error.\n";
    return 0;
  }
  if (vm.count("version")) {
    std::printf("streamswarm-agent %s (plugin ABI %u.%u)\n", STREAMSWARM_VERSION, SS_ABI_MAJOR, SS_ABI_MINOR);
    return 0;
  }

  try {
    std::optional<core::AgentConfig> config;
    if (vm.count("config")) config = core::loadAgentConfig(vm["config"].as<std::string>());
    std::filesystem::path pluginDir = core::defaultPluginDir();
    if (config && config->pluginDir) pluginDir = *config->pluginDir;
    if (vm.count("plugin-dir")) pluginDir = vm["plugin-dir"].as<std::string>();

    if (vm.count("list-plugins")) return listPlugins(pluginDir);
    if (!config) throw core::Error("--config FILE is required (see --help)");
    core::setLogLevel(core::logLevelFromName(config->logLevel));

    // A result line to a closed pipe must not kill the agent; the write fails instead.
    std::signal(SIGPIPE, SIG_IGN);
    // Declared before the io_context so that it goes after it: handlers still queued there may
    // hold objects of the server mode module, whose code must stay loaded until they are gone.
    std::shared_ptr<core::ServerMode> server;
    boost::asio::io_context io;
    const bool once = vm.count("once") > 0;
    int exitCode = 0;

    // With a server (and not --once), every result goes to the server mode's durable spool and is
    // delivered from there; it also runs the tests the server assigns. Otherwise results go to stdout.
    std::unique_ptr<core::TestRunner> tests;
    auto sink = [&](core::ProbeResult r) {
      if (server)
        server->deliver(r);
      else
        printResult(r);
    };
    core::ProbeRunner runner(io, *config, pluginDir, core::executableDir() / "streamswarm-plugin-host", sink);
    auto finish = [&] {
      if (tests) tests->stop();
      if (server) server->stop();
      runner.stop([&] { io.stop(); });
    };
    if (config->server && !once) {
      tests = std::make_unique<core::TestRunner>(
          io, [&](const std::string& plugin) { return runner.supervisorFor(plugin); }, sink);
      std::function<void(const std::string&)> printSpooled;
      if (vm.count("print-results")) printSpooled = printLine;
      server = core::loadServerMode(core::defaultServerModeModule(),
                                    {io, *config, STREAMSWARM_VERSION, printSpooled,
                                     [&](const std::vector<core::ServerTest>& t) { tests->apply(t); },
                                     [&](const std::string& message) {
                                       std::fprintf(stderr, "streamswarm-agent: error: %s\n", message.c_str());
                                       exitCode = kExitStartup;
                                       finish();
                                     }});
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int signal) {
      if (ec) return;
      core::logLine(core::LogLevel::kInfo,
                    std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + "; stopping");
      finish();
    });
    runner.start([&] {
      if (!once) {
        core::logLine(core::LogLevel::kInfo, "agent '" + config->name + "' running; plugins from " +
                                                 pluginDir.string() + (server ? "; " + server->describe() : ""));
        runner.runPeriodically();
        if (server) server->start(runner.schemas());
        return;
      }
      runner.runOnce([&](int failures) {
        exitCode = failures > 0 ? kExitRunFailed : 0;
        finish();
      });
    });
    io.run();
    return exitCode;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "streamswarm-agent: error: %s\n", e.what());
    return kExitStartup;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "streamswarm-agent: error: %s\n", e.what());
    return kExitStartup;
  }
}

#pragma once

#include "core/agent_config.hpp"
#include "core/plugin_discovery.hpp"
#include "core/plugin_supervisor.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

namespace streamswarm::core {

// Runs the plugin instances the config enables: starts one supervised host per plugin, checks
// every section's options against the schema its plugin declares, then runs each instance once
// or on its own interval. Results go to the sink; nothing here blocks the io_context.
class ProbeRunner {
 public:
  using ResultSink = PluginSupervisor::ResultSink;

  ProbeRunner(boost::asio::io_context& io, AgentConfig config, std::filesystem::path pluginDir,
              std::filesystem::path hostExe, ResultSink sink);

  // Calls onReady once every enabled plugin is loaded (or reported as failed). Configuration
  // errors found on the way throw Error out of the io_context.
  void start(std::function<void()> onReady);
  // Runs every live instance once, concurrently; `done` gets the number of failed runs.
  void runOnce(std::function<void(int failures)> done);
  // Runs every live instance now and then every `run_every`, until stop().
  void runPeriodically();
  // Cancels what runs, ends the plugin hosts, then calls done.
  void stop(std::function<void()> done);

  // The supervisor of an enabled plugin (by a section or [server] test_plugins), or null. Its
  // schema is empty when the plugin could not be loaded.
  std::shared_ptr<PluginSupervisor> supervisorFor(const std::string& plugin) const;
  // The schemas of the enabled plugins that loaded (after onReady).
  std::vector<PluginSchema> schemas() const;

 private:
  struct Instance {
    const PluginSection* section = nullptr;
    std::shared_ptr<PluginSupervisor> supervisor;
    bool live = false;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::chrono::steady_clock::time_point next;
  };

  void pluginLoaded(const std::shared_ptr<PluginSupervisor>& supervisor, const PluginSchema* schema,
                    const std::string& error);
  void settleOne();
  void schedule(Instance& instance);
  void failSection(const PluginSection& section, const std::string& error);

  boost::asio::io_context& io_;
  AgentConfig config_;
  std::filesystem::path pluginDir_;
  std::filesystem::path hostExe_;
  ResultSink sink_;
  std::vector<std::shared_ptr<PluginSupervisor>> supervisors_;
  std::vector<Instance> instances_;
  std::function<void()> onReady_;
  int pending_ = 0;
  int startupFailures_ = 0;  // sections that could not start: they count as failed runs
  bool stopping_ = false;
};

}  // namespace streamswarm::core

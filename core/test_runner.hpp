#pragma once

#include "core/plugin_supervisor.hpp"
#include "core/server_api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace streamswarm::core {

// Runs the tests the server assigns to this agent, beside the ProbeRunner's config sections: one
// plugin instance per test ("test:<id>") in that plugin's existing host, run on the test's grid
// (start + jitter + k * interval) until its end. apply() reconciles with the server's full set:
// starts new tests, restarts changed ones, stops missing ones. A test this agent cannot run (plugin
// not enabled here, options the plugin rejects) gets one error result, not one per interval.
class TestRunner {
 public:
  using SupervisorLookup = std::function<std::shared_ptr<PluginSupervisor>(const std::string& plugin)>;
  using ResultSink = PluginSupervisor::ResultSink;

  TestRunner(boost::asio::io_context& io, SupervisorLookup lookup, ResultSink sink);

  void apply(const std::vector<ServerTest>& tests);
  void stop();  // no further runs; the instances end with their plugin hosts
  std::size_t activeCount() const { return active_.size(); }

 private:
  struct Active {
    ServerTest spec;
    std::shared_ptr<PluginSupervisor> supervisor;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::optional<std::int64_t> lastSlotNs;
    std::uint64_t generation = 0;       // of the instance: tells a stale create reply apart
    std::uint64_t timerGeneration = 0;  // of the schedule: tells a stale timer completion apart
  };

  void begin(const ServerTest& test);
  void end(const std::string& id);
  void schedule(Active& active);
  void reportOnce(const ServerTest& test, const std::string& error);

  boost::asio::io_context& io_;
  SupervisorLookup lookup_;
  ResultSink sink_;
  std::map<std::string, Active> active_;      // by test id
  std::map<std::string, ServerTest> failed_;  // could not start; reported once per version of the test
  std::uint64_t nextGeneration_ = 1;
  bool stopped_ = false;
};

// Named limits of test runs.
inline constexpr std::chrono::seconds kMaxTestRunTimeout{30};
// A slot this recent is still run when a test arrives (or the agent restarts) just after it.
inline constexpr std::chrono::milliseconds kLateStartGrace{1000};

}  // namespace streamswarm::core

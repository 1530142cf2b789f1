#pragma once

#include "core/plugin_manifest.hpp"
#include "core/plugin_process.hpp"
#include "core/plugin_schema.hpp"
#include "core/probe_result.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace streamswarm::core {

// An instance of a plugin: one configured section, with its validated options.
struct InstanceSpec {
  std::string key;    // unique within the plugin: the section label, or "test:<id>"
  std::string label;  // the instance name shown in results (empty for the unnamed one)
  std::map<std::string, std::string> options;
  std::string testId;  // the server test this instance runs; empty for a config section
};

// Keeps one plugin's host process alive and runs its instances there. A crash, abort or hang of
// the plugin ends only that process: in-flight runs become error results, and the host is started
// again after a back-off that doubles up to a limit and resets after a successful run.
// The host of a plugin with independent runs (SS_PLUGIN_INDEPENDENT_RUNS) is stopped while no run
// of it is due within `idleStop`, and started again (its instances created anew) for the next run.
class PluginSupervisor : public std::enable_shared_from_this<PluginSupervisor> {
 public:
  using ResultSink = std::function<void(ProbeResult)>;
  using HelloHandler = std::function<void(const PluginSchema* schema, const std::string& error)>;
  using CreateHandler = std::function<void(bool ok, bool configError, const std::string& error)>;
  using RunHandler = std::function<void(bool ok)>;

  PluginSupervisor(boost::asio::io_context& io, std::filesystem::path hostExe, PluginManifest manifest, ResultSink sink,
                   std::optional<std::chrono::nanoseconds> idleStop = std::nullopt);

  // Starts the host; onHello gets the schema, or the reason the plugin could not be loaded.
  void start(HelloHandler onHello);
  void addInstance(InstanceSpec spec, CreateHandler onCreated);
  // Forgets an instance: its runs are cancelled and end without results or errors, and the host
  // destroys it once they have returned. Unknown keys are ignored.
  void removeInstance(const std::string& instanceKey);
  // Runs an instance once; ends it (cancel, then kill) when it outlasts `timeout`, which counts
  // from now: starting a stopped host is part of the run.
  void run(const std::string& instanceKey, std::chrono::nanoseconds timeout, RunHandler done);
  // When the scheduler will next run the instance. A host is only stopped between runs when every
  // instance has told it this.
  void nextRunAt(const std::string& instanceKey, std::chrono::steady_clock::time_point due);
  void shutdown(std::function<void()> done);

  const PluginManifest& manifest() const { return manifest_; }
  const std::optional<PluginSchema>& schema() const { return schema_; }
  bool busy(const std::string& instanceKey) const;

 private:
  // kDown: not started, could not load, or waiting out a restart back-off; runs fail meanwhile.
  // kParking/kParked: stopped on purpose while idle; a run or a new instance starts it again.
  enum class Host { kDown, kStarting, kReady, kParking, kParked };

  struct InFlight {
    std::string instanceKey;
    RunHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::chrono::nanoseconds timeout{};
    bool timedOut = false;
    bool sent = false;  // false while it waits for the host to start
  };

  void launch();
  void wake();
  void parkIfIdle();
  void send(std::uint64_t runId);
  void onMessage(const boost::json::object& msg);
  void onExit(const std::string& how);
  void onResult(const boost::json::object& msg);
  void onDone(const boost::json::object& msg);
  void onTimeout(std::uint64_t runId);
  void finishRun(std::uint64_t runId, bool ok);
  void emitError(const std::string& instanceKey, const std::string& error);
  // A result of the instance, with the fields that name it filled in.
  ProbeResult resultOf(const std::string& instanceKey) const;

  boost::asio::io_context& io_;
  std::filesystem::path hostExe_;
  PluginManifest manifest_;
  ResultSink sink_;
  std::optional<std::chrono::nanoseconds> idleStop_;
  std::shared_ptr<PluginProcess> process_;
  std::optional<PluginSchema> schema_;
  Host host_ = Host::kDown;
  bool stopping_ = false;
  std::string downReason_;
  HelloHandler onHello_;
  std::function<void()> onStopped_;
  std::map<std::string, InstanceSpec> instances_;
  std::map<std::string, CreateHandler> pendingCreates_;
  std::map<std::string, std::chrono::steady_clock::time_point> nextRuns_;  // by instance key
  std::map<std::uint64_t, InFlight> runs_;
  std::uint64_t nextRunId_ = 1;
  std::chrono::seconds backoff_;
  boost::asio::steady_timer restartTimer_;
  std::set<std::string> warnedMetrics_;
};

}  // namespace streamswarm::core

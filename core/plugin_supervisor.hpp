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
class PluginSupervisor : public std::enable_shared_from_this<PluginSupervisor> {
 public:
  using ResultSink = std::function<void(ProbeResult)>;
  using HelloHandler = std::function<void(const PluginSchema* schema, const std::string& error)>;
  using CreateHandler = std::function<void(bool ok, bool configError, const std::string& error)>;
  using RunHandler = std::function<void(bool ok)>;

  PluginSupervisor(boost::asio::io_context& io, std::filesystem::path hostExe, PluginManifest manifest,
                   ResultSink sink);

  // Starts the host; onHello gets the schema, or the reason the plugin could not be loaded.
  void start(HelloHandler onHello);
  void addInstance(InstanceSpec spec, CreateHandler onCreated);
  // Forgets an instance: its runs are cancelled and end without results or errors, and the host
  // destroys it once they have returned. Unknown keys are ignored.
  void removeInstance(const std::string& instanceKey);
  // Runs an instance once; ends it (cancel, then kill) when it outlasts `timeout`.
  void run(const std::string& instanceKey, std::chrono::nanoseconds timeout, RunHandler done);
  void shutdown(std::function<void()> done);

  const PluginManifest& manifest() const { return manifest_; }
  const std::optional<PluginSchema>& schema() const { return schema_; }
  bool busy(const std::string& instanceKey) const;

 private:
  struct InFlight {
    std::string instanceKey;
    RunHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::chrono::nanoseconds timeout{};
    bool timedOut = false;
  };

  void launch();
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
  std::shared_ptr<PluginProcess> process_;
  std::optional<PluginSchema> schema_;
  bool ready_ = false;
  bool stopping_ = false;
  std::string downReason_;
  HelloHandler onHello_;
  std::function<void()> onStopped_;
  std::map<std::string, InstanceSpec> instances_;
  std::map<std::string, CreateHandler> pendingCreates_;
  std::map<std::uint64_t, InFlight> runs_;
  std::uint64_t nextRunId_ = 1;
  std::chrono::seconds backoff_;
  boost::asio::steady_timer restartTimer_;
  std::set<std::string> warnedMetrics_;
};

}  // namespace streamswarm::core

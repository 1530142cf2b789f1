#include "core/plugin_supervisor.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace streamswarm::core {
namespace json = boost::json;

namespace {
constexpr auto kInitialBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(60);
constexpr auto kCancelGrace = std::chrono::seconds(2);  // a cancelled run's time to return
// A host gets this long to exit after its input closed (it waits 5 s for cancelled runs itself).
constexpr auto kShutdownDeadline = std::chrono::seconds(7);

std::string secondsText(std::chrono::nanoseconds d) {
  const double s = std::chrono::duration<double>(d).count();
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%gs", std::round(s * 1000) / 1000);
  return buffer;
}

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

PluginSupervisor::PluginSupervisor(boost::asio::io_context& io, std::filesystem::path hostExe, PluginManifest manifest,
                                   ResultSink sink, std::optional<std::chrono::nanoseconds> idleStop)
    : io_(io),
      hostExe_(std::move(hostExe)),
      manifest_(std::move(manifest)),
      sink_(std::move(sink)),
      idleStop_(idleStop),
      backoff_(kInitialBackoff),
      restartTimer_(io) {}

void PluginSupervisor::start(HelloHandler onHello) {
  onHello_ = std::move(onHello);
  launch();
}

void PluginSupervisor::launch() {
  auto started = std::make_shared<PluginProcess>(io_, hostExe_, manifest_.file);
  std::weak_ptr<PluginSupervisor> weak = shared_from_this();
  // Identity only: a shared_ptr here would make the process own itself through its handlers.
  const PluginProcess* process = started.get();
  started->start(
      [weak, process](const json::object& msg) {
        if (auto self = weak.lock(); self && self->process_.get() == process) self->onMessage(msg);
      },
      [weak, process](const std::string& how) {
        if (auto self = weak.lock(); self && self->process_.get() == process) self->onExit(how);
      });
  // Only a process that started replaces the last one, which has exited.
  process_ = std::move(started);
  host_ = Host::kStarting;
}

void PluginSupervisor::wake() {
  logLine(LogLevel::kDebug, "plugin " + manifest_.name + ": starting its host again for a run");
  try {
    launch();
    return;
  } catch (const std::exception& e) {
    // It stays stopped: the next run tries again.
    const std::string reason = e.what();
    logLine(LogLevel::kError, "plugin " + manifest_.name + ": " + reason);
    std::vector<std::uint64_t> ids;
    for (const auto& [id, run] : runs_) ids.push_back(id);
    for (const auto id : ids) {
      emitError(runs_.at(id).instanceKey, "plugin unavailable: " + reason);
      finishRun(id, false);
    }
    for (auto& [key, handler] : std::exchange(pendingCreates_, {})) handler(false, false, reason);
  }
}

void PluginSupervisor::parkIfIdle() {
  if (!idleStop_ || host_ != Host::kReady || stopping_ || !schema_ || !schema_->independentRuns) return;
  if (!runs_.empty() || !pendingCreates_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [key, spec] : instances_) {
    const auto due = nextRuns_.find(key);
    // An instance nobody scheduled (yet) may be run any moment.
    if (due == nextRuns_.end() || due->second < now + *idleStop_) return;
  }
  logLine(LogLevel::kDebug, "plugin " + manifest_.name + ": no run due within " + secondsText(*idleStop_) +
                                "; stopping its host until the next one");
  host_ = Host::kParking;
  process_->closeInput();
}

void PluginSupervisor::nextRunAt(const std::string& instanceKey, std::chrono::steady_clock::time_point due) {
  if (!instances_.count(instanceKey)) return;
  nextRuns_[instanceKey] = due;
  parkIfIdle();
}

void PluginSupervisor::send(std::uint64_t runId) {
  auto& run = runs_.at(runId);
  run.sent = true;
  process_->send(json::object{{"op", "run"}, {"instance", run.instanceKey}, {"run", runId}});
}

void PluginSupervisor::onMessage(const json::object& msg) {
  const auto type = msg.at("type").as_string();
  if (type == "result") {
    onResult(msg);
  } else if (type == "done") {
    onDone(msg);
  } else if (type == "hello") {
    auto schema = schemaFromJson(msg.at("schema"));
    if (schema.name != manifest_.name) {
      downReason_ = "plugin host reported plugin '" + schema.name + "', expected '" + manifest_.name + "'";
      process_->kill();
      return;
    }
    schema_ = std::move(schema);
    host_ = Host::kReady;
    downReason_.clear();
    // After a restart the instances are made again from the options already validated, before
    // the runs that waited for the host.
    for (const auto& [key, spec] : instances_) {
      json::object options;
      for (const auto& [k, v] : spec.options) options[k] = v;
      process_->send(json::object{{"op", "create"}, {"instance", key}, {"options", std::move(options)}});
    }
    for (const auto& [id, run] : runs_)
      if (!run.sent) send(id);
    if (auto handler = std::exchange(onHello_, nullptr)) handler(&*schema_, {});
    parkIfIdle();  // a plugin offered to server tests may have no instance yet
  } else if (type == "created" || type == "create_failed") {
    const auto key = json::value_to<std::string>(msg.at("instance"));
    const bool ok = type == "created";
    const auto error = ok ? std::string() : json::value_to<std::string>(msg.at("error"));
    if (auto it = pendingCreates_.find(key); it != pendingCreates_.end()) {
      auto handler = std::move(it->second);
      pendingCreates_.erase(it);
      handler(ok, !ok && msg.at("config_error").as_bool(), error);
      parkIfIdle();
    } else if (!ok) {
      logLine(LogLevel::kError,
              "plugin " + manifest_.name + ": instance '" + key + "' could not be recreated: " + error);
    }
  } else if (type == "log") {
    const auto level = static_cast<int>(msg.at("level").to_number<std::int64_t>());
    logLine(static_cast<LogLevel>(std::clamp(level, 0, 3)),
            "plugin " + manifest_.name + ": " + json::value_to<std::string>(msg.at("message")));
  } else if (type == "fatal") {
    downReason_ = json::value_to<std::string>(msg.at("error"));
  } else if (type == "protocol_error") {
    logLine(LogLevel::kError,
            "plugin " + manifest_.name + ": host reports " + json::value_to<std::string>(msg.at("error")));
  }
}

ProbeResult PluginSupervisor::resultOf(const std::string& instanceKey) const {
  ProbeResult r;
  r.plugin = manifest_.name;
  if (const auto it = instances_.find(instanceKey); it != instances_.end()) {
    r.instance = it->second.label;
    r.testId = it->second.testId;
  }
  return r;
}

void PluginSupervisor::onResult(const json::object& msg) {
  const auto runId = static_cast<std::uint64_t>(msg.at("run").to_number<std::int64_t>());
  const auto it = runs_.find(runId);
  if (it == runs_.end()) return;  // a late result of a run already reported as timed out
  ProbeResult r = resultOf(it->second.instanceKey);
  if (const auto* t = msg.if_contains("target")) r.target = json::value_to<std::string>(*t);
  r.timestampNs = msg.at("ts").to_number<std::int64_t>();
  for (const auto& [name, value] : msg.at("metrics").as_object()) {
    const std::string metric(name);
    if (!schema_->declaresMetric(metric)) {
      if (warnedMetrics_.insert(metric).second)
        logLine(LogLevel::kWarning,
                "plugin " + manifest_.name + " emitted undeclared metric '" + metric + "'; dropped");
      continue;
    }
    r.metrics.emplace_back(metric, value.to_number<double>());
  }
  if (const auto* e = msg.if_contains("error")) r.error = json::value_to<std::string>(*e);
  if (const auto* d = msg.if_contains("document")) {
    boost::system::error_code ec;
    const auto doc = json::parse(d->as_string(), ec);
    if (ec || !doc.is_object()) {
      r.error +=
          std::string(r.error.empty() ? "" : "; ") + "plugin emitted a result document that is not a JSON object";
    } else {
      r.document = std::string(d->as_string());
      r.documentSchema = schema_->documentSchemaVersion;
    }
  }
  sink_(std::move(r));
}

void PluginSupervisor::onDone(const json::object& msg) {
  const auto runId = static_cast<std::uint64_t>(msg.at("run").to_number<std::int64_t>());
  const auto it = runs_.find(runId);
  if (it == runs_.end()) return;
  const auto status = msg.at("status").to_number<std::int64_t>();
  const auto error = json::value_to<std::string>(msg.at("error"));
  if (it->second.timedOut) {
    emitError(it->second.instanceKey, "run timed out after " + secondsText(it->second.timeout) + " and was cancelled");
    finishRun(runId, false);
  } else if (status == SS_OK) {
    backoff_ = kInitialBackoff;
    finishRun(runId, true);
  } else {
    emitError(it->second.instanceKey, error.empty() ? "run failed with status " + std::to_string(status) : error);
    finishRun(runId, false);
  }
}

void PluginSupervisor::emitError(const std::string& instanceKey, const std::string& error) {
  ProbeResult r = resultOf(instanceKey);
  r.timestampNs = nowNs();
  r.error = error;
  sink_(std::move(r));
}

void PluginSupervisor::finishRun(std::uint64_t runId, bool ok) {
  auto node = runs_.extract(runId);
  if (node.empty()) return;
  if (node.mapped().timer) node.mapped().timer->cancel();
  if (node.mapped().done) node.mapped().done(ok);
  parkIfIdle();
}

void PluginSupervisor::onExit(const std::string& how) {
  if (host_ == Host::kParking && !stopping_) {
    host_ = Host::kParked;
    logLine(LogLevel::kDebug, "plugin " + manifest_.name + ": host stopped while idle (" + how + ")");
    if (!runs_.empty() || !pendingCreates_.empty()) wake();  // asked for while it was stopping
    return;
  }
  host_ = Host::kDown;
  std::string reason = downReason_.empty() ? "plugin host " + how : downReason_ + " (plugin host " + how + ")";
  std::vector<std::uint64_t> ids;
  for (const auto& [id, run] : runs_) ids.push_back(id);
  for (const auto id : ids) {
    const auto& run = runs_.at(id);
    emitError(run.instanceKey, !run.sent      ? "plugin host " + how + " before the run started"
                               : run.timedOut ? "run timed out after " + secondsText(run.timeout) +
                                                    " and ignored cancellation; plugin host killed"
                                              : "plugin host " + how + " during the run");
    finishRun(id, false);
  }
  for (auto& [key, handler] : std::exchange(pendingCreates_, {})) handler(false, false, reason);
  if (auto handler = std::exchange(onHello_, nullptr)) {
    handler(nullptr, reason);  // it never loaded: the agent decides; no restart loop
    return;
  }
  if (stopping_) {
    restartTimer_.cancel();
    if (auto done = std::exchange(onStopped_, nullptr)) done();
    return;
  }
  downReason_ = "plugin host " + how + "; restarting in " + std::to_string(backoff_.count()) + "s";
  logLine(LogLevel::kWarning, "plugin " + manifest_.name + ": " + downReason_);
  restartTimer_.expires_after(backoff_);
  backoff_ = std::min<std::chrono::seconds>(backoff_ * 2, kMaxBackoff);
  restartTimer_.async_wait([weak = std::weak_ptr<PluginSupervisor>(shared_from_this())](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping_) return;
    try {
      self->launch();
    } catch (const std::exception& e) {
      logLine(LogLevel::kError, "plugin " + self->manifest_.name + ": cannot restart: " + e.what());
    }
  });
}

void PluginSupervisor::addInstance(InstanceSpec spec, CreateHandler onCreated) {
  json::object options;
  for (const auto& [k, v] : spec.options) options[k] = v;
  const auto key = spec.key;
  instances_[key] = std::move(spec);
  nextRuns_.erase(key);
  pendingCreates_[key] = std::move(onCreated);
  // A host on its way up creates every instance once it is there; a stopped one starts for it.
  if (host_ == Host::kReady)
    process_->send(json::object{{"op", "create"}, {"instance", key}, {"options", std::move(options)}});
  else if (host_ == Host::kParked)
    wake();
}

void PluginSupervisor::removeInstance(const std::string& instanceKey) {
  if (!instances_.erase(instanceKey)) return;
  pendingCreates_.erase(instanceKey);
  nextRuns_.erase(instanceKey);
  std::vector<std::uint64_t> ids;
  for (const auto& [id, run] : runs_)
    if (run.instanceKey == instanceKey) ids.push_back(id);
  for (const auto id : ids) {
    if (process_) process_->send(json::object{{"op", "cancel"}, {"run", id}});
    // Late results and the "done" of these runs find no run any more and are ignored.
    finishRun(id, false);
  }
  if (process_) process_->send(json::object{{"op", "destroy"}, {"instance", instanceKey}});
  parkIfIdle();
}

bool PluginSupervisor::busy(const std::string& instanceKey) const {
  for (const auto& [id, run] : runs_)
    if (run.instanceKey == instanceKey) return true;
  return false;
}

void PluginSupervisor::run(const std::string& instanceKey, std::chrono::nanoseconds timeout, RunHandler done) {
  if (host_ == Host::kDown || stopping_) {
    emitError(instanceKey, "plugin unavailable: " + (downReason_.empty() ? std::string("not started") : downReason_));
    done(false);
    return;
  }
  const auto id = nextRunId_++;
  auto& run = runs_[id];
  run.instanceKey = instanceKey;
  run.done = std::move(done);
  run.timeout = timeout;
  run.timer = std::make_unique<boost::asio::steady_timer>(io_);
  run.timer->expires_after(timeout);
  run.timer->async_wait([weak = std::weak_ptr<PluginSupervisor>(shared_from_this()), id](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->onTimeout(id);
  });
  // A host on its way up or down gets the run once it is (back) up.
  if (host_ == Host::kReady)
    send(id);
  else if (host_ == Host::kParked)
    wake();
}

void PluginSupervisor::onTimeout(std::uint64_t runId) {
  const auto it = runs_.find(runId);
  if (it == runs_.end()) return;
  if (!it->second.sent) {
    emitError(it->second.instanceKey,
              "run timed out after " + secondsText(it->second.timeout) + " waiting for the plugin host to start");
    finishRun(runId, false);
    // A host that does not say hello in a whole run_timeout is stuck loading: restart it.
    if (host_ == Host::kStarting) process_->kill();
    return;
  }
  if (!it->second.timedOut) {
    it->second.timedOut = true;
    process_->send(json::object{{"op", "cancel"}, {"run", runId}});
    it->second.timer->expires_after(kCancelGrace);
    it->second.timer->async_wait(
        [weak = std::weak_ptr<PluginSupervisor>(shared_from_this()), runId](boost::system::error_code ec) {
          if (auto self = weak.lock(); self && !ec) self->onTimeout(runId);
        });
    return;
  }
  // Cancellation was ignored: the plugin is stuck, and only ending its process frees it.
  process_->kill();
}

void PluginSupervisor::shutdown(std::function<void()> done) {
  stopping_ = true;
  restartTimer_.cancel();
  if (!process_ || process_->exited()) {
    done();
    return;
  }
  onStopped_ = std::move(done);
  for (const auto& [id, run] : runs_) process_->send(json::object{{"op", "cancel"}, {"run", id}});
  process_->closeInput();
  restartTimer_.expires_after(kShutdownDeadline);
  restartTimer_.async_wait([weak = std::weak_ptr<PluginSupervisor>(shared_from_this())](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec && self->process_) self->process_->kill();
  });
}

}  // namespace streamswarm::core

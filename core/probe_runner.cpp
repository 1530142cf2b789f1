#include "core/probe_runner.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <boost/asio/post.hpp>

#include <map>

namespace streamswarm::core {

ProbeRunner::ProbeRunner(boost::asio::io_context& io, AgentConfig config, std::filesystem::path pluginDir,
                         std::filesystem::path hostExe, ResultSink sink)
    : io_(io),
      config_(std::move(config)),
      pluginDir_(std::move(pluginDir)),
      hostExe_(std::move(hostExe)),
      sink_(std::move(sink)) {}

void ProbeRunner::failSection(const PluginSection& section, const std::string& error) {
  ++startupFailures_;
  ProbeResult r;
  r.plugin = section.plugin;
  r.instance = section.instance;
  r.timestampNs =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  r.error = error;
  sink_(std::move(r));
}

void ProbeRunner::start(std::function<void()> onReady) {
  onReady_ = std::move(onReady);
  const auto discovery = discoverPlugins(pluginDir_);
  for (const auto& problem : discovery.problems) logLine(LogLevel::kError, problem);

  std::map<std::string, std::shared_ptr<PluginSupervisor>> byPlugin;
  for (const auto& section : config_.plugins) {
    if (!section.enabled) continue;
    const auto refusal = std::find_if(discovery.refused.begin(), discovery.refused.end(),
                                      [&](const PluginManifest& m) { return m.name == section.plugin; });
    if (refusal != discovery.refused.end()) {
      failSection(section, abiIncompatibility(*refusal));  // the other plugins go on
      continue;
    }
    const auto usable = std::find_if(discovery.usable.begin(), discovery.usable.end(),
                                     [&](const PluginManifest& m) { return m.name == section.plugin; });
    if (usable == discovery.usable.end()) {
      std::string available;
      for (const auto& m : discovery.usable) available += (available.empty() ? "" : ", ") + m.name;
      throw Error(config_.file.string() + ": [" + section.section + "]: no plugin named '" + section.plugin + "' in " +
                  pluginDir_.string() + " (available: " + (available.empty() ? "none" : available) + ")");
    }
    auto& supervisor = byPlugin[section.plugin];
    if (!supervisor) {
      supervisor = std::make_shared<PluginSupervisor>(io_, hostExe_, *usable, sink_, config_.idleHostStop);
      supervisors_.push_back(supervisor);
    }
    Instance instance;
    instance.section = &section;
    instance.supervisor = supervisor;
    instances_.push_back(std::move(instance));
  }
  // Plugins offered for server tests only: a host each, and no instance until a test asks for one.
  const auto testPlugins = config_.server ? config_.server->testPlugins : std::vector<std::string>{};
  for (const auto& name : testPlugins) {
    if (byPlugin.count(name)) continue;
    const auto refusal = std::find_if(discovery.refused.begin(), discovery.refused.end(),
                                      [&](const PluginManifest& m) { return m.name == name; });
    if (refusal != discovery.refused.end()) {
      logLine(LogLevel::kError, "[server] test_plugins: " + abiIncompatibility(*refusal));
      continue;
    }
    const auto usable = std::find_if(discovery.usable.begin(), discovery.usable.end(),
                                     [&](const PluginManifest& m) { return m.name == name; });
    if (usable == discovery.usable.end()) {
      std::string available;
      for (const auto& m : discovery.usable) available += (available.empty() ? "" : ", ") + m.name;
      throw Error(config_.file.string() + ": [server] key 'test_plugins': no plugin named '" + name + "' in " +
                  pluginDir_.string() + " (available: " + (available.empty() ? "none" : available) + ")");
    }
    byPlugin[name] = std::make_shared<PluginSupervisor>(io_, hostExe_, *usable, sink_, config_.idleHostStop);
    supervisors_.push_back(byPlugin[name]);
  }
  if (instances_.empty() && testPlugins.empty()) {
    std::string available;
    for (const auto& m : discovery.usable) available += (available.empty() ? "" : ", ") + m.name;
    throw Error(config_.file.string() + ": no plugin is enabled; add a [plugin.NAME] section" +
                (config_.server ? " or list plugins in [server] test_plugins" : "") +
                " (available: " + (available.empty() ? "none" : available) + ")");
  }
  pending_ = static_cast<int>(supervisors_.size());
  for (const auto& supervisor : supervisors_)
    supervisor->start([this, supervisor](const PluginSchema* schema, const std::string& error) {
      pluginLoaded(supervisor, schema, error);
    });
}

void ProbeRunner::pluginLoaded(const std::shared_ptr<PluginSupervisor>& supervisor, const PluginSchema* schema,
                               const std::string& error) {
  if (!schema) {
    logLine(LogLevel::kError, "plugin " + supervisor->manifest().name + " (" + supervisor->manifest().file.string() +
                                  ") could not be loaded: " + error);
    for (auto& instance : instances_)
      if (instance.supervisor == supervisor) failSection(*instance.section, "plugin could not be loaded: " + error);
    settleOne();
    return;
  }
  for (auto& instance : instances_) {
    if (instance.supervisor != supervisor) continue;
    const auto& section = *instance.section;
    auto options = validatePluginOptions(config_, section, *schema);  // throws Error on a bad section
    ++pending_;
    supervisor->addInstance(InstanceSpec{section.label(), section.instance, std::move(options), {}},
                            [this, &instance](bool ok, bool configError, const std::string& why) {
                              const auto& s = *instance.section;
                              if (ok) {
                                instance.live = true;
                              } else if (configError) {
                                throw Error(config_.file.string() + ": [" + s.section + "]: plugin '" + s.plugin +
                                            "' rejected its options: " + why);
                              } else {
                                logLine(LogLevel::kError, "[" + s.section + "]: plugin could not start: " + why);
                                failSection(s, "plugin could not start: " + why);
                              }
                              settleOne();
                            });
  }
  settleOne();
}

std::shared_ptr<PluginSupervisor> ProbeRunner::supervisorFor(const std::string& plugin) const {
  for (const auto& supervisor : supervisors_)
    if (supervisor->manifest().name == plugin) return supervisor;
  return nullptr;
}

std::vector<PluginSchema> ProbeRunner::schemas() const {
  std::vector<PluginSchema> out;
  for (const auto& supervisor : supervisors_)
    if (supervisor->schema()) out.push_back(*supervisor->schema());
  return out;
}

void ProbeRunner::settleOne() {
  if (--pending_ == 0 && onReady_) std::exchange(onReady_, nullptr)();
}

void ProbeRunner::runOnce(std::function<void(int failures)> done) {
  struct Tally {
    int outstanding = 0;
    int failures = 0;
    std::function<void(int)> done;
  };
  auto tally = std::make_shared<Tally>();
  tally->done = std::move(done);
  tally->failures = startupFailures_;
  for (auto& instance : instances_) {
    if (!instance.live) continue;
    ++tally->outstanding;
    instance.supervisor->run(instance.section->label(), instance.section->timeout, [tally](bool ok) {
      if (!ok) ++tally->failures;
      if (--tally->outstanding == 0) tally->done(tally->failures);
    });
  }
  if (tally->outstanding == 0) boost::asio::post(io_, [tally] { tally->done(tally->failures); });
}

void ProbeRunner::runPeriodically() {
  const auto now = std::chrono::steady_clock::now();
  for (auto& instance : instances_) {
    if (!instance.live) continue;
    instance.timer = std::make_unique<boost::asio::steady_timer>(io_);
    instance.next = now;
    schedule(instance);
  }
}

void ProbeRunner::schedule(Instance& instance) {
  instance.supervisor->nextRunAt(instance.section->label(), instance.next);
  instance.timer->expires_at(instance.next);
  instance.timer->async_wait([this, &instance](boost::system::error_code ec) {
    if (ec || stopping_) return;
    const auto& section = *instance.section;
    if (instance.supervisor->busy(section.label())) {
      logLine(LogLevel::kWarning, "[" + section.section + "]: previous run still active; skipping this one");
    } else {
      instance.supervisor->run(section.label(), section.timeout, [](bool) {});
    }
    // Fixed rate, not fixed delay: runs stay on their grid; missed slots are skipped, not bunched.
    const auto now = std::chrono::steady_clock::now();
    while (instance.next <= now) instance.next += section.every;
    schedule(instance);
  });
}

void ProbeRunner::stop(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  for (auto& instance : instances_)
    if (instance.timer) instance.timer->cancel();
  auto remaining = std::make_shared<std::size_t>(supervisors_.size());
  auto finished = std::make_shared<std::function<void()>>(std::move(done));
  if (*remaining == 0) {
    (*finished)();
    return;
  }
  for (const auto& supervisor : supervisors_)
    supervisor->shutdown([remaining, finished] {
      if (--*remaining == 0) (*finished)();
    });
}

}  // namespace streamswarm::core

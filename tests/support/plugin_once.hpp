// Loads a plugin library through its C ABI and runs one instance (once, or several times as the
// agent does every run_every), under a plain host (real clocks, never cancelled). For benchmarks
// that time a plugin without the agent around it. Options are validated and normalised as the agent
// would.
#pragma once

#include <streamswarm/abi.h>
#include <streamswarm/document.hpp>
#include <streamswarm/plugin.hpp>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace streamswarm::testsupport {

struct PluginResult {
  std::string target;
  std::vector<std::pair<std::string, double>> metrics;
  std::string document;
  std::string error;

  // One line as the agent prints it (without plugin name and timestamp).
  std::string json() const {
    JsonWriter w;
    w.beginObject().field("target", target).key("metrics").beginObject();
    for (const auto& [name, value] : metrics) w.field(name, value);
    w.endObject();
    if (!document.empty()) w.key("document").rawValue(document);
    if (!error.empty()) w.field("error", error);
    return w.endObject().str();
  }
};

struct PluginRuns {
  std::vector<PluginResult> results;  // of the last run
  std::vector<double> seconds;        // wall time of each run() call
};

inline PluginRuns runPlugin(const std::filesystem::path& library, const std::map<std::string, std::string>& given,
                            int runs = 1) {
  boost::dll::shared_library lib(library, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  const auto entry = boost::dll::import_alias<const ss_plugin_descriptor*()>(lib, SS_ENTRY_ALIAS);
  const ss_plugin_descriptor& d = *entry();
  const auto options = Options::validated(std::span(d.config_keys, d.config_key_count), given).all();
  std::vector<ss_option> raw;
  for (const auto& [key, value] : options) raw.push_back({key.c_str(), value.c_str()});

  std::vector<PluginResult> results;
  ss_host host{};
  host.struct_size = sizeof host;
  host.ctx = &results;
  host.emit = [](void* ctx, const ss_result* r) {
    PluginResult out;
    out.target = r->target ? r->target : "";
    for (std::size_t i = 0; i < r->metric_count; ++i) out.metrics.emplace_back(r->metrics[i].name, r->metrics[i].value);
    out.document = r->document_json ? r->document_json : "";
    out.error = r->error ? r->error : "";
    static_cast<std::vector<PluginResult>*>(ctx)->push_back(std::move(out));
  };
  host.log = [](void*, std::uint32_t, const char*) {};
  host.now_ns = [](void*) -> std::int64_t {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  host.monotonic_ns = [](void*) -> std::int64_t {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  host.sleep_ns = [](void*, std::int64_t ns) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
    return 0;
  };
  host.cancelled = [](void*) { return 0; };

  char error[1024] = {};
  void* instance = nullptr;
  if (d.create(raw.data(), raw.size(), &host, &instance, error, sizeof error) != SS_OK)
    throw std::runtime_error(std::string("create: ") + error);
  PluginRuns out;
  for (int i = 0; i < runs; ++i) {
    results.clear();
    const auto start = std::chrono::steady_clock::now();
    const int status = d.run(instance, &host, error, sizeof error);
    out.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (status != SS_OK) {
      d.destroy(instance);
      throw std::runtime_error(std::string("run: ") + error);
    }
  }
  d.destroy(instance);
  out.results = std::move(results);
  return out;
}

}  // namespace streamswarm::testsupport

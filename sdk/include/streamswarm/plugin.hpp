// The C++ API a plugin author writes against. Header-only on top of the C ABI in <streamswarm/abi.h>
// (the "hourglass"): whatever standard library the plugin uses stays inside the plugin.
//
//   class MyProbe {
//    public:
//     static constexpr std::uint32_t kDocumentSchema = 0;  // 0: no result document
//     static constexpr bool kIndependentRuns = true;       // optional: see SS_PLUGIN_INDEPENDENT_RUNS
//     static std::span<const ss_config_key> configKeys();
//     static std::span<const ss_metric_def> metrics();
//     explicit MyProbe(const streamswarm::Options& options);  // throws streamswarm::ConfigError
//     void run(streamswarm::Host& host);                       // host.emit(result) per target
//   };
//   STREAMSWARM_PLUGIN(MyProbe, "my_probe", "1.0.0", "What it measures, in one line")
#pragma once

#include <streamswarm/abi.h>
#include <streamswarm/config_values.hpp>
#include <streamswarm/document.hpp>

#include <boost/dll/alias.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamswarm {

// Thrown by a probe's constructor for an option it cannot accept; the agent reports it with the
// plugin's name and refuses to start that instance.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr ss_config_key option(const char* name, ss_value_type type, const char* defaultValue, const char* doc,
                               double minValue = 1, double maxValue = 0) {
  return ss_config_key{name, static_cast<std::uint32_t>(type), defaultValue, doc, minValue, maxValue, nullptr};
}

constexpr ss_config_key choice(const char* name, const char* defaultValue, const char* choices, const char* doc) {
  return ss_config_key{name, SS_TYPE_ENUM, defaultValue, doc, 1, 0, choices};
}

constexpr ss_metric_def metric(const char* name, const char* unit, ss_metric_kind kind, const char* doc) {
  return ss_metric_def{name, unit, static_cast<std::uint32_t>(kind), doc};
}

// Validated option values, read back typed.
class Options {
 public:
  Options() = default;
  explicit Options(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  Options(const ss_option* options, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      if (options[i].key && options[i].value) values_[options[i].key] = options[i].value;
  }

  // What the agent does with a config section: rejects unknown keys and bad values, fills in
  // defaults, and normalises values. Plugin unit tests use it to build options the same way.
  static Options validated(std::span<const ss_config_key> keys, const std::map<std::string, std::string>& given) {
    for (const auto& entry : given) {
      // Not a structured binding: clang before 16 cannot capture one in the lambda below.
      const std::string& name = entry.first;
      const auto known = std::any_of(keys.begin(), keys.end(), [&](const ss_config_key& k) { return name == k.name; });
      if (!known) throw ConfigError("unknown option '" + name + "'");
    }
    std::map<std::string, std::string> out;
    for (const auto& key : keys) {
      const auto it = given.find(key.name);
      if (it == given.end() && !key.default_value)
        throw ConfigError("missing required option '" + std::string(key.name) + "'");
      if (it == given.end() && std::string_view(key.default_value).empty()) {
        out[key.name] = "";  // an empty default means "not set"
        continue;
      }
      const auto checked = values::check(key, it != given.end() ? it->second : key.default_value);
      if (!checked.value) throw ConfigError("option '" + std::string(key.name) + "': " + checked.error);
      out[key.name] = *checked.value;
    }
    return Options(std::move(out));
  }

  bool has(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
  bool isSet(std::string_view key) const { return has(key) && !text(key).empty(); }

  const std::string& text(std::string_view key) const {
    const auto it = values_.find(std::string(key));
    if (it == values_.end()) throw ConfigError("missing option '" + std::string(key) + "'");
    return it->second;
  }
  std::int64_t integer(std::string_view key) const { return parsed(key, values::parseInt(text(key)), "an integer"); }
  double number(std::string_view key) const { return parsed(key, values::parseDouble(text(key)), "a number"); }
  bool boolean(std::string_view key) const { return parsed(key, values::parseBool(text(key)), "a boolean"); }
  std::chrono::nanoseconds duration(std::string_view key) const {
    return std::chrono::nanoseconds(parsed(key, values::parseDurationNs(text(key)), "a duration"));
  }
  std::vector<std::string> list(std::string_view key) const { return values::splitList(text(key)); }

  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  template <class T>
  T parsed(std::string_view key, const std::optional<T>& v, const char* what) const {
    if (!v) throw ConfigError("option '" + std::string(key) + "' is not " + what);
    return *v;
  }
  std::map<std::string, std::string> values_;
};

// One measurement of one target.
struct Result {
  std::string target;  // empty: the probe has no target
  std::vector<std::pair<std::string, double>> metrics;
  std::string document;                               // one JSON object (see JsonWriter), or empty
  std::string error;                                  // empty when the measurement succeeded
  std::chrono::system_clock::time_point timestamp{};  // left at epoch: the host stamps it

  Result& metric(std::string name, double value) {
    metrics.emplace_back(std::move(name), value);
    return *this;
  }
};

// The host as a plugin sees it during a run: results out, clock, cancellation, log.
class Host {
 public:
  explicit Host(const ss_host* host) : host_(host) {}

  void emit(const Result& r) const {
    std::vector<ss_metric_value> metrics;
    metrics.reserve(r.metrics.size());
    for (const auto& [name, value] : r.metrics) metrics.push_back({name.c_str(), value});
    ss_result out{};
    out.struct_size = sizeof(ss_result);
    out.target = r.target.empty() ? nullptr : r.target.c_str();
    out.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(r.timestamp.time_since_epoch()).count();
    out.metrics = metrics.data();
    out.metric_count = metrics.size();
    out.document_json = r.document.empty() ? nullptr : r.document.c_str();
    out.error = r.error.empty() ? nullptr : r.error.c_str();
    host_->emit(host_->ctx, &out);
  }

  void log(ss_log_level level, const std::string& message) const { host_->log(host_->ctx, level, message.c_str()); }

  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::nanoseconds(host_->now_ns(host_->ctx))));
  }
  std::chrono::nanoseconds monotonic() const { return std::chrono::nanoseconds(host_->monotonic_ns(host_->ctx)); }

  // Waits, waking early on cancellation; returns false when the run was cancelled.
  bool sleepFor(std::chrono::nanoseconds d) const { return host_->sleep_ns(host_->ctx, d.count()) == 0; }
  bool cancelled() const { return host_->cancelled(host_->ctx) != 0; }

  const ss_host* raw() const { return host_; }

 private:
  const ss_host* host_;
};

namespace detail {

inline void writeError(char* buffer, std::size_t size, std::string_view message) noexcept {
  if (!buffer || size == 0) return;
  const auto n = std::min(size - 1, message.size());
  std::memcpy(buffer, message.data(), n);
  buffer[n] = '\0';
}

// Each entry point catches everything: an exception must never unwind into the host, which may
// use another C++ runtime.
template <class P>
int create(const ss_option* options, std::size_t count, const ss_host*, void** instance, char* error,
           std::size_t errorSize) noexcept {
  try {
    *instance = new P(Options(options, count));
    return SS_OK;
  } catch (const ConfigError& e) {
    writeError(error, errorSize, e.what());
    return SS_CONFIG_ERROR;
  } catch (const std::exception& e) {
    writeError(error, errorSize, e.what());
    return SS_ERROR;
  } catch (...) {
    writeError(error, errorSize, "create threw a non-standard exception");
    return SS_ERROR;
  }
}

template <class P>
int run(void* instance, const ss_host* host, char* error, std::size_t errorSize) noexcept {
  try {
    Host h(host);
    static_cast<P*>(instance)->run(h);
    return h.cancelled() ? SS_CANCELLED : SS_OK;
  } catch (const std::exception& e) {
    writeError(error, errorSize, e.what());
    return SS_ERROR;
  } catch (...) {
    writeError(error, errorSize, "run threw a non-standard exception");
    return SS_ERROR;
  }
}

template <class P>
void destroy(void* instance) noexcept {
  delete static_cast<P*>(instance);
}

// A probe opts in to SS_PLUGIN_INDEPENDENT_RUNS with `static constexpr bool kIndependentRuns = true`.
template <class P>
constexpr std::uint32_t flagsOf() {
  if constexpr (requires { P::kIndependentRuns; })
    return P::kIndependentRuns ? static_cast<std::uint32_t>(SS_PLUGIN_INDEPENDENT_RUNS) : 0u;
  else
    return 0u;
}

template <class P>
const ss_plugin_descriptor* descriptor(const char* name, const char* version, const char* description) noexcept {
  static const ss_plugin_descriptor d = [&] {
    const auto keys = P::configKeys();
    const auto metrics = P::metrics();
    return ss_plugin_descriptor{SS_ABI_MAJOR,
                                SS_ABI_MINOR,
                                sizeof(ss_plugin_descriptor),
                                P::kDocumentSchema,
                                name,
                                version,
                                description,
                                keys.data(),
                                keys.size(),
                                metrics.data(),
                                metrics.size(),
                                &create<P>,
                                &run<P>,
                                &destroy<P>,
                                flagsOf<P>()};
  }();
  return &d;
}

}  // namespace detail
}  // namespace streamswarm

// Exports one plugin from a shared library: the manifest (read by discovery without running any
// code) and the entry function (a Boost.DLL alias the agent imports with import_alias).
#define STREAMSWARM_PLUGIN(ProbeClass, Name, Version, Description)                                              \
  extern "C" __attribute__((section(SS_MANIFEST_SECTION), used, visibility("default")))                         \
  const ss_manifest streamswarm_manifest = {                                                                    \
      SS_MANIFEST_MAGIC_INIT, SS_ABI_MAJOR, SS_ABI_MINOR, sizeof(ss_manifest), 0u, Name, Version, Description}; \
  namespace streamswarm_export {                                                                                \
  inline const ss_plugin_descriptor* entry() noexcept {                                                         \
    return ::streamswarm::detail::descriptor<ProbeClass>(Name, Version, Description);                           \
  }                                                                                                             \
  BOOST_DLL_ALIAS_SECTIONED(streamswarm_export::entry, streamswarm_plugin_v1, sswarm)                           \
  }

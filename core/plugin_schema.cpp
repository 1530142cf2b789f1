#include "core/plugin_schema.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/json.hpp>

#include <cstddef>

namespace streamswarm::core {
namespace json = boost::json;

ss_config_key ConfigKeySpec::view() const {
  return ss_config_key{name.c_str(), type,     defaultValue ? defaultValue->c_str() : nullptr, doc.c_str(),
                       minValue,     maxValue, choices.empty() ? nullptr : choices.c_str()};
}

const ConfigKeySpec* PluginSchema::findKey(const std::string& key) const {
  for (const auto& k : configKeys)
    if (k.name == key) return &k;
  return nullptr;
}

bool PluginSchema::declaresMetric(const std::string& metric) const {
  for (const auto& m : metrics)
    if (values::metricMatches(m.name, metric)) return true;
  return false;
}

namespace {
std::string str(const char* s) {
  return s ? s : "";
}
}  // namespace

PluginSchema schemaFromDescriptor(const ss_plugin_descriptor& d) {
  PluginSchema s;
  s.abiMajor = d.abi_major;
  s.abiMinor = d.abi_minor;
  s.documentSchemaVersion = d.document_schema_version;
  if (d.struct_size >= offsetof(ss_plugin_descriptor, flags) + sizeof d.flags)
    s.independentRuns = (d.flags & SS_PLUGIN_INDEPENDENT_RUNS) != 0;
  s.name = str(d.name);
  s.version = str(d.version);
  s.description = str(d.description);
  for (std::size_t i = 0; i < d.config_key_count; ++i) {
    const auto& k = d.config_keys[i];
    s.configKeys.push_back({str(k.name), k.type,
                            k.default_value ? std::optional<std::string>(k.default_value) : std::nullopt, str(k.doc),
                            k.min_value, k.max_value, str(k.choices)});
  }
  for (std::size_t i = 0; i < d.metric_count; ++i) {
    const auto& m = d.metrics[i];
    s.metrics.push_back({str(m.name), str(m.unit), m.kind, str(m.doc)});
  }
  return s;
}

const char* metricKindName(std::uint32_t kind) {
  switch (kind) {
    case SS_METRIC_GAUGE: return "gauge";
    case SS_METRIC_COUNTER: return "counter";
    case SS_METRIC_RATE: return "rate";
    default: return "unknown";
  }
}

namespace {
std::uint32_t metricKindFromName(std::string_view name) {
  if (name == "gauge") return SS_METRIC_GAUGE;
  if (name == "counter") return SS_METRIC_COUNTER;
  if (name == "rate") return SS_METRIC_RATE;
  throw std::invalid_argument("unknown metric kind '" + std::string(name) + "'");
}

std::uint32_t typeFromName(std::string_view name) {
  for (std::uint32_t t = SS_TYPE_STRING; t <= SS_TYPE_ENUM; ++t)
    if (name == values::typeName(t)) return t;
  throw std::invalid_argument("unknown option type '" + std::string(name) + "'");
}
}  // namespace

json::value toJson(const PluginSchema& s) {
  json::array keys;
  for (const auto& k : s.configKeys) {
    json::object o{{"name", k.name}, {"type", values::typeName(k.type)}, {"doc", k.doc}};
    o["default"] = k.defaultValue ? json::value(*k.defaultValue) : json::value(nullptr);
    if (k.minValue <= k.maxValue) {
      o["min"] = k.minValue;
      o["max"] = k.maxValue;
    }
    if (!k.choices.empty()) o["choices"] = k.choices;
    keys.push_back(std::move(o));
  }
  json::array metrics;
  for (const auto& m : s.metrics)
    metrics.push_back(
        json::object{{"name", m.name}, {"unit", m.unit}, {"kind", metricKindName(m.kind)}, {"doc", m.doc}});
  json::object o{{"name", s.name},
                 {"version", s.version},
                 {"description", s.description},
                 {"abi", std::to_string(s.abiMajor) + "." + std::to_string(s.abiMinor)},
                 {"document_schema", s.documentSchemaVersion},
                 {"config", std::move(keys)},
                 {"metrics", std::move(metrics)}};
  // Only when set, so that schemas stored before ABI 1.1 read back the same.
  if (s.independentRuns) o["independent_runs"] = true;
  return o;
}

PluginSchema schemaFromJson(const json::value& v) {
  const auto& o = v.as_object();
  PluginSchema s;
  s.name = json::value_to<std::string>(o.at("name"));
  s.version = json::value_to<std::string>(o.at("version"));
  s.description = json::value_to<std::string>(o.at("description"));
  const auto abi = json::value_to<std::string>(o.at("abi"));
  const auto dot = abi.find('.');
  s.abiMajor = static_cast<std::uint32_t>(std::stoul(abi.substr(0, dot)));
  s.abiMinor = dot == std::string::npos ? 0 : static_cast<std::uint32_t>(std::stoul(abi.substr(dot + 1)));
  s.documentSchemaVersion = json::value_to<std::uint32_t>(o.at("document_schema"));
  if (const auto* independent = o.if_contains("independent_runs")) s.independentRuns = independent->as_bool();
  for (const auto& kv : o.at("config").as_array()) {
    const auto& k = kv.as_object();
    ConfigKeySpec spec;
    spec.name = json::value_to<std::string>(k.at("name"));
    spec.type = typeFromName(k.at("type").as_string());
    spec.doc = json::value_to<std::string>(k.at("doc"));
    if (!k.at("default").is_null()) spec.defaultValue = json::value_to<std::string>(k.at("default"));
    if (const auto* min = k.if_contains("min")) {
      spec.minValue = min->to_number<double>();
      spec.maxValue = k.at("max").to_number<double>();
    }
    if (const auto* c = k.if_contains("choices")) spec.choices = json::value_to<std::string>(*c);
    s.configKeys.push_back(std::move(spec));
  }
  for (const auto& mv : o.at("metrics").as_array()) {
    const auto& m = mv.as_object();
    s.metrics.push_back({json::value_to<std::string>(m.at("name")), json::value_to<std::string>(m.at("unit")),
                         metricKindFromName(m.at("kind").as_string()), json::value_to<std::string>(m.at("doc"))});
  }
  return s;
}

}  // namespace streamswarm::core

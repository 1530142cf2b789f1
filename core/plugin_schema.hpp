#pragma once

#include <streamswarm/abi.h>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::core {

// A plugin's self-description, copied out of its ss_plugin_descriptor so that it outlives the
// library and can travel as JSON (plugin host -> agent, later agent -> server).
struct ConfigKeySpec {
  std::string name;
  std::uint32_t type = SS_TYPE_STRING;
  std::optional<std::string> defaultValue;  // none: required
  std::string doc;
  double minValue = 1;
  double maxValue = 0;
  std::string choices;

  ss_config_key view() const;  // borrows this object's strings
};

struct MetricSpec {
  std::string name;
  std::string unit;
  std::uint32_t kind = SS_METRIC_GAUGE;
  std::string doc;
};

struct PluginSchema {
  std::string name;
  std::string version;
  std::string description;
  std::uint32_t abiMajor = 0;
  std::uint32_t abiMinor = 0;
  std::uint32_t documentSchemaVersion = 0;
  bool independentRuns = false;  // SS_PLUGIN_INDEPENDENT_RUNS: its host may be stopped between runs
  std::vector<ConfigKeySpec> configKeys;
  std::vector<MetricSpec> metrics;

  const ConfigKeySpec* findKey(const std::string& name) const;
  bool declaresMetric(const std::string& name) const;
};

// Copies a descriptor, reading only the fields its struct_size covers.
PluginSchema schemaFromDescriptor(const ss_plugin_descriptor& d);

boost::json::value toJson(const PluginSchema& schema);
PluginSchema schemaFromJson(const boost::json::value& v);  // throws std::exception on bad input

const char* metricKindName(std::uint32_t kind);

}  // namespace streamswarm::core

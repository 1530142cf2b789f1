// Agents with plugin registrations, for tests of validation and handlers.
#pragma once

#include "core/plugin_schema.hpp"
#include "server/storage/records.hpp"

#include <boost/json/serialize.hpp>

namespace streamswarm::server::testing {

// "ping": targets (list, required), count (int 1..100, default 3), timeout (duration, default 1s),
// mode (icmp|udp, default icmp), interface (string, required: no default); metrics rtt_avg_ms,
// loss_ratio and a labelled family hop.{ttl}.rtt_ms.
inline core::PluginSchema pingSchema(const std::string& version = "1.0.0") {
  core::PluginSchema s;
  s.name = "ping";
  s.version = version;
  s.description = "ICMP echo";
  s.abiMajor = 1;
  s.configKeys = {
      {"targets", SS_TYPE_LIST, std::nullopt, "hosts to ping", 1, 0, ""},
      {"count", SS_TYPE_INT, "3", "echoes per run", 1, 100, ""},
      {"timeout", SS_TYPE_DURATION, "1s", "per echo", 0, 60, ""},
      {"mode", SS_TYPE_ENUM, "icmp", "socket kind", 1, 0, "icmp|udp"},
      {"interface", SS_TYPE_STRING, "", "bind to this interface (empty: any)", 1, 0, ""},
  };
  s.metrics = {{"rtt_avg_ms", "ms", SS_METRIC_GAUGE, ""},
               {"loss_ratio", "", SS_METRIC_GAUGE, ""},
               {"hop.{ttl}.rtt_ms", "ms", SS_METRIC_GAUGE, ""}};
  return s;
}

// "sysmetrics": no targets, one required option "scope".
inline core::PluginSchema sysSchema() {
  core::PluginSchema s;
  s.name = "sysmetrics";
  s.version = "1.0.0";
  s.description = "host metrics";
  s.abiMajor = 1;
  s.configKeys = {{"scope", SS_TYPE_STRING, std::nullopt, "what to read", 1, 0, ""}};
  s.metrics = {{"cpu.busy_ratio", "", SS_METRIC_GAUGE, ""}};
  return s;
}

inline std::string pluginsJson(const std::vector<core::PluginSchema>& schemas) {
  boost::json::array a;
  for (const auto& s : schemas) a.push_back(core::toJson(s));
  return boost::json::serialize(a);
}

inline AgentRecord registeredAgent(const std::string& id, std::vector<std::string> labels,
                                   const std::vector<core::PluginSchema>& plugins) {
  AgentRecord a;
  a.id = id;
  a.name = "host-" + id;
  a.labels = std::move(labels);
  a.version = "0.1.0";
  a.pluginsJson = pluginsJson(plugins);
  return a;
}

}  // namespace streamswarm::server::testing

#include "server/api/test_validation.hpp"

#include "server/api/json_body.hpp"
#include "server/api/rfc3339.hpp"

#include <streamswarm/config_values.hpp>

#include <arpa/inet.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isPort(std::string_view s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), isDigit)) return false;
  const int port = std::stoi(std::string(s));
  return port >= 1 && port <= 65535;
}

bool isIpv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool isIpv6(std::string_view s) {
  const auto zone = s.find('%');  // fe80::1%eth0
  if (zone != std::string_view::npos) {
    if (zone + 1 == s.size()) return false;
    s = s.substr(0, zone);
  }
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

bool isHostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // fully qualified
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    const auto label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return isAlpha(c) || isDigit(c) || c == '-' || c == '_'; }))
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool isUrl(std::string_view s) {
  const auto sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || !isAlpha(s[0]) || sep + 3 == s.size()) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(sep),
                     [](char c) { return isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.'; });
}

std::string optionText(const json::value& v, const std::string& key) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return values::formatNumber(v.get_double());
  throw ApiError(400, "option '" + key + "' must be a string, number or boolean");
}

std::string joinNames(const core::PluginSchema& schema) {
  std::string known;
  for (const auto& k : schema.configKeys) known += (known.empty() ? "" : ", ") + k.name;
  return known.empty() ? "none" : known;
}

// The normalised options for one schema, in the schema's key order.
std::vector<std::pair<std::string, std::string>> validateOptions(const core::PluginSchema& schema,
                                                                 const json::object& given,
                                                                 const std::vector<std::string>& targets) {
  for (const auto& kv : given) {
    const std::string key(kv.key());
    if (std::find(std::begin(kReservedOptions), std::end(kReservedOptions), key) != std::end(kReservedOptions))
      throw ApiError(400, "option '" + key + "' is set by the server from the test definition (interval_s)");
    if (key == "targets") throw ApiError(400, "option 'targets': give targets in the test's 'targets' array");
    if (!schema.findKey(key))
      throw ApiError(
          400, "unknown option '" + key + "' for plugin '" + schema.name + "' (known: " + joinNames(schema) + ")");
  }
  const auto* targetsKey = schema.findKey("targets");
  if (!targetsKey && !targets.empty())
    throw ApiError(400, "field 'targets': plugin '" + schema.name + "' takes no targets");

  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& key : schema.configKeys) {
    std::optional<std::string> text;
    if (key.name == "targets") {
      if (!targets.empty()) {
        std::string joined;
        for (const auto& t : targets) joined += (joined.empty() ? "" : ",") + t;
        text = std::move(joined);
      }
    } else if (const auto* v = given.if_contains(key.name)) {
      text = optionText(*v, key.name);
    }
    if (!text) {
      if (!key.defaultValue) {
        if (key.name == "targets")
          throw ApiError(400, "field 'targets': plugin '" + schema.name + "' needs at least one target");
        throw ApiError(400, "option '" + key.name + "' is required by plugin '" + schema.name + "'" +
                                (key.doc.empty() ? "" : " (" + key.doc + ")"));
      }
      continue;  // the agent applies the default
    }
    const auto checked = values::check(key.view(), *text);
    if (!checked.value)
      throw ApiError(400,
                     (key.name == "targets" ? "field 'targets': " : "option '" + key.name + "': ") + checked.error);
    // values::check's normal form, which checks again to itself (the agent validates again).
    out.emplace_back(key.name, *checked.value);
  }
  return out;
}

std::optional<TimeNs> positiveSeconds(const json::object& body, std::string_view key, double min, double max) {
  const auto v = optionalNumber(body, key);
  if (!v) return std::nullopt;
  if (!(*v >= min) || *v > max)
    throw ApiError(400, "field '" + std::string(key) + "' must be between " + values::formatNumber(min) + " and " +
                            values::formatNumber(max) + " seconds");
  return nsFromSeconds(*v);
}

}  // namespace

std::optional<std::string> targetProblem(std::string_view t) {
  if (t.empty()) return "is empty";
  if (t.size() > kMaxTargetLength) return "is longer than " + std::to_string(kMaxTargetLength) + " characters";
  for (const char c : t) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return "contains whitespace";
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return "contains a control or non-ASCII character";
    if (c == ',') return "contains a comma";
  }
  if (isUrl(t) || isIpv4(t) || isIpv6(t) || isHostname(t)) return std::nullopt;
  if (t.front() == '[') {  // [v6]:port
    const auto close = t.find(']');
    if (close != std::string_view::npos && isIpv6(t.substr(1, close - 1)) &&
        (close + 1 == t.size() || (t[close + 1] == ':' && isPort(t.substr(close + 2)))))
      return std::nullopt;
  }
  const auto colon = t.rfind(':');
  if (colon != std::string_view::npos && isPort(t.substr(colon + 1))) {
    const auto host = t.substr(0, colon);
    if (isIpv4(host) || isHostname(host)) return std::nullopt;
  }
  return "is not a hostname, IP address (with optional :port) or URL";
}

std::vector<core::PluginSchema> registeredPlugins(const AgentRecord& agent) {
  std::vector<core::PluginSchema> out;
  const auto v = json::parse(agent.pluginsJson);
  for (const auto& p : v.as_array()) out.push_back(core::schemaFromJson(p));
  return out;
}

TestRecord validateTestRequest(const json::object& body, const std::vector<AgentRecord>& agents, TimeNs now) {
  rejectUnknownFields(body, {"name", "plugin", "targets", "options", "agents", "labels", "start", "duration_s",
                             "interval_s", "recurring_every_s"});
  TestRecord t;
  t.plugin = requireString(body, "plugin");
  if (t.plugin.empty()) throw ApiError(400, "field 'plugin' is empty");
  t.name = optionalString(body, "name").value_or(t.plugin);
  t.targets = stringArray(body, "targets");
  if (t.targets.size() > kMaxTargets)
    throw ApiError(400, "field 'targets' has more than " + std::to_string(kMaxTargets) + " entries");
  for (std::size_t i = 0; i < t.targets.size(); ++i)
    if (const auto problem = targetProblem(t.targets[i]))
      throw ApiError(400,
                     "field 'targets[" + std::to_string(i) + "]' (\"" + t.targets[i].substr(0, 64) + "\") " + *problem);
  t.agentIds = stringArray(body, "agents");
  t.labels = stringArray(body, "labels");
  if (t.agentIds.empty() && t.labels.empty())
    throw ApiError(400, "fields 'agents' and 'labels' are both empty: assign the test to at least one agent");
  for (const auto& l : t.labels)
    if (l.empty()) throw ApiError(400, "field 'labels' contains an empty label");

  if (!field(body, "interval_s")) throw ApiError(400, "field 'interval_s' is required");
  t.intervalNs = *positiveSeconds(body, "interval_s", kMinIntervalS, kMaxIntervalS);
  t.durationNs = positiveSeconds(body, "duration_s", 1e-9, kMaxDurationS);
  if (t.durationNs && *t.durationNs <= 0) throw ApiError(400, "field 'duration_s' must be positive");
  t.recurEveryNs = positiveSeconds(body, "recurring_every_s", kMinIntervalS, kMaxDurationS);
  if (t.recurEveryNs) {
    if (!t.durationNs) throw ApiError(400, "field 'recurring_every_s' needs 'duration_s' (the length of each window)");
    if (*t.recurEveryNs < *t.durationNs)
      throw ApiError(400, "field 'recurring_every_s' is shorter than 'duration_s': windows would overlap");
  }
  if (const auto start = optionalString(body, "start")) {
    const auto parsed = parseRfc3339(*start);
    if (!parsed) throw ApiError(400, "field 'start' is not an RFC 3339 time (e.g. 2026-11-21T23:41:53Z)");
    t.startAt = *parsed;
  } else {
    t.startAt = now;
  }

  // The assigned agents: by id (each must exist and not be revoked) and by label.
  std::vector<const AgentRecord*> assigned;
  for (const auto& id : t.agentIds) {
    const auto it = std::find_if(agents.begin(), agents.end(), [&](const AgentRecord& a) { return a.id == id; });
    if (it == agents.end()) throw ApiError(400, "field 'agents': unknown agent " + id);
    if (it->revoked) throw ApiError(400, "field 'agents': agent " + id + " has been revoked");
    assigned.push_back(&*it);
  }
  for (const auto& a : agents) {
    if (a.revoked || std::find(assigned.begin(), assigned.end(), &a) != assigned.end()) continue;
    for (const auto& l : t.labels)
      if (std::find(a.labels.begin(), a.labels.end(), l) != a.labels.end()) {
        assigned.push_back(&a);
        break;
      }
  }

  // Options are checked against the plugin's schema as every registered assigned agent reports it
  // (versions may differ); the first one's normal form is stored.
  const json::object noOptions;
  const auto* options = optionalObject(body, "options");
  if (!options) options = &noOptions;
  bool validated = false;
  for (const auto* a : assigned) {
    if (a->version.empty()) continue;  // enrolled but not registered yet: it reports nothing
    std::vector<core::PluginSchema> plugins;
    try {
      plugins = registeredPlugins(*a);
    } catch (const std::exception& e) {
      throw ApiError(500, "agent " + a->id + " has an unreadable plugin registration: " + e.what());
    }
    const auto schema =
        std::find_if(plugins.begin(), plugins.end(), [&](const core::PluginSchema& s) { return s.name == t.plugin; });
    if (schema == plugins.end())
      throw ApiError(400,
                     "field 'plugin': agent " + a->id + " (" + a->name + ") does not report plugin '" + t.plugin + "'");
    auto normalised = validateOptions(*schema, *options, t.targets);
    if (!validated) t.options = std::move(normalised);
    validated = true;
  }
  if (!validated) {
    if (assigned.empty()) throw ApiError(400, "field 'labels': no agent has any of these labels");
    throw ApiError(
        400, "field 'plugin': plugin '" + t.plugin + "' is unknown: no assigned agent has registered its plugins yet");
  }
  return t;
}

}  // namespace streamswarm::server

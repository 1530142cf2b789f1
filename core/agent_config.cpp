#include "core/agent_config.hpp"

#include "core/error.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace streamswarm::core {
namespace po = boost::program_options;

namespace {

constexpr std::int64_t kMinRunEveryNs = 100'000'000;  // 100 ms: below that a probe is a load test
// Stopping a host for less than a second saves nothing that starting it again does not cost.
constexpr std::int64_t kMinIdleHostStopNs = 1'000'000'000;

std::string where(const AgentConfig& c, const std::string& section, const std::string& key) {
  return c.file.string() + ": [" + section + "] key '" + key + "': ";
}

std::string hostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  return buffer;
}

std::chrono::nanoseconds duration(const AgentConfig& c, const std::string& section, const std::string& key,
                                  const std::string& text) {
  const auto ns = values::parseDurationNs(text);
  if (!ns) throw Error(where(c, section, key) + "'" + text + "' is not a duration (e.g. 500ms, 10s, 5m)");
  if (*ns < kMinRunEveryNs) throw Error(where(c, section, key) + "'" + text + "' is shorter than the minimum of 100ms");
  return std::chrono::nanoseconds(*ns);
}

void applyAgentKey(AgentConfig& c, const std::string& key, const std::string& value) {
  if (key == "name") {
    if (values::trim(value).empty()) throw Error(where(c, "agent", key) + "must not be empty");
    c.name = values::trim(value);
  } else if (key == "plugin_dir") {
    c.pluginDir = std::filesystem::path(std::string(values::trim(value)));
  } else if (key == "log_level") {
    const auto level = std::string(values::trim(value));
    if (level != "debug" && level != "info" && level != "warning" && level != "error")
      throw Error(where(c, "agent", key) + "'" + level + "' is not one of: debug, info, warning, error");
    c.logLevel = level;
  } else if (key == "labels") {
    c.labels = values::splitList(value);
  } else if (key == "idle_host_stop") {
    const auto text = std::string(values::trim(value));
    const auto ns = values::parseDurationNs(text);
    if (text == "off")
      c.idleHostStop.reset();
    else if (ns && *ns >= kMinIdleHostStopNs)
      c.idleHostStop = std::chrono::nanoseconds(*ns);
    else
      throw Error(where(c, "agent", key) + "'" + text +
                  "' is neither off nor a duration of at least 1s (e.g. 30s, 5m)");
  } else {
    throw Error(where(c, "agent", key) + "unknown key (known: name, plugin_dir, log_level, labels, idle_host_stop)");
  }
}

bool validName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

std::optional<std::uint64_t> parseByteSize(std::string_view text) {
  const auto s = values::trim(text);
  std::size_t unitStart = s.size();
  while (unitStart > 0 && (s[unitStart - 1] < '0' || s[unitStart - 1] > '9') && s[unitStart - 1] != '.') --unitStart;
  const auto number = values::parseDouble(s.substr(0, unitStart));
  if (!number || *number < 0) return std::nullopt;
  const auto unit = values::trim(s.substr(unitStart));
  constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},          {"B", 1},         {"KB", 1e3}, {"MB", 1e6},    {"GB", 1e9},   {"KiB", 1024},
      {"MiB", 1048576}, {"GiB", 1 << 30}, {"K", 1024}, {"M", 1048576}, {"G", 1 << 30}};
  for (const auto& [name, scale] : kUnits)
    if (unit == name) {
      const double bytes = *number * scale;
      if (bytes > 1e18) return std::nullopt;
      return static_cast<std::uint64_t>(bytes);
    }
  return std::nullopt;
}

void applyServerKey(AgentConfig& c, const std::string& key, const std::string& value) {
  auto& s = *c.server;
  const auto text = std::string(values::trim(value));
  auto nonEmpty = [&] {
    if (text.empty()) throw Error(where(c, "server", key) + "must not be empty");
  };
  if (key == "url") {
    std::string error;
    const auto url = parseServerUrl(text, error);
    if (!url) throw Error(where(c, "server", key) + error);
    s.url = *url;
  } else if (key == "enrollment_token") {
    nonEmpty();
    s.enrollmentToken = text;
  } else if (key == "enrollment_token_file") {
    nonEmpty();
    s.enrollmentTokenFile = std::filesystem::path(text);
  } else if (key == "ca_file") {
    nonEmpty();
    std::ifstream probe(text);
    if (!probe) throw Error(where(c, "server", key) + "cannot read '" + text + "'");
    s.caFile = std::filesystem::path(text);
  } else if (key == "state_dir") {
    nonEmpty();
    s.stateDir = std::filesystem::path(text);
  } else if (key == "spool_max_bytes") {
    const auto bytes = parseByteSize(text);
    if (!bytes) throw Error(where(c, "server", key) + "'" + text + "' is not a size (e.g. 268435456, 256MiB, 1GB)");
    if (*bytes < kMinSpoolBytes)
      throw Error(where(c, "server", key) + "'" + text + "' is less than the minimum of 64KiB");
    s.spoolMaxBytes = *bytes;
  } else if (key == "batch_size") {
    const auto n = values::parseInt(text);
    if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxBatchSize))
      throw Error(where(c, "server", key) + "'" + text + "' is not a number in 1.." + std::to_string(kMaxBatchSize));
    s.batchSize = static_cast<std::size_t>(*n);
  } else if (key == "heartbeat") {
    const auto ns = values::parseDurationNs(text);
    if (!ns) throw Error(where(c, "server", key) + "'" + text + "' is not a duration (e.g. 10s, 1m)");
    if (*ns < 1'000'000'000 || *ns > 3'600'000'000'000)
      throw Error(where(c, "server", key) + "'" + text + "' is outside 1s..1h");
    s.heartbeat = std::chrono::nanoseconds(*ns);
  } else if (key == "test_plugins") {
    s.testPlugins = values::splitList(text);
    for (const auto& name : s.testPlugins)
      if (!validName(name))
        throw Error(where(c, "server", key) + "'" + name + "' is not a plugin name (a-z, 0-9, '_' and '-')");
  } else {
    throw Error(where(c, "server", key) +
                "unknown key (known: url, enrollment_token, enrollment_token_file, ca_file, state_dir, "
                "spool_max_bytes, batch_size, heartbeat, test_plugins)");
  }
}

void checkServer(const AgentConfig& c, const std::set<std::string>& seen) {
  const auto& s = *c.server;
  if (!seen.count("server.url"))
    throw Error(c.file.string() + ": [server]: key 'url' is required (e.g. http://127.0.0.1:8080)");
  if (!s.enrollmentToken.empty() && s.enrollmentTokenFile)
    throw Error(where(c, "server", "enrollment_token_file") +
                "give enrollment_token or enrollment_token_file, not both");
  if (s.caFile && !s.url.tls) throw Error(where(c, "server", "ca_file") + "is only used with an https:// url");
}

void applySectionKey(const AgentConfig& c, PluginSection& s, const std::string& key, const std::string& value) {
  if (key == "enabled") {
    const auto b = values::parseBool(value);
    if (!b) throw Error(where(c, s.section, key) + "'" + value + "' is not a boolean (true/false)");
    s.enabled = *b;
  } else if (key == "run_every") {
    s.every = duration(c, s.section, key, value);
  } else if (key == "run_timeout") {
    s.timeout = duration(c, s.section, key, value);
  } else {
    s.options[key] = value;
  }
}

}  // namespace

AgentConfig loadAgentConfig(const std::filesystem::path& file) {
  AgentConfig c;
  c.file = file;
  c.name = hostName();
  std::ifstream in(file);
  if (!in) throw Error(file.string() + ": cannot open config file");

  // Program_options reports keys, not sections: a section with no keys (a plugin enabled with all
  // its defaults) is found by reading the headers.
  std::vector<std::string> headers;
  for (std::string line; std::getline(in, line);) {
    const auto t = values::trim(line);
    if (t.size() > 2 && t.front() == '[' && t.back() == ']')
      headers.emplace_back(values::trim(t.substr(1, t.size() - 2)));
  }
  in.clear();
  in.seekg(0);

  po::parsed_options parsed(nullptr);
  try {
    po::options_description none;
    parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    throw Error(file.string() + ": " + e.what());
  }

  std::set<std::string> seen;
  std::map<std::string, std::size_t> sectionIndex;
  std::set<std::string> sectionsWithTimeout;
  auto sectionFor = [&](const std::string& section) -> PluginSection& {
    if (section.rfind("plugin.", 0) != 0)
      throw Error(file.string() + ": unknown section [" + section + "] (expected [agent], [server] or [plugin.NAME])");
    auto [it, added] = sectionIndex.try_emplace(section, c.plugins.size());
    if (added) {
      PluginSection s;
      s.section = section;
      const auto rest = section.substr(7);
      const auto split = rest.find('.');
      s.plugin = rest.substr(0, split);
      s.instance = split == std::string::npos ? "" : rest.substr(split + 1);
      if (!validName(s.plugin) || (split != std::string::npos && !validName(s.instance)))
        throw Error(file.string() + ": section [" + section +
                    "]: plugin and instance names use a-z, 0-9, '_' and '-' (form [plugin.NAME] or "
                    "[plugin.NAME.INSTANCE])");
      c.plugins.push_back(std::move(s));
    }
    return c.plugins[it->second];
  };
  for (const auto& header : headers) {
    if (header == "server")
      c.server.emplace();
    else if (header != "agent")
      sectionFor(header);
  }

  for (const auto& opt : parsed.options) {
    const auto& full = opt.string_key;
    const auto value = opt.value.empty() ? std::string() : opt.value.front();
    const auto dot = full.rfind('.');
    if (dot == std::string::npos) throw Error(file.string() + ": key '" + full + "' is outside any [section]");
    const auto section = full.substr(0, dot);
    const auto key = full.substr(dot + 1);
    if (!seen.insert(full).second) throw Error(where(c, section, key) + "given more than once");

    if (section == "agent") {
      applyAgentKey(c, key, value);
      continue;
    }
    if (section == "server") {
      if (!c.server) c.server.emplace();
      applyServerKey(c, key, value);
      continue;
    }
    auto& s = sectionFor(section);
    applySectionKey(c, s, key, value);
    if (key == "run_timeout") sectionsWithTimeout.insert(section);
  }
  if (c.server) checkServer(c, seen);
  // A run that may last longer than its period would overlap the next one.
  for (auto& s : c.plugins) {
    if (!sectionsWithTimeout.count(s.section))
      s.timeout = std::min<std::chrono::nanoseconds>(s.every, std::chrono::seconds(30));
    if (s.timeout > s.every)
      throw Error(where(c, s.section, "run_timeout") +
                  "is longer than run_every; a run must end before the next starts");
  }
  return c;
}

std::string enrollmentToken(const AgentConfig& c) {
  const auto& s = *c.server;
  if (!s.enrollmentToken.empty()) return s.enrollmentToken;
  if (!s.enrollmentTokenFile)
    throw Error(c.file.string() + ": [server]: this agent has no credential in " + s.credentialFile().string() +
                " yet; set enrollment_token or enrollment_token_file to enroll it");
  std::ifstream in(*s.enrollmentTokenFile);
  std::string token;
  if (!in || !std::getline(in, token) || values::trim(token).empty())
    throw Error(where(c, "server", "enrollment_token_file") + "cannot read a token from '" +
                s.enrollmentTokenFile->string() + "'");
  return std::string(values::trim(token));
}

std::map<std::string, std::string> validatePluginOptions(const AgentConfig& c, const PluginSection& s,
                                                         const PluginSchema& schema) {
  std::map<std::string, std::string> out;
  for (const auto& [key, text] : s.options) {
    if (schema.findKey(key)) continue;
    std::string known;
    for (const auto& k : schema.configKeys) known += (known.empty() ? "" : ", ") + k.name;
    for (const auto* k : kSectionKeys) known += std::string(known.empty() ? "" : ", ") + k;
    throw Error(where(c, s.section, key) + "unknown option for plugin '" + schema.name + "' (known: " + known + ")");
  }
  for (const auto& key : schema.configKeys) {
    const auto it = s.options.find(key.name);
    if (it == s.options.end()) {
      if (!key.defaultValue)
        throw Error(where(c, s.section, key.name) + "required by plugin '" + schema.name + "' (" + key.doc + ")");
      if (key.defaultValue->empty()) {
        out[key.name] = "";
        continue;
      }
    }
    const auto checked = values::check(key.view(), it != s.options.end() ? it->second : *key.defaultValue);
    if (!checked.value) throw Error(where(c, s.section, key.name) + checked.error);
    out[key.name] = *checked.value;
  }
  return out;
}

}  // namespace streamswarm::core

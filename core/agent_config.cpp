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
  } else {
    throw Error(where(c, "agent", key) + "unknown key (known: name, plugin_dir, log_level, labels)");
  }
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

bool validName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
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
      throw Error(file.string() + ": unknown section [" + section + "] (expected [agent] or [plugin.NAME])");
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
  for (const auto& header : headers)
    if (header != "agent") sectionFor(header);

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
    auto& s = sectionFor(section);
    applySectionKey(c, s, key, value);
    if (key == "run_timeout") sectionsWithTimeout.insert(section);
  }
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

#pragma once

#include "core/plugin_schema.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::core {

// One [plugin.NAME] or [plugin.NAME.INSTANCE] section: enables a plugin on this host.
struct PluginSection {
  std::string section;   // as written, for messages
  std::string plugin;    // NAME
  std::string instance;  // INSTANCE, empty for the unnamed one
  bool enabled = true;
  std::chrono::nanoseconds every = std::chrono::seconds(60);
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);
  std::map<std::string, std::string> options;  // the plugin's own keys, as written

  std::string label() const { return instance.empty() ? plugin : plugin + "." + instance; }
};

struct AgentConfig {
  std::filesystem::path file;
  std::string name;  // defaults to the host name
  std::optional<std::filesystem::path> pluginDir;
  std::string logLevel = "info";
  std::vector<std::string> labels;
  std::vector<PluginSection> plugins;
};

// Keys the agent itself reads in every plugin section; a plugin may not declare them.
inline constexpr const char* kSectionKeys[] = {"enabled", "run_every", "run_timeout"};

// Reads an INI file. Unknown sections, unknown [agent] keys, repeated keys and bad values of the
// agent's own keys throw Error naming the file, section, key and reason.
AgentConfig loadAgentConfig(const std::filesystem::path& file);

// Checks a section's plugin options against the schema the plugin declared: unknown keys, missing
// required keys and bad values throw Error (file, section, key, reason). Returns the normalised
// options with defaults filled in.
std::map<std::string, std::string> validatePluginOptions(const AgentConfig& config, const PluginSection& section,
                                                         const PluginSchema& schema);

}  // namespace streamswarm::core

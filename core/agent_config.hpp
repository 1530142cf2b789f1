#pragma once

#include "core/plugin_schema.hpp"
#include "core/server_api.hpp"

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

// The [server] section: where results go and tests come from. Without it the agent is local only.
struct ServerConfig {
  ServerUrl url;
  std::string enrollmentToken;                               // enrollment_token, used once
  std::optional<std::filesystem::path> enrollmentTokenFile;  // or read from this file when needed
  std::optional<std::filesystem::path> caFile;               // https: verify the server against it
  std::filesystem::path stateDir = "/var/lib/streamswarm-agent";
  std::uint64_t spoolMaxBytes = 256ull << 20;
  std::size_t batchSize = 1000;
  std::chrono::nanoseconds heartbeat = std::chrono::seconds(10);
  std::vector<std::string> testPlugins;  // offered for server tests besides the enabled [plugin.*]

  std::filesystem::path credentialFile() const { return stateDir / "credential"; }
  std::filesystem::path spoolFile() const { return stateDir / "spool.db"; }
};

// Named limits of the [server] keys.
inline constexpr std::uint64_t kMinSpoolBytes = 64u * 1024;
inline constexpr std::size_t kMaxBatchSize = 5000;  // the server's limit per request

struct AgentConfig {
  std::filesystem::path file;
  std::string name;  // defaults to the host name
  std::optional<std::filesystem::path> pluginDir;
  std::string logLevel = "info";
  std::vector<std::string> labels;
  // idle_host_stop: the host of a plugin with independent runs stops while no run of it is due
  // within this time, and starts again for the next one; none ("off") keeps every host running.
  std::optional<std::chrono::nanoseconds> idleHostStop = std::chrono::seconds(30);
  std::vector<PluginSection> plugins;
  std::optional<ServerConfig> server;
};

// Keys the agent itself reads in every plugin section; a plugin may not declare them.
inline constexpr const char* kSectionKeys[] = {"enabled", "run_every", "run_timeout"};

// Reads an INI file. Unknown sections, unknown [agent] keys, repeated keys and bad values of the
// agent's own keys throw Error naming the file, section, key and reason.
AgentConfig loadAgentConfig(const std::filesystem::path& file);

// The enrollment token from [server] enrollment_token or enrollment_token_file (read now, so the
// file may be removed once the agent has enrolled). Throws Error naming the key when there is none
// or the file cannot be read.
std::string enrollmentToken(const AgentConfig& config);

// Checks a section's plugin options against the schema the plugin declared: unknown keys, missing
// required keys and bad values throw Error (file, section, key, reason). Returns the normalised
// options with defaults filled in.
std::map<std::string, std::string> validatePluginOptions(const AgentConfig& config, const PluginSection& section,
                                                         const PluginSchema& schema);

}  // namespace streamswarm::core

#pragma once

#include "core/plugin_manifest.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace streamswarm::core {

struct Discovery {
  std::vector<PluginManifest> usable;   // loadable by this agent, sorted by name
  std::vector<PluginManifest> refused;  // ABI incompatible
  std::vector<std::string> problems;    // one line each: refused plugins, unreadable files, clashes
};

// Lists the *.so files in `dir` and reads their manifests without running plugin code. A second
// file with the name of an already-found plugin is refused, naming both files.
Discovery discoverPlugins(const std::filesystem::path& dir);

// The default plugin directory: ../lib/streamswarm/plugins next to the running binary.
std::filesystem::path defaultPluginDir();

// The directory holding the running binary.
std::filesystem::path executableDir();

}  // namespace streamswarm::core

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace streamswarm::core {

// What discovery knows of a plugin file without running any of its code.
struct PluginManifest {
  std::filesystem::path file;
  std::string name;
  std::string version;
  std::string description;
  std::uint32_t abiMajor = 0;
  std::uint32_t abiMinor = 0;
};

struct ManifestReading {
  std::optional<PluginManifest> manifest;
  std::string error;  // why the file is not a usable plugin
};

// Reads the manifest section and checks that the entry alias is exported, using
// boost::dll::library_info (no dlopen). A file that is not a StreamSwarm plugin gets an error.
ManifestReading readManifest(const std::filesystem::path& file);

// Empty when this agent can load a plugin of that ABI; otherwise a one-line reason naming the
// file and both versions.
std::string abiIncompatibility(const PluginManifest& manifest);

}  // namespace streamswarm::core

#pragma once

#include "core/plugin_schema.hpp"

#include <streamswarm/abi.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <functional>

namespace streamswarm::core {

// A plugin loaded into this process (the plugin host, never the agent itself). Keeps the
// shared_library alive for as long as the descriptor and anything the plugin created is used.
class PluginLibrary {
 public:
  // Loads the file and checks the descriptor; throws Error with the file and the reason.
  explicit PluginLibrary(const std::filesystem::path& file);

  const ss_plugin_descriptor& descriptor() const { return *descriptor_; }
  const PluginSchema& schema() const { return schema_; }

 private:
  boost::dll::shared_library library_;
  std::function<const ss_plugin_descriptor*()> entry_;
  const ss_plugin_descriptor* descriptor_ = nullptr;
  PluginSchema schema_;
};

// Checks a plugin's self-description for what the agent relies on (names, reserved keys, known
// types); returns an empty string when it is sound.
std::string schemaProblem(const PluginSchema& schema);

}  // namespace streamswarm::core

#include "core/server_mode.hpp"

#include "core/error.hpp"
#include "core/plugin_discovery.hpp"

#include <boost/dll/import.hpp>

namespace streamswarm::core {

std::filesystem::path defaultServerModeModule() {
  return executableDir().parent_path() / "lib" / "streamswarm" / "libstreamswarm_server_mode.so";
}

std::shared_ptr<ServerMode> loadServerMode(const std::filesystem::path& module, ServerMode::Context context) {
  std::function<ServerModeFactory> make;
  try {
    make = boost::dll::import_alias<ServerModeFactory>(
        module, kServerModeEntry, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error("cannot load " + module.string() + ", which an agent with a [server] section needs: " + e.what());
  }
  auto mode = make(std::move(context));
  // The function keeps the module loaded: the object's code lives there.
  return std::shared_ptr<ServerMode>(mode.release(), [make](ServerMode* m) { delete m; });
}

}  // namespace streamswarm::core

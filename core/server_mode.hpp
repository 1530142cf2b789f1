#pragma once

#include "core/agent_config.hpp"
#include "core/plugin_schema.hpp"
#include "core/probe_result.hpp"
#include "core/server_api.hpp"

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace streamswarm::core {

// What a [server] section adds to the agent: the durable result spool and the link to the server
// (enrollment, registration, heartbeats, test updates, result delivery). It is built as a module
// of its own (libstreamswarm_server_mode.so) that the agent loads only for a [server] section: the
// spool brings SQLite and the link OpenSSL, and merely mapping those would cost an agent without a
// server about as much memory as all the rest of it.
//
// The module holds its own copy of the core code it uses; the only state core code keeps (the
// log level) is set again inside it from the config.
class ServerMode {
 public:
  struct Context {
    boost::asio::io_context& io;
    const AgentConfig& config;  // with a [server] section; outlives the server mode
    std::string version;
    std::function<void(const std::string& line)> printSpooled;  // each spooled result, with its seq; may be empty
    std::function<void(const std::vector<ServerTest>& tests)> onTests;  // the server's desired test set
    std::function<void(const std::string& message)> onFatal;            // the agent must stop
  };

  virtual ~ServerMode() = default;

  // Writes a result to the spool; the link delivers it from there. A result that cannot be
  // written is logged and lost; this never throws.
  virtual void deliver(const ProbeResult& result) = 0;
  // Enrolls if needed, registers with these plugin schemas, then runs until stop().
  virtual void start(std::vector<PluginSchema> plugins) = 0;
  virtual void stop() = 0;
  // "results to URL through FILE (N pending)", for the agent's start-up line.
  virtual std::string describe() const = 0;
};

// The module's entry (a Boost.DLL alias named kServerModeEntry): makes the server mode, or throws
// Error naming the key or file at fault (state_dir, the spool, the credential, ca_file).
using ServerModeFactory = std::unique_ptr<ServerMode>(ServerMode::Context context);
inline constexpr const char* kServerModeEntry = "streamswarm_server_mode_v1";

// The module next to the plugin directory of an installed agent: ../lib/streamswarm beside the binary.
std::filesystem::path defaultServerModeModule();

// Loads the module and makes the server mode; the module stays loaded as long as the result.
// Throws Error naming the file when it cannot be loaded.
std::shared_ptr<ServerMode> loadServerMode(const std::filesystem::path& module, ServerMode::Context context);

}  // namespace streamswarm::core

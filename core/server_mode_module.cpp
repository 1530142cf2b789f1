// libstreamswarm_server_mode.so: what a [server] section adds to the agent (see server_mode.hpp),
// apart from the agent binary so that only an agent with a server maps SQLite and OpenSSL.
#include "core/credential_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/result_spool.hpp"
#include "core/server_link.hpp"
#include "core/server_mode.hpp"

#include <boost/dll/alias.hpp>

namespace streamswarm::core {
namespace {

// Every result goes to the durable spool before anything else; the link delivers it from there.
class SpooledServerMode final : public ServerMode {
 public:
  explicit SpooledServerMode(Context context) : context_(std::move(context)) {
    const auto& config = context_.config;
    try {
      ensureStateDir(config.server->stateDir);
    } catch (const Error& e) {
      throw Error(config.file.string() + ": [server] key 'state_dir': " + e.what());
    }
    spool_ = std::make_unique<ResultSpool>(config.server->spoolFile(), config.server->spoolMaxBytes);
    link_ = std::make_shared<ServerLink>(context_.io, config, *spool_, context_.version, context_.onTests,
                                         context_.onFatal);
  }

  void deliver(const ProbeResult& result) override {
    const auto payload = spoolPayload(result);
    std::int64_t seq = 0;
    try {
      seq = spool_->append(payload);
    } catch (const std::exception& e) {
      logLine(LogLevel::kError, std::string("result lost: ") + e.what());
      return;
    }
    if (context_.printSpooled && seq != 0) context_.printSpooled(withSeq(seq, payload));
    link_->resultsAppended();
  }

  void start(std::vector<PluginSchema> plugins) override { link_->start(std::move(plugins)); }

  void stop() override { link_->stop(); }

  std::string describe() const override {
    return "results to " + context_.config.server->url.describe() + " through " + spool_->file().string() + " (" +
           std::to_string(spool_->pendingCount()) + " pending)";
  }

 private:
  Context context_;
  std::unique_ptr<ResultSpool> spool_;
  std::shared_ptr<ServerLink> link_;  // its pending operations share it; it only refers to the spool
};

std::unique_ptr<ServerMode> makeServerMode(ServerMode::Context context) {
  // This module has its own copy of the core code, and so of the log level.
  setLogLevel(logLevelFromName(context.config.logLevel));
  return std::make_unique<SpooledServerMode>(std::move(context));
}

}  // namespace
}  // namespace streamswarm::core

// The name is kServerModeEntry.
BOOST_DLL_ALIAS(streamswarm::core::makeServerMode, streamswarm_server_mode_v1)

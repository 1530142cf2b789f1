// http_timing: per-phase timing of HTTP(S) requests (DNS, connect, TLS, first byte, transfer), the
// status, sizes and TLS certificate of the response, and checks on them; or DNS-only and
// TCP-connect-only probes. One result per target per run.
#pragma once

#include "probe_config.hpp"
#include "probe_outcome.hpp"
#include "result_builder.hpp"
#include "tls_inspector.hpp"

#include <streamswarm/plugin.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace streamswarm::http_timing {

class HttpTimingProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = http_timing::kDocumentSchema;
  // A run compares nothing with earlier runs (what is kept is only made again), so the agent may
  // stop an idle host between runs.
  static constexpr bool kIndependentRuns = true;
  // How often a run looks at the host's cancellation flag while probes are in flight.
  static constexpr std::chrono::milliseconds kCancelPollInterval{50};
  // How long a cancelled run waits for its probes to wind down (their sockets are already closed).
  static constexpr std::chrono::milliseconds kCancelDrainLimit{500};

  static std::span<const ss_config_key> configKeys() { return http_timing::configKeys(); }
  static std::span<const ss_metric_def> metrics() { return metricDefs(); }

  explicit HttpTimingProbe(const Options& options);
  ~HttpTimingProbe();
  HttpTimingProbe(const HttpTimingProbe&) = delete;
  HttpTimingProbe& operator=(const HttpTimingProbe&) = delete;

  void run(Host& host);

  // Probes every target once, `concurrency` at a time, handing each outcome over as it finishes.
  // Stops early (without reporting the unfinished ones) once `cancelled` returns true.
  void probeTargets(std::chrono::system_clock::time_point wallStart, const std::function<bool()>& cancelled,
                    const std::function<void(ProbeOutcome&&)>& onOutcome);

  const ProbeConfig& config() const { return config_; }

 private:
  struct RunState;
  void launch(const std::shared_ptr<RunState>& state);

  ProbeConfig config_;
  std::string trustStore_;
  LazyTlsContext tls_;
  // Kept across runs: a name lookup still running when a run ends finishes in the background
  // instead of blocking the end of the run. Declared last, so it is destroyed first, with any
  // probe still pending in it, while the config and TLS context those probes use still exist.
  boost::asio::io_context io_;
};

}  // namespace streamswarm::http_timing

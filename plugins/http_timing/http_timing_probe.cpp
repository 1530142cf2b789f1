#include "http_timing_probe.hpp"

#include "target_prober.hpp"
#include "tls_inspector.hpp"

#include <boost/asio/co_spawn.hpp>

#include <algorithm>
#include <deque>
#include <exception>

namespace streamswarm::http_timing {

struct HttpTimingProbe::RunState {
  std::chrono::system_clock::time_point wallStart;
  std::size_t next = 0;      // index of the next target to launch
  std::size_t finished = 0;  // targets whose probe completed
  std::deque<ProbeOutcome> outcomes;
  std::vector<std::shared_ptr<TargetProber>> active;
  bool cancelled = false;
};

HttpTimingProbe::HttpTimingProbe(const Options& options)
    : config_(ProbeConfig::fromOptions(options)),
      trustStore_(config_.caFile.empty() ? "system" : config_.caFile),
      tls_(config_.caFile, !config_.caFile.empty() || std::any_of(config_.targets.begin(), config_.targets.end(),
                                                                  [](const Target& t) { return t.url.https(); })) {}

HttpTimingProbe::~HttpTimingProbe() = default;

void HttpTimingProbe::launch(const std::shared_ptr<RunState>& state) {
  const auto& target = config_.targets[state->next++];
  auto prober = std::make_shared<TargetProber>(io_, config_, tls_, trustStore_, target, state->wallStart);
  state->active.push_back(prober);
  // The completion runs inside io_.run_for() of this object, so `this` is alive; after a cancelled
  // run it only touches that run's own state.
  boost::asio::co_spawn(io_, prober->probe(), [this, state, prober](std::exception_ptr error, ProbeOutcome outcome) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        outcome = prober->abandon(std::string("internal error: ") + e.what());
      } catch (...) {
        outcome = prober->abandon("internal error: unknown exception");
      }
    }
    std::erase(state->active, prober);
    ++state->finished;
    if (state->cancelled) return;
    state->outcomes.push_back(std::move(outcome));
    if (state->next < config_.targets.size())
      launch(state);
    else if (state->finished == config_.targets.size())
      io_.stop();  // return from run_for() now rather than at the end of its slice
  });
}

void HttpTimingProbe::probeTargets(std::chrono::system_clock::time_point wallStart,
                                   const std::function<bool()>& cancelled,
                                   const std::function<void(ProbeOutcome&&)>& onOutcome) {
  auto state = std::make_shared<RunState>();
  state->wallStart = wallStart;
  io_.restart();
  const auto total = config_.targets.size();
  const auto parallel = std::min<std::size_t>(total, static_cast<std::size_t>(config_.concurrency));
  for (std::size_t i = 0; i < parallel; ++i) launch(state);

  const auto deliver = [&] {
    while (!state->outcomes.empty()) {
      auto outcome = std::move(state->outcomes.front());
      state->outcomes.pop_front();
      onOutcome(std::move(outcome));
    }
  };
  while (state->finished < total) {
    io_.run_for(kCancelPollInterval);
    deliver();
    if (state->finished < total && cancelled()) {
      state->cancelled = true;
      for (const auto& prober : std::vector(state->active)) prober->cancel();
      const auto deadline = std::chrono::steady_clock::now() + kCancelDrainLimit;
      io_.restart();
      while (!state->active.empty() && std::chrono::steady_clock::now() < deadline) io_.run_for(kCancelPollInterval);
      return;
    }
    if (io_.stopped()) io_.restart();
  }
}

void HttpTimingProbe::run(Host& host) {
  const auto wallStart = host.now();
  probeTargets(
      wallStart, [&] { return host.cancelled(); },
      [&](ProbeOutcome&& outcome) {
        auto result = buildResult(outcome);
        result.timestamp = wallStart;
        host.emit(result);
      });
}

}  // namespace streamswarm::http_timing

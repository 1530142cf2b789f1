#include "phase_timings.hpp"

#include <streamswarm/config_values.hpp>

namespace streamswarm::http_timing {

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::kDns: return "dns";
    case Phase::kConnect: return "connect";
    case Phase::kTls: return "tls";
    case Phase::kRequest: return "request";
    case Phase::kTtfb: return "ttfb";
    case Phase::kTransfer: return "transfer";
    case Phase::kRedirect: return "redirect";
    case Phase::kStatus: return "status";
    case Phase::kBody: return "body";
  }
  return "unknown";
}

bool timed(Phase phase) {
  return static_cast<std::size_t>(phase) < kTimedPhaseCount;
}

std::optional<double> HopTimings::operator[](Phase phase) const {
  return timed(phase) ? ms[static_cast<std::size_t>(phase)] : std::nullopt;
}

void PhaseMarks::mark(Phase phase, Nanos at) {
  if (timed(phase)) marks_[static_cast<std::size_t>(phase)] = at;
}

std::optional<Nanos> PhaseMarks::at(Phase phase) const {
  return timed(phase) ? marks_[static_cast<std::size_t>(phase)] : std::nullopt;
}

double toMs(Nanos d) {
  return static_cast<double>(d.count()) / 1e6;
}

HopTimings PhaseMarks::timings(Nanos end) const {
  HopTimings out;
  Nanos previous = start_;
  for (std::size_t i = 0; i < kTimedPhaseCount; ++i) {
    if (!marks_[i]) continue;
    out.ms[i] = toMs(*marks_[i] - previous);
    previous = *marks_[i];
  }
  out.totalMs = toMs(end - start_);
  return out;
}

HopTimings sumTimings(std::span<const HopTimings> hops) {
  HopTimings out;
  for (const auto& hop : hops) {
    for (std::size_t i = 0; i < kTimedPhaseCount; ++i)
      if (hop.ms[i]) out.ms[i] = out.ms[i].value_or(0) + *hop.ms[i];
    out.totalMs += hop.totalMs;
  }
  return out;
}

std::string formatDuration(Nanos d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns < 1'000'000'000 && ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns < 1'000'000) return std::to_string(ns) + "ns";
  return values::formatNumber(static_cast<double>(ns) / 1e9) + "s";
}

}  // namespace streamswarm::http_timing

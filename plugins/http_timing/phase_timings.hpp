// Phase accounting for one HTTP exchange ("hop") and for a whole probe. The probe marks, on one
// monotonic clock, the moment each step ended; durations are differences of those marks, so the
// phases of a hop add up to its total exactly (no clock read is counted twice or lost).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace streamswarm::http_timing {

// The timed steps, in order, then the checks that can fail a probe after them.
enum class Phase {
  kDns,       // name resolution (getaddrinfo)
  kConnect,   // TCP handshake, every address tried
  kTls,       // TLS handshake and certificate checks
  kRequest,   // writing the request
  kTtfb,      // request written -> first response byte (server think time + one round trip)
  kTransfer,  // first response byte -> last byte of the body
  kRedirect,  // following a Location (bad Location, too many redirects)
  kStatus,    // the final status code is not expected
  kBody,      // the final body does not match expect_body / expect_regex
};
inline constexpr std::size_t kTimedPhaseCount = 6;

std::string_view phaseName(Phase phase);
bool timed(Phase phase);

using Nanos = std::chrono::nanoseconds;

struct HopTimings {
  // Milliseconds per timed phase; empty for a phase that did not happen (no TLS on http://, no DNS
  // or connect on a reused connection) or did not complete.
  std::array<std::optional<double>, kTimedPhaseCount> ms{};
  double totalMs = 0;

  std::optional<double> operator[](Phase phase) const;
};

// When each completed step of one hop ended.
class PhaseMarks {
 public:
  explicit PhaseMarks(Nanos start) : start_(start) {}

  void mark(Phase phase, Nanos at);
  Nanos start() const { return start_; }
  std::optional<Nanos> at(Phase phase) const;

  // Each completed phase lasts from the end of the latest earlier completed phase (or the start);
  // the total runs to `end` (the last mark, or the moment the hop failed).
  HopTimings timings(Nanos end) const;

 private:
  Nanos start_;
  std::array<std::optional<Nanos>, kTimedPhaseCount> marks_{};
};

// Per-phase sums over hops: a phase is present when it is present in any hop.
HopTimings sumTimings(std::span<const HopTimings> hops);

double toMs(Nanos d);

// "300ms", "2s", "1.5s": how timeouts are named in error texts.
std::string formatDuration(Nanos d);

}  // namespace streamswarm::http_timing

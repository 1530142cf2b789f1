// One ping run over a transport: sends every request on the schedule, reads replies and ICMP
// errors as they come, and stops when all are settled (or the run is cancelled). The loop only;
// the schedule, the matching and the statistics are pure classes it drives.
#pragma once

#include "ping/ping_ledger.hpp"
#include "ping/ping_options.hpp"
#include "ping/ping_transport.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace streamswarm::ping {

// Longest the loop waits without looking at cancellation.
constexpr std::chrono::milliseconds kPollSlice{50};
// Requests sent back to back before the sockets are read again, so a burst to many targets
// cannot overflow the receive buffer with replies.
constexpr std::size_t kSendBurst = 64;
// How soon to retry a send the kernel had no buffer for.
constexpr std::chrono::milliseconds kSendRetry{1};

struct RunnerStats {
  std::size_t foreign = 0;    // echo replies and errors that were not about our requests
  std::size_t malformed = 0;  // packets that did not parse
  bool cancelled = false;
};

// Runs the requests of every target in `ledger` (target t goes to `families[t]`), with the pacing
// of `options`. `cancelled` is polled at least every kPollSlice.
RunnerStats runPing(PingTransport& transport, PingLedger& ledger, const std::vector<netprobe::Family>& families,
                    const PingOptions& options, const std::function<bool()>& cancelled);

}  // namespace streamswarm::ping

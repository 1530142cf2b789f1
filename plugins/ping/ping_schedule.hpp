// When to send which echo request, fping-style: round-robin over the targets, each target's
// requests `interval` apart, and requests to all targets together at most `send_rate` per second.
// The rate keeps to its plan: a loop that wakes late sends the overdue requests at once (within
// kMaxPacingDebt) instead of shifting every later one. Pure: the caller says what time it is.
#pragma once

#include "common/socket_events.hpp"

#include <chrono>
#include <cstddef>
#include <deque>

namespace streamswarm::ping {

using netprobe::MonoTime;

// How far global pacing may fall behind its plan (the loop woke late) and still catch up by
// sending the overdue requests back to back: at 1000/s, at most 10 in a row.
constexpr std::chrono::milliseconds kMaxPacingDebt{10};

class PingSchedule {
 public:
  struct Slot {
    std::size_t target = 0;  // index into the caller's target list
    int index = 0;           // the request's number for that target, from 0
  };

  // `targets`: how many; each gets `count` requests. `sendRate` 0 means no global pacing.
  PingSchedule(std::size_t targets, int count, std::chrono::nanoseconds interval, double sendRate, MonoTime start);

  bool done() const { return queue_.empty(); }
  // When the next request is due; only meaningful while !done().
  MonoTime nextTime() const;
  // The next request; call commit() once it went out (a send that must be retried is not committed).
  Slot peek() const;
  void commit(MonoTime now);
  std::size_t committed() const { return committed_; }

 private:
  struct Entry {
    std::size_t target;
    int next;
    MonoTime due;
  };
  int count_;
  std::chrono::nanoseconds interval_;
  std::chrono::nanoseconds gap_;  // 1 / sendRate
  std::deque<Entry> queue_;       // due times never decrease from front to back
  MonoTime slot_{};               // the planned time of the last send (at most kMaxPacingDebt behind it)
  bool anySent_ = false;
  std::size_t committed_ = 0;
};

}  // namespace streamswarm::ping

#include "ping/ping_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace streamswarm::ping {

PingSchedule::PingSchedule(std::size_t targets, int count, std::chrono::nanoseconds interval, double sendRate,
                           MonoTime start)
    : count_(count),
      interval_(interval),
      gap_(sendRate > 0 ? std::chrono::nanoseconds(std::llround(1e9 / sendRate)) : std::chrono::nanoseconds(0)) {
  if (count <= 0) return;
  for (std::size_t t = 0; t < targets; ++t) queue_.push_back({t, 0, start});
}

MonoTime PingSchedule::nextTime() const {
  const auto due = queue_.front().due;
  return anySent_ ? std::max(due, slot_ + gap_) : due;
}

PingSchedule::Slot PingSchedule::peek() const {
  return {queue_.front().target, queue_.front().next};
}

void PingSchedule::commit(MonoTime now) {
  auto entry = queue_.front();
  queue_.pop_front();
  ++committed_;
  slot_ = anySent_ ? std::max(slot_ + gap_, now - kMaxPacingDebt) : now;
  anySent_ = true;
  if (++entry.next < count_) {
    // From the actual send time, so a late send never bunches up with the target's next one; the
    // queue stays ordered because `now` never goes back.
    entry.due = now + interval_;
    queue_.push_back(entry);
  }
}

}  // namespace streamswarm::ping

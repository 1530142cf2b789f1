#include "server/scheduler/scheduler_timer.hpp"

#include "core/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>

namespace streamswarm::server {
namespace asio = boost::asio;

struct SchedulerTimer::Impl : std::enable_shared_from_this<SchedulerTimer::Impl> {
  Impl(asio::io_context& io, TestScheduler& scheduler, Clock clock, TimeNs offlineAfterNs)
      : timer(asio::make_strand(io)), scheduler(scheduler), clock(std::move(clock)), offlineAfterNs(offlineAfterNs) {}

  asio::steady_timer timer;
  TestScheduler& scheduler;
  Clock clock;
  TimeNs offlineAfterNs;
  bool stopped = false;

  // Runs on the timer's strand only.
  void run() {
    if (stopped) return;
    const auto now = clock();
    // Offline marking must notice a missed heartbeat within half the allowance.
    auto delay = std::min<std::chrono::nanoseconds>(kMaxTick, std::chrono::nanoseconds(offlineAfterNs / 2));
    try {
      if (const auto next = scheduler.tick(now)) delay = std::min(delay, std::chrono::nanoseconds(*next - now));
      for (const auto& id : scheduler.markOffline(now, offlineAfterNs))
        core::logLine(core::LogLevel::kInfo, "agent " + id + " is offline (not seen for " +
                                                 std::to_string(offlineAfterNs / 1'000'000) + " ms)");
    } catch (const std::exception& e) {
      core::logLine(core::LogLevel::kError, std::string("scheduler: ") + e.what() + " (retrying)");
    }
    delay = std::max<std::chrono::nanoseconds>(delay, std::chrono::milliseconds(1));
    // Re-arming cancels a pending wait; that handler sees operation_aborted and does nothing.
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->run();
    });
  }
};

SchedulerTimer::SchedulerTimer(asio::io_context& io, TestScheduler& scheduler, Clock clock, TimeNs offlineAfterNs)
    : impl_(std::make_shared<Impl>(io, scheduler, std::move(clock), offlineAfterNs)) {}

SchedulerTimer::~SchedulerTimer() = default;

void SchedulerTimer::start() {
  poke();
}

void SchedulerTimer::poke() {
  asio::post(impl_->timer.get_executor(), [impl = impl_] { impl->run(); });
}

void SchedulerTimer::stop() {
  asio::post(impl_->timer.get_executor(), [impl = impl_] {
    impl->stopped = true;
    impl->timer.cancel();
  });
}

}  // namespace streamswarm::server

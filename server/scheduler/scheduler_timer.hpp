// Drives TestScheduler from a timer on the server's io context: at the next transition a test
// has due, and at least every kMaxTick so offline marking and recurring windows never wait on a
// client request.
#pragma once

#include "server/scheduler/clock.hpp"
#include "server/scheduler/test_scheduler.hpp"

#include <chrono>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace streamswarm::server {

class SchedulerTimer {
 public:
  static constexpr std::chrono::milliseconds kMaxTick{1000};

  SchedulerTimer(boost::asio::io_context& io, TestScheduler& scheduler, Clock clock, TimeNs offlineAfterNs);
  ~SchedulerTimer();
  SchedulerTimer(const SchedulerTimer&) = delete;
  SchedulerTimer& operator=(const SchedulerTimer&) = delete;

  void start();
  void poke();  // re-evaluate now: a test was created or changed
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace streamswarm::server

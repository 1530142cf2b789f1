// The "tests version": a counter bumped on every change to any test, and the long-poll waiters
// parked on it. A waiting agent request holds no thread: it is a callback plus a timer, completed
// by bump() or by its deadline, whichever comes first.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace streamswarm::server {

class TestsNotifier {
 public:
  // Starts at `initialVersion`; the server uses the start time in ms, so versions keep growing
  // across restarts and an agent's old version never looks current.
  TestsNotifier(boost::asio::io_context& io, std::uint64_t initialVersion);
  ~TestsNotifier();
  TestsNotifier(const TestsNotifier&) = delete;
  TestsNotifier& operator=(const TestsNotifier&) = delete;

  std::uint64_t version() const;

  // Call after the change is stored: version + 1, and every waiter completes.
  void bump();

  // `done(version)` runs once on the io context: soon if the version differs from `since`,
  // otherwise when it changes or when `wait` has passed (with the unchanged version).
  void wait(std::uint64_t since, std::chrono::milliseconds wait, std::function<void(std::uint64_t)> done);

  // Completes every waiter now, and every later wait at once (graceful shutdown).
  void shutdown();

  std::size_t waiting() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace streamswarm::server

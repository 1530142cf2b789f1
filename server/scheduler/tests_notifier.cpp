#include "server/scheduler/tests_notifier.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <mutex>
#include <unordered_set>

namespace streamswarm::server {
namespace asio = boost::asio;

namespace {

struct Waiter {
  explicit Waiter(asio::io_context& io) : timer(asio::make_strand(io)) {}
  asio::steady_timer timer;
  std::function<void(std::uint64_t)> done;
};

}  // namespace

struct TestsNotifier::Impl : std::enable_shared_from_this<TestsNotifier::Impl> {
  Impl(asio::io_context& io, std::uint64_t initial) : io(io), version(initial) {}

  asio::io_context& io;
  mutable std::mutex mutex;
  std::uint64_t version;
  bool shutDown = false;
  std::unordered_set<std::shared_ptr<Waiter>> waiters;

  // Completes `w` unless someone else already did; the set membership is the "not yet done" flag.
  void complete(const std::shared_ptr<Waiter>& w) {
    std::uint64_t v = 0;
    {
      std::lock_guard lock(mutex);
      if (waiters.erase(w) == 0) return;
      v = version;
    }
    w->done(v);
  }

  void wakeAll() {
    std::unordered_set<std::shared_ptr<Waiter>> woken;
    std::uint64_t v = 0;
    {
      std::lock_guard lock(mutex);
      woken.swap(waiters);
      v = version;
    }
    for (const auto& w : woken) {
      // The timer is only touched on its own strand; its handler then finds the waiter gone.
      asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
      asio::post(io, [w, v] { w->done(v); });
    }
  }
};

TestsNotifier::TestsNotifier(asio::io_context& io, std::uint64_t initialVersion)
    : impl_(std::make_shared<Impl>(io, initialVersion)) {}

TestsNotifier::~TestsNotifier() {
  std::lock_guard lock(impl_->mutex);
  impl_->waiters.clear();
}

std::uint64_t TestsNotifier::version() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->version;
}

std::size_t TestsNotifier::waiting() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->waiters.size();
}

void TestsNotifier::bump() {
  {
    std::lock_guard lock(impl_->mutex);
    ++impl_->version;
  }
  impl_->wakeAll();
}

void TestsNotifier::shutdown() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->shutDown = true;
  }
  impl_->wakeAll();
}

void TestsNotifier::wait(std::uint64_t since, std::chrono::milliseconds wait, std::function<void(std::uint64_t)> done) {
  auto w = std::make_shared<Waiter>(impl_->io);
  w->done = std::move(done);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->version == since && !impl_->shutDown && wait.count() > 0) {
      impl_->waiters.insert(w);
      // Posted under the lock, so it reaches the strand before any cancel a bump() posts.
      asio::post(w->timer.get_executor(), [w, wait, impl = impl_] {
        w->timer.expires_after(wait);
        w->timer.async_wait([w, impl](const boost::system::error_code&) { impl->complete(w); });
      });
      return;
    }
    since = impl_->version;
  }
  asio::post(impl_->io, [w, since] { w->done(since); });
}

}  // namespace streamswarm::server

#include "server/auth/login_throttle.hpp"

#include <algorithm>

namespace streamswarm::server {

std::optional<TimeNs> LoginThrottle::wait(const std::map<std::string, Record>& records, const std::string& key,
                                          TimeNs now) const {
  const auto it = records.find(key);
  if (it == records.end() || it->second.blockedUntil <= now) return std::nullopt;
  return it->second.blockedUntil - now;
}

std::optional<TimeNs> LoginThrottle::blockedFor(const std::string& username, const std::string& address, TimeNs now) {
  std::lock_guard lock(mutex_);
  const auto a = wait(accounts_, username, now);
  const auto b = wait(addresses_, address, now);
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

void LoginThrottle::fail(std::map<std::string, Record>& records, const std::string& key, TimeNs now) {
  if (records.size() >= limits_.maxTracked && !records.contains(key)) {
    // Forget the record whose window started longest ago.
    const auto oldest = std::min_element(records.begin(), records.end(), [](const auto& x, const auto& y) {
      return x.second.firstFailure < y.second.firstFailure;
    });
    records.erase(oldest);
  }
  auto& r = records[key];
  if (r.failures > 0 && now - r.firstFailure > limits_.window && r.blockedUntil <= now) r = Record{};
  if (r.failures == 0) r.firstFailure = now;
  ++r.failures;
  // The freeFailures-th failure already blocks: after that many, the next attempt waits.
  if (r.failures < limits_.freeFailures) return;
  const auto doublings = std::min<std::size_t>(r.failures - limits_.freeFailures, 30);
  const auto delay = std::min(limits_.maxDelay, limits_.firstDelay << doublings);
  r.blockedUntil = now + delay;
}

void LoginThrottle::failed(const std::string& username, const std::string& address, TimeNs now) {
  std::lock_guard lock(mutex_);
  fail(accounts_, username, now);
  fail(addresses_, address, now);
}

void LoginThrottle::succeeded(const std::string& username, const std::string& address) {
  std::lock_guard lock(mutex_);
  accounts_.erase(username);
  addresses_.erase(address);
}

}  // namespace streamswarm::server

// Slows password guessing: after `freeFailures` failed logins for one account, or from one
// address, within `window`, further attempts for it are refused (429) for a delay that doubles
// with each further failure, up to `maxDelay`. A success clears the account's and the address's
// record. Kept in memory: a restart forgets it, which costs an attacker a server restart.
#pragma once

#include "server/storage/records.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace streamswarm::server {

struct LoginThrottleLimits {
  std::size_t freeFailures = 5;
  TimeNs window = 15LL * 60 * 1'000'000'000;
  TimeNs firstDelay = 1'000'000'000;
  TimeNs maxDelay = 15LL * 60 * 1'000'000'000;
  std::size_t maxTracked = 100'000;  // entries; the oldest go first beyond this
};

class LoginThrottle {
 public:
  explicit LoginThrottle(LoginThrottleLimits limits = {}) : limits_(limits) {}

  // How long the caller must wait before trying again; none: go ahead.
  std::optional<TimeNs> blockedFor(const std::string& username, const std::string& address, TimeNs now);
  void failed(const std::string& username, const std::string& address, TimeNs now);
  void succeeded(const std::string& username, const std::string& address);

  const LoginThrottleLimits& limits() const { return limits_; }

 private:
  struct Record {
    std::size_t failures = 0;
    TimeNs firstFailure = 0;
    TimeNs blockedUntil = 0;
  };
  void fail(std::map<std::string, Record>& records, const std::string& key, TimeNs now);
  std::optional<TimeNs> wait(const std::map<std::string, Record>& records, const std::string& key, TimeNs now) const;

  LoginThrottleLimits limits_;
  std::mutex mutex_;
  std::map<std::string, Record> accounts_;
  std::map<std::string, Record> addresses_;
};

}  // namespace streamswarm::server

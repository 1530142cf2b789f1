// Dashboard sessions: created at sign-in, carried in an HttpOnly SameSite=Strict cookie holding
// "<id>.<secret>" (only the secret's hash is stored), ended at sign-out, after `idle` without a
// request, or `maxAge` after sign-in, whichever comes first.
#pragma once

#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

inline constexpr const char* kSessionCookie = "ss_session";

struct SessionLimits {
  TimeNs idle = 12LL * 3600 * 1'000'000'000;
  TimeNs maxAge = 7LL * 24 * 3600 * 1'000'000'000;
  // last_seen is written at most this often per session, not on every request.
  TimeNs touchEvery = 60LL * 1'000'000'000;
};

struct SignedIn {
  SessionRecord session;
  UserRecord user;
};

class Sessions {
 public:
  Sessions(Store& store, Clock clock, SessionLimits limits = {})
      : store_(store), clock_(std::move(clock)), limits_(limits) {}

  // Starts a session for `user` (deleting every expired one); returns it and the cookie value.
  std::pair<SessionRecord, std::string> start(const UserRecord& user);

  // The live session and its (enabled) user for a cookie value; none when unknown, expired, or
  // the user is gone or disabled.
  std::optional<SignedIn> resolve(std::string_view cookieValue);

  void end(const std::string& sessionId) { store_.deleteSession(sessionId); }

  // Set-Cookie values: the session cookie, and the one that clears it.
  std::string setCookie(const std::string& value, bool secure) const;
  static std::string clearCookie(bool secure);

  const SessionLimits& limits() const { return limits_; }

 private:
  Store& store_;
  Clock clock_;
  SessionLimits limits_;
};

}  // namespace streamswarm::server

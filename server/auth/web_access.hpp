// Access for the operator-facing API: a bearer API token (ssk_…, with the role it was created
// with) or a dashboard session cookie (the user's role). Requests that change state with a cookie
// must carry the session's CSRF token in X-CSRF-Token and, when the browser sends an Origin, come
// from this server's own origin.
#pragma once

#include "server/auth/access.hpp"
#include "server/auth/authenticator.hpp"
#include "server/auth/sessions.hpp"
#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

namespace streamswarm::server {

class WebAccess final : public Access {
 public:
  WebAccess(Store& store, Sessions& sessions, Clock clock)
      : sessions_(sessions), clock_(std::move(clock)), tokens_(store) {}

  Principal require(const ApiRequest& request, Role needed) override;

  // The signed-in session behind a request's cookie, without a role or CSRF check.
  std::optional<SignedIn> session(const ApiRequest& request);

 private:
  Principal fromToken(const ApiRequest& request);
  Principal fromSession(const ApiRequest& request);

  Sessions& sessions_;
  Clock clock_;
  Authenticator tokens_;
};

// True when `origin` ("http://host:port") names the host the request was sent to.
bool sameOrigin(const std::string& origin, const std::string& host, bool secure);

}  // namespace streamswarm::server

#include "server/auth/web_access.hpp"

#include "server/auth/secrets.hpp"
#include "server/http/api_error.hpp"

namespace streamswarm::server {

bool sameOrigin(const std::string& origin, const std::string& host, bool secure) {
  return !host.empty() && origin == std::string(secure ? "https://" : "http://") + host;
}

Principal WebAccess::fromToken(const ApiRequest& request) {
  const auto token = tokens_.admin(request.authorization, clock_());
  const auto role = roleFromName(token.role);
  if (!role) throw ApiError(401, "API token " + token.id + " has an unknown role '" + token.role + "'");
  return Principal{*role, "", token.name, ""};
}

std::optional<SignedIn> WebAccess::session(const ApiRequest& request) {
  const auto cookie = request.cookieValue(kSessionCookie);
  if (!cookie) return std::nullopt;
  return sessions_.resolve(*cookie);
}

Principal WebAccess::fromSession(const ApiRequest& request) {
  auto signedIn = session(request);
  if (!signedIn) throw ApiError(401, "not signed in, or the session has expired; sign in again");
  if (request.changesState()) {
    // SameSite=Strict already keeps the cookie off cross-site requests; these checks hold even
    // for a browser that ignores it.
    if (!request.origin.empty() && !sameOrigin(request.origin, request.host, request.secure))
      throw ApiError(403, "cross-origin request refused (Origin " + request.origin + ")");
    if (!constantTimeEqual(request.csrfToken, signedIn->session.csrfToken))
      throw ApiError(403, "missing or wrong CSRF token (send the session's csrf_token in X-CSRF-Token)");
  }
  const auto role = roleFromName(signedIn->user.role);
  if (!role) throw ApiError(401, "user " + signedIn->user.username + " has an unknown role");
  return Principal{*role, signedIn->user.id, signedIn->user.username, signedIn->session.id};
}

Principal WebAccess::require(const ApiRequest& request, Role needed) {
  auto p = request.authorization.empty() ? fromSession(request) : fromToken(request);
  if (p.role < needed)
    throw ApiError(403,
                   std::string("this needs the ") + roleName(needed) + " role; " + p.name + " is " + roleName(p.role));
  return p;
}

}  // namespace streamswarm::server

#include "server/auth/sessions.hpp"

#include "server/auth/secrets.hpp"

namespace streamswarm::server {
namespace {

constexpr std::size_t kSessionIdBytes = 12;

std::string cookieAttributes(bool secure) {
  return std::string("; Path=/; HttpOnly; SameSite=Strict") + (secure ? "; Secure" : "");
}

}  // namespace

std::pair<SessionRecord, std::string> Sessions::start(const UserRecord& user) {
  const auto now = clock_();
  // Sessions whose browser never comes back are only found here: without this their rows would
  // stay forever. A sign-in already costs an argon2id hash, so the scan is cheap beside it.
  store_.deleteExpiredSessions(now, limits_.idle);
  const auto secret = randomHex(kSecretBytes);
  SessionRecord s;
  s.id = randomHex(kSessionIdBytes);
  s.secretHash = sha256Hex(secret);
  s.userId = user.id;
  s.csrfToken = randomHex(kSecretBytes);
  s.createdAt = now;
  s.lastSeen = now;
  s.expiresAt = now + limits_.maxAge;
  store_.createSession(s);
  return {s, s.id + "." + secret};
}

std::optional<SignedIn> Sessions::resolve(std::string_view cookieValue) {
  const auto dot = cookieValue.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string id(cookieValue.substr(0, dot));
  auto session = store_.findSession(id);
  if (!session || !constantTimeEqual(session->secretHash, sha256Hex(cookieValue.substr(dot + 1)))) return std::nullopt;
  const auto now = clock_();
  if (session->expiresAt <= now || session->lastSeen + limits_.idle <= now) {
    store_.deleteSession(id);
    return std::nullopt;
  }
  auto user = store_.findUser(session->userId);
  if (!user || user->disabled) return std::nullopt;
  if (now - session->lastSeen >= limits_.touchEvery) {
    store_.touchSession(id, now);
    session->lastSeen = now;
  }
  return SignedIn{std::move(*session), std::move(*user)};
}

std::string Sessions::setCookie(const std::string& value, bool secure) const {
  return std::string(kSessionCookie) + "=" + value + cookieAttributes(secure) +
         "; Max-Age=" + std::to_string(limits_.maxAge / 1'000'000'000);
}

std::string Sessions::clearCookie(bool secure) {
  return std::string(kSessionCookie) + "=" + cookieAttributes(secure) + "; Max-Age=0";
}

}  // namespace streamswarm::server

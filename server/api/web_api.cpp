#include "server/api/web_api.hpp"

#include "server/api/json_body.hpp"
#include "server/api/record_json.hpp"
#include "server/api/rfc3339.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/auth/secrets.hpp"
#include "server/auth/token_issuer.hpp"

#include <core/plugin_schema.hpp>

#include <boost/json/parse.hpp>

#include <charconv>
#include <map>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

constexpr std::size_t kUserIdBytes = 6;

// Verified against when the user name is unknown, so a wrong name costs as long as a wrong
// password and the timing does not tell which names exist.
const std::string& decoyHash() {
  static const std::string hash = hashPassword(randomPassword());
  return hash;
}

ApiResponse noContent() {
  ApiResponse r;
  r.status = 204;
  r.contentType.clear();
  return r;
}

json::object userJson(const UserRecord& u) {
  return json::object{{"id", u.id},
                      {"username", u.username},
                      {"role", u.role},
                      {"created_at", formatRfc3339(u.createdAt)},
                      {"password_changed_at", formatRfc3339(u.passwordChangedAt)},
                      {"disabled", u.disabled}};
}

json::object sessionJson(const UserRecord& u, const SessionRecord& s) {
  return json::object{{"user", json::object{{"id", u.id}, {"username", u.username}, {"role", u.role}}},
                      {"csrf_token", s.csrfToken},
                      {"expires_at", formatRfc3339(s.expiresAt)}};
}

std::string requireRole(const json::object& body, std::string_view key) {
  const auto role = requireString(body, key);
  if (!roleFromName(role)) throw ApiError(400, "field '" + std::string(key) + "' must be viewer, operator or admin");
  return role;
}

std::string requirePassword(const json::object& body, std::string_view key) {
  const auto password = requireString(body, key);
  if (const auto problem = passwordProblem(password))
    throw ApiError(400, "field '" + std::string(key) + "': " + *problem);
  return password;
}

// "1.10.0" is newer than "1.9.2": dotted versions compare part by part, as numbers where both
// parts are numbers and as text otherwise.
bool olderVersion(std::string_view a, std::string_view b) {
  const auto take = [](std::string_view& rest) {
    const auto dot = rest.find('.');
    const auto part = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    return part;
  };
  const auto number = [](std::string_view part) -> std::optional<std::uint64_t> {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
    return n;
  };
  while (!a.empty() || !b.empty()) {
    const auto x = take(a);
    const auto y = take(b);
    const auto nx = number(x);
    const auto ny = number(y);
    if (nx && ny) {
      if (*nx != *ny) return *nx < *ny;
    } else if (x != y) {
      return x < y;
    }
  }
  return false;
}

void requireJsonContent(const ApiRequest& request) {
  // A cross-site HTML form cannot send application/json without a CORS preflight we never grant.
  if (!request.contentType.starts_with("application/json"))
    throw ApiError(415, "Content-Type must be application/json");
}

}  // namespace

std::string validUsername(const std::string& name) {
  if (name.empty() || name.size() > kMaxUsernameBytes)
    throw ApiError(400, "field 'username' must have 1 to " + std::to_string(kMaxUsernameBytes) + " bytes");
  for (const unsigned char c : name)
    if (c < 0x20 || c == 0x7f) throw ApiError(400, "field 'username' must not contain control characters");
  if (name.front() == ' ' || name.back() == ' ')
    throw ApiError(400, "field 'username' must not start or end with a space");
  return name;
}

UserRecord newUserRecord(const std::string& username, std::string_view password, const std::string& role, TimeNs now) {
  return UserRecord{"u-" + randomHex(kUserIdBytes), username, hashPassword(password), role, now, now, false};
}

WebApi::WebApi(Store& store, WebAccess& access, Sessions& sessions, LoginThrottle& throttle, Clock clock,
               ServerSettings settings)
    : store_(store),
      access_(access),
      sessions_(sessions),
      throttle_(throttle),
      clock_(std::move(clock)),
      settings_(std::move(settings)) {}

void WebApi::addRoutes(Router& router) {
  auto add = [&](const char* method, const char* pattern, std::optional<Role> needed,
                 ApiResponse (WebApi::*handler)(const ApiRequest&)) {
    router.add(method, pattern, [this, handler, needed](const ApiRequest& r) {
      if (needed) access_.require(r, *needed);
      return (this->*handler)(r);
    });
  };
  // The session routes check what they need themselves (signing in needs no session).
  add("POST", "/api/v1/session", std::nullopt, &WebApi::signIn);
  add("GET", "/api/v1/session", std::nullopt, &WebApi::currentSession);
  add("DELETE", "/api/v1/session", std::nullopt, &WebApi::signOut);
  add("POST", "/api/v1/session/password", std::nullopt, &WebApi::changePassword);
  add("GET", "/api/v1/users", Role::kAdmin, &WebApi::listUsers);
  add("POST", "/api/v1/users", Role::kAdmin, &WebApi::createUser);
  // These two need the caller (not only its role), so they call Access themselves.
  add("PATCH", "/api/v1/users/{id}", std::nullopt, &WebApi::updateUser);
  add("DELETE", "/api/v1/users/{id}", std::nullopt, &WebApi::deleteUser);
  add("GET", "/api/v1/api-tokens", Role::kAdmin, &WebApi::listApiTokens);
  add("POST", "/api/v1/api-tokens", Role::kAdmin, &WebApi::createApiToken);
  add("DELETE", "/api/v1/api-tokens/{id}", Role::kAdmin, &WebApi::revokeApiToken);
  add("GET", "/api/v1/settings", Role::kAdmin, &WebApi::settings);
  add("GET", "/api/v1/plugins", Role::kViewer, &WebApi::plugins);
}

// ---- Session ----

ApiResponse WebApi::signIn(const ApiRequest& request) {
  requireJsonContent(request);
  if (!request.origin.empty() && !sameOrigin(request.origin, request.host, request.secure))
    throw ApiError(403, "cross-origin sign-in refused (Origin " + request.origin + ")");
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"username", "password"});
  const auto username = requireString(body, "username");
  const auto password = requireString(body, "password");
  const auto now = clock_();
  if (const auto wait = throttle_.blockedFor(username, request.remoteAddress, now)) {
    const auto seconds = (*wait + 999'999'999) / 1'000'000'000;
    auto r = errorResponse(429, "too many failed sign-ins; try again in " + std::to_string(seconds) + " s",
                           json::object{{"retry_after_s", seconds}});
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return r;
  }
  const auto user = store_.findUserByName(username);
  const bool passwordOk = verifyPassword(user ? user->passwordHash : decoyHash(), password);
  if (!user || !passwordOk || user->disabled) {
    throttle_.failed(username, request.remoteAddress, now);
    throw ApiError(401, "wrong user name or password");
  }
  throttle_.succeeded(username, request.remoteAddress);
  const auto [session, cookie] = sessions_.start(*user);
  auto r = jsonResponse(200, sessionJson(*user, session));
  r.headers.emplace_back("Set-Cookie", sessions_.setCookie(cookie, request.secure));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse WebApi::currentSession(const ApiRequest& request) {
  const auto signedIn = access_.session(request);
  if (!signedIn) throw ApiError(401, "not signed in, or the session has expired; sign in again");
  auto r = jsonResponse(200, sessionJson(signedIn->user, signedIn->session));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse WebApi::signOut(const ApiRequest& request) {
  const auto p = access_.require(request, Role::kViewer);
  if (p.sessionId.empty()) throw ApiError(400, "an API token has no session to end");
  sessions_.end(p.sessionId);
  auto r = noContent();
  r.headers.emplace_back("Set-Cookie", Sessions::clearCookie(request.secure));
  return r;
}

ApiResponse WebApi::changePassword(const ApiRequest& request) {
  const auto p = access_.require(request, Role::kViewer);
  if (p.sessionId.empty()) throw ApiError(400, "sign in to change your password; API tokens have none");
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"current_password", "new_password"});
  const auto current = requireString(body, "current_password");
  const auto next = requirePassword(body, "new_password");
  auto user = requireUser(p.userId);
  if (!verifyPassword(user.passwordHash, current)) throw ApiError(403, "field 'current_password' is wrong");
  user.passwordHash = hashPassword(next);
  user.passwordChangedAt = clock_();
  store_.updateUser(user);
  store_.deleteUserSessions(user.id, p.sessionId);  // other browsers must sign in again
  return noContent();
}

// ---- Users ----

UserRecord WebApi::requireUser(const std::string& id) {
  auto user = store_.findUser(id);
  if (!user) throw ApiError(404, "unknown user " + id);
  return std::move(*user);
}

void WebApi::keepAnAdmin(const UserRecord& before, const std::optional<UserRecord>& after) {
  const auto isActiveAdmin = [](const UserRecord& u) { return u.role == "admin" && !u.disabled; };
  if (!isActiveAdmin(before) || (after && isActiveAdmin(*after))) return;
  for (const auto& u : store_.listUsers())
    if (u.id != before.id && isActiveAdmin(u)) return;
  throw ApiError(409, "user " + before.username + " is the last enabled admin");
}

ApiResponse WebApi::listUsers(const ApiRequest&) {
  json::array users;
  for (const auto& u : store_.listUsers()) users.push_back(userJson(u));
  return jsonResponse(200, json::object{{"users", std::move(users)}});
}

ApiResponse WebApi::createUser(const ApiRequest& request) {
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"username", "password", "role"});
  const auto username = validUsername(requireString(body, "username"));
  const auto password = requirePassword(body, "password");
  const auto role = requireRole(body, "role");
  const auto user = newUserRecord(username, password, role, clock_());
  if (!store_.createUser(user)) throw ApiError(409, "user name '" + username + "' is taken");
  return jsonResponse(201, userJson(user));
}

ApiResponse WebApi::updateUser(const ApiRequest& request) {
  const auto p = access_.require(request, Role::kAdmin);
  const auto before = requireUser(request.pathParams.at(0));
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"role", "disabled", "password"});
  auto after = before;
  if (body.contains("role")) after.role = requireRole(body, "role");
  if (const auto disabled = optionalBool(body, "disabled")) after.disabled = *disabled;
  const bool newPassword = body.contains("password");
  if (newPassword) {
    after.passwordHash = hashPassword(requirePassword(body, "password"));
    after.passwordChangedAt = clock_();
  }
  if (after.id == p.userId && after.disabled) throw ApiError(409, "you cannot disable yourself");
  keepAnAdmin(before, after);
  if (!store_.updateUser(after)) throw ApiError(404, "unknown user " + after.id);
  // A disabled user, a reset password or a changed role: their browsers sign in again.
  if (after.disabled || newPassword || after.role != before.role)
    store_.deleteUserSessions(after.id, after.id == p.userId ? p.sessionId : std::string());
  return jsonResponse(200, userJson(after));
}

ApiResponse WebApi::deleteUser(const ApiRequest& request) {
  const auto p = access_.require(request, Role::kAdmin);
  const auto user = requireUser(request.pathParams.at(0));
  if (user.id == p.userId) throw ApiError(409, "you cannot delete yourself");
  keepAnAdmin(user, std::nullopt);
  if (!store_.deleteUser(user.id)) throw ApiError(404, "unknown user " + user.id);
  return noContent();
}

// ---- API tokens ----

ApiResponse WebApi::listApiTokens(const ApiRequest&) {
  json::array tokens;
  for (const auto& t : store_.listTokens(TokenKind::kAdmin)) tokens.push_back(tokenJson(t));
  return jsonResponse(200, json::object{{"tokens", std::move(tokens)}});
}

ApiResponse WebApi::createApiToken(const ApiRequest& request) {
  const auto body = request.body.empty() ? json::object() : parseJsonObject(request.body);
  rejectUnknownFields(body, {"name", "role", "ttl_s"});
  const auto name = optionalString(body, "name").value_or("");
  const auto role = requireRole(body, "role");
  std::optional<TimeNs> ttl;
  if (const auto ttlS = optionalNumber(body, "ttl_s")) {
    if (!(*ttlS > 0) || *ttlS > 10.0 * 365 * 86400)
      throw ApiError(400, "field 'ttl_s' must be a positive number of seconds (at most ten years)");
    ttl = nsFromSeconds(*ttlS);
  }
  auto issued = issueToken(TokenKind::kAdmin, name, ttl, std::nullopt, clock_());
  issued.record.role = role;
  store_.createToken(issued.record);
  auto out = tokenJson(issued.record);
  out["token"] = issued.token;
  return jsonResponse(201, out);
}

ApiResponse WebApi::revokeApiToken(const ApiRequest& request) {
  const auto& id = request.pathParams.at(0);
  const auto token = store_.findToken(id);
  if (!token || token->kind != TokenKind::kAdmin) throw ApiError(404, "unknown API token " + id);
  store_.revokeToken(id);
  return noContent();
}

// ---- Settings and plugins ----

ApiResponse WebApi::settings(const ApiRequest&) {
  const auto& limits = sessions_.limits();
  const auto& login = throttle_.limits();
  return jsonResponse(200, json::object{{"version", settings_.version},
                                        {"database", settings_.database},
                                        {"tls", settings_.tls},
                                        {"offline_after_s", secondsFromNs(settings_.offlineAfter)},
                                        {"session_idle_s", secondsFromNs(limits.idle)},
                                        {"session_max_s", secondsFromNs(limits.maxAge)},
                                        {"login_max_failures", login.freeFailures},
                                        {"login_window_s", secondsFromNs(login.window)}});
}

ApiResponse WebApi::plugins(const ApiRequest&) {
  // One entry per plugin name: the schema of the newest version any live agent reported, and
  // every agent that has it.
  struct Entry {
    json::object schema;
    json::array agents;
  };
  std::map<std::string, Entry> byName;
  for (const auto& agent : store_.listAgents()) {
    if (agent.revoked) continue;
    json::error_code ec;
    const auto reported = json::parse(agent.pluginsJson, ec);
    if (ec || !reported.is_array()) continue;
    for (const auto& p : reported.get_array()) {
      const auto* o = p.if_object();
      if (!o || !o->contains("name") || !o->at("name").is_string()) continue;
      const std::string name(o->at("name").get_string());
      auto& entry = byName[name];
      const auto version = [](const json::object& s) {
        const auto* v = s.if_contains("version");
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
      };
      if (entry.schema.empty() || olderVersion(version(entry.schema), version(*o))) entry.schema = *o;
      entry.agents.push_back(json::value(agent.id));
    }
  }
  json::array plugins;
  for (auto& [name, entry] : byName) {
    entry.schema["agents"] = std::move(entry.agents);
    plugins.push_back(std::move(entry.schema));
  }
  return jsonResponse(200, json::object{{"plugins", std::move(plugins)}});
}

}  // namespace streamswarm::server

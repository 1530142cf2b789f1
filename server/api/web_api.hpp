// The dashboard's own API: signing in and out, the password of the signed-in user, users and API
// tokens (admin), the server's settings (admin) and the plugins the agents report (for the test
// form). Tests, results and agents are in AdminApi.
#pragma once

#include "server/auth/login_throttle.hpp"
#include "server/auth/sessions.hpp"
#include "server/auth/web_access.hpp"
#include "server/http/router.hpp"
#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

#include <string>

namespace streamswarm::server {

// What the settings page shows: how this server was started.
struct ServerSettings {
  std::string version;
  std::string database;
  bool tls = false;
  TimeNs offlineAfter = 0;
};

inline constexpr std::size_t kMaxUsernameBytes = 64;

class WebApi {
 public:
  WebApi(Store& store, WebAccess& access, Sessions& sessions, LoginThrottle& throttle, Clock clock,
         ServerSettings settings);

  void addRoutes(Router& router);

  ApiResponse signIn(const ApiRequest& request);
  ApiResponse currentSession(const ApiRequest& request);
  ApiResponse signOut(const ApiRequest& request);
  ApiResponse changePassword(const ApiRequest& request);
  ApiResponse listUsers(const ApiRequest& request);
  ApiResponse createUser(const ApiRequest& request);
  ApiResponse updateUser(const ApiRequest& request);
  ApiResponse deleteUser(const ApiRequest& request);
  ApiResponse listApiTokens(const ApiRequest& request);
  ApiResponse createApiToken(const ApiRequest& request);
  ApiResponse revokeApiToken(const ApiRequest& request);
  ApiResponse settings(const ApiRequest& request);
  ApiResponse plugins(const ApiRequest& request);

 private:
  UserRecord requireUser(const std::string& id);
  // 409 when the change would leave no enabled admin.
  void keepAnAdmin(const UserRecord& before, const std::optional<UserRecord>& after);

  Store& store_;
  WebAccess& access_;
  Sessions& sessions_;
  LoginThrottle& throttle_;
  Clock clock_;
  ServerSettings settings_;
};

// Checks a new user name: 400 naming the problem.
std::string validUsername(const std::string& name);

// A new, enabled user record with a fresh id and `password` hashed.
UserRecord newUserRecord(const std::string& username, std::string_view password, const std::string& role, TimeNs now);

}  // namespace streamswarm::server

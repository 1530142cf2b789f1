// Who may call the operator-facing API (the dashboard's and scripts'): every route names the least
// role it needs, and Access decides from the request's credential — a dashboard session cookie or
// a bearer API token — whether the caller has it.
#pragma once

#include "server/http/api_message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

// Ordered: each role may do everything the ones below it may.
enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };

const char* roleName(Role role);
std::optional<Role> roleFromName(std::string_view name);

struct Principal {
  Role role = Role::kViewer;
  std::string userId;     // the dashboard user, or empty for an API token without one
  std::string name;       // user name or token name, for logs and the UI
  std::string sessionId;  // set when the credential is a session cookie
};

class Access {
 public:
  virtual ~Access() = default;

  // The caller, when it may do what needs `needed`. Throws ApiError: 401 without a valid session
  // or token; 403 when its role is below `needed`, or when a state-changing request made with a
  // session cookie lacks its CSRF token.
  virtual Principal require(const ApiRequest& request, Role needed) = 0;
};

}  // namespace streamswarm::server

// Requests as the HTTP layer hands them to the router, for handler tests without sockets.
#pragma once

#include "server/http/api_message.hpp"

#include <string>

namespace streamswarm::server::testing {

// `target` is "/path?query"; `bearer`, when given, goes in the Authorization header.
inline ApiRequest apiRequest(const std::string& method, const std::string& target, const std::string& body = {},
                             const std::string& bearer = {}) {
  ApiRequest req;
  req.method = method;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.body = body;
  if (!bearer.empty()) req.authorization = "Bearer " + bearer;
  return req;
}

}  // namespace streamswarm::server::testing

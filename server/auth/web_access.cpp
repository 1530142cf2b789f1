#include "server/auth/web_access.hpp"

#include "server/http/api_error.hpp"

namespace streamswarm::server {

Principal WebAccess::require(const ApiRequest& request, Role needed) {
  if (request.authorization.empty()) throw ApiError(401, "sign in, or send an API token in the Authorization header");
  const auto token = tokens_.admin(request.authorization, clock_());
  Principal p;
  p.role = Role::kAdmin;
  p.name = token.name;
  if (p.role < needed)
    throw ApiError(403, std::string("this needs the ") + roleName(needed) + " role; the caller is " + roleName(p.role));
  return p;
}

}  // namespace streamswarm::server

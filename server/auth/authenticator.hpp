// Who is calling: checks the bearer credential of a request against the stored hashes. Failures
// throw ApiError: 401 for a missing, malformed, unknown, revoked or wrong credential, 403 for a
// valid credential used where it has no business.
#pragma once

#include "server/storage/store.hpp"

#include <string>
#include <string_view>

namespace streamswarm::server {

class Authenticator {
 public:
  explicit Authenticator(Store& store) : store_(store) {}

  // The admin token's record; agent credentials get 403.
  TokenRecord admin(std::string_view authorization, TimeNs now);

  // The calling agent, which must be `agentId` (403 otherwise); admin tokens get 403.
  AgentRecord agent(std::string_view authorization, std::string_view agentId);

  // Checks an enrollment token (from a request body) and takes one use of it.
  TokenRecord consumeEnrollment(std::string_view token, TimeNs now);

 private:
  AgentRecord verifiedAgent(const std::string& id, std::string_view secret);
  Store& store_;
};

}  // namespace streamswarm::server

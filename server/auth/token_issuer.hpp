// Makes new credentials: the record to store (with the secret's hash only) and the text to show
// once. Shared by the admin API and the server's CLI.
#pragma once

#include "server/storage/records.hpp"

#include <optional>
#include <string>

namespace streamswarm::server {

struct IssuedToken {
  TokenRecord record;
  std::string token;  // "sse_<id>_<secret>" / "ssk_<id>_<secret>": shown once, never stored
};

IssuedToken issueToken(TokenKind kind, std::string name, std::optional<TimeNs> ttlNs, std::optional<std::int64_t> uses,
                       TimeNs now);

struct IssuedAgentCredential {
  std::string agentId;
  std::string credentialHash;
  std::string credential;  // "ssa_<agent id>_<secret>"
};

IssuedAgentCredential issueAgentCredential();

}  // namespace streamswarm::server

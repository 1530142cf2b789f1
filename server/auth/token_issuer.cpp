#include "server/auth/token_issuer.hpp"

#include "server/auth/credential_format.hpp"
#include "server/auth/secrets.hpp"

namespace streamswarm::server {

IssuedToken issueToken(TokenKind kind, std::string name, std::optional<TimeNs> ttlNs, std::optional<std::int64_t> uses,
                       TimeNs now) {
  IssuedToken out;
  const auto secret = newSecret();
  out.record.id = newTokenId();
  out.record.kind = kind;
  out.record.secretHash = sha256Hex(secret);
  out.record.name = std::move(name);
  out.record.createdAt = now;
  if (ttlNs) out.record.expiresAt = now + *ttlNs;
  out.record.usesLeft = uses;
  out.token = formatCredential(kind == TokenKind::kAdmin ? CredentialKind::kAdmin : CredentialKind::kEnrollment,
                               out.record.id, secret);
  return out;
}

IssuedAgentCredential issueAgentCredential() {
  IssuedAgentCredential out;
  const auto secret = newSecret();
  out.agentId = newAgentId();
  out.credentialHash = sha256Hex(secret);
  out.credential = formatCredential(CredentialKind::kAgent, out.agentId, secret);
  return out;
}

}  // namespace streamswarm::server

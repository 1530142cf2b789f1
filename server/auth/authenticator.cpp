#include "server/auth/authenticator.hpp"

#include "server/auth/credential_format.hpp"
#include "server/auth/secrets.hpp"
#include "server/http/api_error.hpp"

namespace streamswarm::server {
namespace {

constexpr const char* kMalformed = "missing or malformed Authorization header";

Credential bearerCredential(std::string_view authorization) {
  const auto token = parseBearer(authorization);
  if (!token) throw ApiError(401, kMalformed);
  auto credential = parseCredential(*token);
  if (!credential) throw ApiError(401, "the bearer token is not a StreamSwarm credential (sse_/ssk_/ssa_…)");
  return std::move(*credential);
}

}  // namespace

AgentRecord Authenticator::verifiedAgent(const std::string& id, std::string_view secret) {
  auto agent = store_.findAgent(id);
  if (!agent || !constantTimeEqual(agent->credentialHash, sha256Hex(secret)))
    throw ApiError(401, "unknown agent credential");
  if (agent->revoked) throw ApiError(401, "agent " + id + " has been revoked");
  return std::move(*agent);
}

TokenRecord Authenticator::admin(std::string_view authorization, TimeNs now) {
  const auto credential = bearerCredential(authorization);
  if (credential.kind == CredentialKind::kAgent) {
    verifiedAgent(credential.id, credential.secret);
    throw ApiError(403, "agent credentials cannot use the admin API");
  }
  if (credential.kind != CredentialKind::kAdmin)
    throw ApiError(401, "enrollment tokens cannot use the admin API; use an admin token (ssk_…)");
  auto token = store_.findToken(credential.id);
  if (!token || token->kind != TokenKind::kAdmin || !constantTimeEqual(token->secretHash, sha256Hex(credential.secret)))
    throw ApiError(401, "unknown admin token");
  if (token->revoked) throw ApiError(401, "admin token " + token->id + " has been revoked");
  if (token->expiresAt && *token->expiresAt <= now) throw ApiError(401, "admin token " + token->id + " has expired");
  return std::move(*token);
}

AgentRecord Authenticator::agent(std::string_view authorization, std::string_view agentId) {
  const auto credential = bearerCredential(authorization);
  if (credential.kind == CredentialKind::kAdmin) throw ApiError(403, "admin tokens cannot act as an agent");
  if (credential.kind != CredentialKind::kAgent)
    throw ApiError(401, "enrollment tokens are only accepted by POST /api/v1/enroll");
  auto agent = verifiedAgent(credential.id, credential.secret);
  if (agent.id != agentId) throw ApiError(403, "agent " + agent.id + " may only act as itself");
  return agent;
}

TokenRecord Authenticator::consumeEnrollment(std::string_view text, TimeNs now) {
  const auto credential = parseCredential(text);
  if (!credential || credential->kind != CredentialKind::kEnrollment)
    throw ApiError(401, "field 'token' is not an enrollment token (sse_…)");
  auto token = store_.findToken(credential->id);
  if (!token || token->kind != TokenKind::kEnrollment ||
      !constantTimeEqual(token->secretHash, sha256Hex(credential->secret)))
    throw ApiError(401, "unknown enrollment token");
  if (!store_.consumeEnrollmentToken(token->id, now))
    throw ApiError(401, "enrollment token " + token->id + " is revoked, expired or used up");
  return std::move(*token);
}

}  // namespace streamswarm::server

// The textual forms of every credential and id the server hands out, and their parsing. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

enum class CredentialKind { kEnrollment, kAdmin, kAgent };

// "sse_<id>_<secret>" (enrollment token), "ssk_<id>_<secret>" (admin API token),
// "ssa_<agent id>_<secret>" (agent credential). The id is public and names the stored record; only
// a hash of the secret is stored.
struct Credential {
  CredentialKind kind = CredentialKind::kEnrollment;
  std::string id;
  std::string secret;
};

std::string formatCredential(CredentialKind kind, std::string_view id, std::string_view secret);

// None when the text is not one of the three forms (wrong prefix, id or secret not as generated).
std::optional<Credential> parseCredential(std::string_view text);

// The token of an "Authorization: Bearer <token>" header value; none when missing or malformed.
std::optional<std::string_view> parseBearer(std::string_view header);

// New random ids: token ids are 12 hex chars, agent ids "ag-" + 12 hex, test ids "t-" + 12 hex.
std::string newTokenId();
std::string newAgentId();
std::string newTestId();
std::string newSecret();  // kSecretBytes as hex

bool isAgentId(std::string_view id);

}  // namespace streamswarm::server

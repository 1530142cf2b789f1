#include "server/auth/credential_format.hpp"

#include "server/auth/secrets.hpp"

#include <algorithm>

namespace streamswarm::server {
namespace {

constexpr std::string_view kAgentIdPrefix = "ag-";
constexpr std::size_t kIdHexChars = 2 * kIdBytes;
constexpr std::size_t kSecretHexChars = 2 * kSecretBytes;

bool isLowerHex(std::string_view s, std::size_t size) {
  return s.size() == size &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string_view prefixOf(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kEnrollment: return "sse_";
    case CredentialKind::kAdmin: return "ssk_";
    case CredentialKind::kAgent: return "ssa_";
  }
  return "";
}

}  // namespace

bool isAgentId(std::string_view id) {
  return id.starts_with(kAgentIdPrefix) && isLowerHex(id.substr(kAgentIdPrefix.size()), kIdHexChars);
}

std::string formatCredential(CredentialKind kind, std::string_view id, std::string_view secret) {
  std::string out(prefixOf(kind));
  out.append(id).append("_").append(secret);
  return out;
}

std::optional<Credential> parseCredential(std::string_view text) {
  for (const auto kind : {CredentialKind::kEnrollment, CredentialKind::kAdmin, CredentialKind::kAgent}) {
    const auto prefix = prefixOf(kind);
    if (!text.starts_with(prefix)) continue;
    const auto rest = text.substr(prefix.size());
    const auto split = rest.rfind('_');
    if (split == std::string_view::npos) return std::nullopt;
    const auto id = rest.substr(0, split);
    const auto secret = rest.substr(split + 1);
    const bool idOk = kind == CredentialKind::kAgent ? isAgentId(id) : isLowerHex(id, kIdHexChars);
    if (!idOk || !isLowerHex(secret, kSecretHexChars)) return std::nullopt;
    return Credential{kind, std::string(id), std::string(secret)};
  }
  return std::nullopt;
}

std::optional<std::string_view> parseBearer(std::string_view header) {
  // RFC 7235: the scheme is case-insensitive; one or more spaces separate it from the token.
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (static_cast<char>(header[i] | 0x20) != kScheme[i]) return std::nullopt;
  auto token = header.substr(kScheme.size());
  if (token.front() != ' ') return std::nullopt;
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty() || token.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return token;
}

std::string newTokenId() {
  return randomHex(kIdBytes);
}
std::string newAgentId() {
  return std::string(kAgentIdPrefix) + randomHex(kIdBytes);
}
std::string newTestId() {
  return "t-" + randomHex(kIdBytes);
}
std::string newSecret() {
  return randomHex(kSecretBytes);
}

}  // namespace streamswarm::server

// Dashboard passwords: argon2id (libsodium's crypto_pwhash_str, which stores algorithm, salt and
// cost in the string), so a stolen database does not give the passwords away cheaply. Each hash
// takes `memoryBytes` of memory, so only a few run at once: a flood of logins queues instead of
// exhausting the server's memory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 1024;
inline constexpr std::size_t kMaxConcurrentPasswordHashes = 2;

struct PasswordCost {
  unsigned long long opsLimit;
  std::size_t memoryBytes;
};
// libsodium's "interactive" argon2id limits: 2 passes over 64 MiB.
PasswordCost interactivePasswordCost();

// Why `password` is not acceptable as a new password; none when it is.
std::optional<std::string> passwordProblem(std::string_view password);

std::string hashPassword(std::string_view password, PasswordCost cost = interactivePasswordCost());
bool verifyPassword(const std::string& hash, std::string_view password);

// A random password for first start and resets: 20 characters from an unambiguous alphabet
// (~100 bits).
std::string randomPassword();

}  // namespace streamswarm::server

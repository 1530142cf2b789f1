// Secret handling shared by every credential kind: random generation, hashing for storage and a
// comparison whose time does not depend on where two hashes first differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace streamswarm::server {

// Bytes of randomness in every secret (tokens, agent credentials): 256 bits, hex-encoded.
inline constexpr std::size_t kSecretBytes = 32;
// Bytes of randomness in public ids (token ids, agent ids, test ids): 12 hex characters.
inline constexpr std::size_t kIdBytes = 6;

// `bytes` bytes from OpenSSL's CSPRNG, as lower-case hex. Throws std::runtime_error if the
// generator fails (it only does when the system has no entropy source at all).
std::string randomHex(std::size_t bytes);

// Lower-case hex SHA-256. High-entropy secrets need no slow password hash: guessing one from its
// hash is as hard as guessing the secret itself.
std::string sha256Hex(std::string_view data);

// Constant-time equality (CRYPTO_memcmp); unequal lengths are unequal at once, which leaks only
// the length of a hash that has a fixed length anyway.
bool constantTimeEqual(std::string_view a, std::string_view b);

// A uniformly random 64-bit value from the same generator.
std::uint64_t randomU64();

}  // namespace streamswarm::server

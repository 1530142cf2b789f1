#include "server/auth/password_hasher.hpp"

#include "server/auth/secrets.hpp"

#include <sodium.h>

#include <mutex>
#include <semaphore>
#include <stdexcept>

namespace streamswarm::server {
namespace {

std::counting_semaphore<kMaxConcurrentPasswordHashes>& hashSlots() {
  static std::counting_semaphore<kMaxConcurrentPasswordHashes> slots(kMaxConcurrentPasswordHashes);
  return slots;
}

void initSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

class HashSlot {
 public:
  HashSlot() { hashSlots().acquire(); }
  ~HashSlot() { hashSlots().release(); }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
};

}  // namespace

PasswordCost interactivePasswordCost() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

std::optional<std::string> passwordProblem(std::string_view password) {
  if (password.size() < kMinPasswordLength)
    return "the password must have at least " + std::to_string(kMinPasswordLength) + " characters";
  if (password.size() > kMaxPasswordLength)
    return "the password must have at most " + std::to_string(kMaxPasswordLength) + " characters";
  return std::nullopt;
}

std::string hashPassword(std::string_view password, PasswordCost cost) {
  initSodium();
  char out[crypto_pwhash_STRBYTES];
  HashSlot slot;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opsLimit, cost.memoryBytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verifyPassword(const std::string& hash, std::string_view password) {
  initSodium();
  HashSlot slot;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string randomPassword() {
  static constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  constexpr std::size_t kLength = 20;
  std::string out;
  out.reserve(kLength);
  while (out.size() < kLength) {
    // Rejection sampling: no modulo bias.
    const auto v = randomU64();
    const auto limit = UINT64_MAX - UINT64_MAX % kAlphabet.size();
    if (v >= limit) continue;
    out += kAlphabet[v % kAlphabet.size()];
  }
  return out;
}

}  // namespace streamswarm::server

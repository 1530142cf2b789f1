#include "server/auth/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

namespace streamswarm::server {
namespace {

std::string toHex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

void randomBytes(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("OpenSSL RAND_bytes failed");
}

}  // namespace

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  randomBytes(buffer.data(), buffer.size());
  return toHex(buffer.data(), buffer.size());
}

std::uint64_t randomU64() {
  std::array<unsigned char, sizeof(std::uint64_t)> buffer{};
  randomBytes(buffer.data(), buffer.size());
  std::uint64_t value = 0;
  std::memcpy(&value, buffer.data(), sizeof value);
  return value;
}

std::string sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL EVP_Digest(SHA-256) failed");
  return toHex(digest.data(), size);
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace streamswarm::server

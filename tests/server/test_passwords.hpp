// Users for tests of the dashboard's auth: argon2id at the least cost libsodium allows, so a test
// can make many users and sign them in quickly. The tests check behaviour, not cost; the real
// cost is checked where hashPassword is called with its default.
#pragma once

#include "server/auth/password_hasher.hpp"
#include "server/storage/records.hpp"

#include <sodium.h>

#include <string>

namespace streamswarm::server::testing {

inline PasswordCost cheapPasswordCost() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

inline UserRecord cheapUser(const std::string& id, const std::string& username, const std::string& password,
                            const std::string& role, TimeNs now) {
  return UserRecord{id, username, hashPassword(password, cheapPasswordCost()), role, now, now, false};
}

}  // namespace streamswarm::server::testing

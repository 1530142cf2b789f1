#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace streamswarm::core {

// The agent's credential (ssa_<agentid>_<secret>), kept in a file of its state directory that
// only the agent's user can read.
struct Credential {
  std::string agentId;
  std::string secret;  // the whole credential, as sent in Authorization: Bearer
};

// nullopt when the file does not exist; throws Error naming the file when it exists but cannot be
// read or does not hold a credential.
std::optional<Credential> readCredential(const std::filesystem::path& file);

// Writes the file atomically (temporary file with mode 0600, fsync, rename, fsync of the
// directory), so a crash leaves either no credential or the whole one. Throws Error.
void writeCredential(const std::filesystem::path& file, const std::string& credential);

// Creates the state directory (mode 0700) if needed; throws Error naming it.
void ensureStateDir(const std::filesystem::path& dir);

}  // namespace streamswarm::core

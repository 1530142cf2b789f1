#include "core/credential_file.hpp"

#include "core/error.hpp"
#include "core/server_api.hpp"

#include <streamswarm/config_values.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace streamswarm::core {
namespace {

constexpr std::size_t kMaxCredentialFile = 4096;

std::string errnoText() {
  return std::strerror(errno);
}

void writeAll(int fd, const std::string& text, const std::filesystem::path& file) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(file.string() + ": cannot write the agent credential: " + errnoText());
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::optional<Credential> readCredential(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read the agent credential: " + errnoText());
  std::string text(kMaxCredentialFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxCredentialFile) throw Error(file.string() + ": too large to be an agent credential");
  const auto credential = std::string(values::trim(text));
  const auto agentId = agentIdOfCredential(credential);
  if (!agentId)
    throw Error(file.string() +
                ": does not hold an agent credential (ssa_<agent>_<secret>); remove it to enroll again");
  return Credential{*agentId, credential};
}

void writeCredential(const std::filesystem::path& file, const std::string& credential) {
  const auto temp = file.string() + ".tmp";
  ::unlink(temp.c_str());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw Error(temp + ": cannot create the agent credential file: " + errnoText());
  try {
    writeAll(fd, credential + "\n", temp);
    if (::fsync(fd) != 0) throw Error(temp + ": cannot sync the agent credential: " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    const auto why = errnoText();
    ::unlink(temp.c_str());
    throw Error(file.string() + ": cannot store the agent credential: " + why);
  }
  // The rename is durable only once the directory is synced.
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void ensureStateDir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the agent state directory: " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

}  // namespace streamswarm::core

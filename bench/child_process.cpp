#include "bench/child_process.hpp"

#include "bench/bench_error.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace streamswarm::bench {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& stderrFile)
    : stderrFile_(stderrFile) {
  if (argv.empty()) throw BenchError("no program to start");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw BenchError(std::string("pipe: ") + std::strerror(errno));
  const int err = ::open(stderrFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (err < 0 || in < 0) {
    const auto why = std::string(std::strerror(errno));
    for (int fd : {out[0], out[1], err, in})
      if (fd >= 0) ::close(fd);
    throw BenchError("cannot open " + stderrFile.string() + " or /dev/null: " + why);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec (the benchmark has a reader thread). The child dies
    // with the benchmark, so an interrupted run leaves no agent sampling in the background.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int forkErrno = errno;
  ::close(out[1]);
  ::close(err);
  ::close(in);
  if (pid < 0) {
    ::close(out[0]);
    throw BenchError(std::string("fork: ") + std::strerror(forkErrno));
  }
  pid_ = pid;
  stdoutFd_ = out[0];
}

ChildProcess::~ChildProcess() {
  kill();
  ::close(stdoutFd_);
}

void ChildProcess::kill() noexcept {
  if (status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
}

std::optional<int> ChildProcess::poll() {
  if (status_) return status_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  return status_;
}

int ChildProcess::wait() {
  while (!status_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) status_ = status;
    if (r < 0 && errno != EINTR) throw BenchError(std::string("waitpid: ") + std::strerror(errno));
  }
  return *status_;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (poll()) return *status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!poll() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(kPollInterval);
  if (!status_) ::kill(pid_, SIGKILL);
  return wait();
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

bool endedCleanly(int status) {
  return (WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string lastLines(const std::string& text, std::size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i)
    out += "    " + lines[i] + "\n";
  return out;
}

CommandOutput runCommand(const std::vector<std::string>& argv, const std::filesystem::path& scratchDir) {
  const auto errFile = scratchDir / "command.stderr";
  ChildProcess child(argv, errFile);
  CommandOutput result;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(child.stdoutFd(), buffer, sizeof buffer);
    if (n > 0) {
      result.out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  result.status = child.wait();
  result.err = readText(errFile);
  return result;
}

}  // namespace streamswarm::bench

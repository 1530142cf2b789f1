// Runs a command to its end and measures it: wall time, and the CPU time (user and system) of the
// process and every child it waited for, from wait4()'s resource usage. For benchmarks that
// compare a program with a baseline tool run the same way.
#pragma once

#include "tests/support/process.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::testsupport {

struct TimedRun {
  int status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
  double wallSeconds = 0;
  double userSeconds = 0;
  double systemSeconds = 0;
  double cpuSeconds() const { return userSeconds + systemSeconds; }
};

inline TimedRun runTimed(const std::vector<std::string>& argv) {
  TempDir dir;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, (dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, (dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv.at(0));
  int raw = 0;
  rusage usage{};
  while (::wait4(pid, &raw, 0, &usage) < 0 && errno == EINTR) {
  }
  TimedRun r;
  r.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.userSeconds = static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  r.systemSeconds = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = readFile(dir / "out");
  r.err = readFile(dir / "err");
  return r;
}

}  // namespace streamswarm::testsupport

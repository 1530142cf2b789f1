// A program the benchmark starts: its stdout is a pipe the benchmark reads, its stderr goes to a
// file the benchmark quotes when the program fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::bench {

class ChildProcess {
 public:
  // Starts argv[0] (a path, not looked up in PATH). Throws BenchError when it cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& stderrFile);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills a child still running, so an exception in the benchmark leaves no agent behind.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdoutFd() const { return stdoutFd_; }
  const std::filesystem::path& stderrFile() const { return stderrFile_; }

  // The wait status once the child has ended, without blocking.
  std::optional<int> poll();
  // Sends SIGTERM, waits up to `grace`, then SIGKILL; returns the wait status.
  int stop(std::chrono::milliseconds grace);
  // Blocks until the child ends; returns the wait status.
  int wait();
  // SIGKILL and reap, for paths that are already failing.
  void kill() noexcept;

 private:
  pid_t pid_ = -1;
  int stdoutFd_ = -1;
  std::filesystem::path stderrFile_;
  std::optional<int> status_;
};

// Describes a wait status for a message: "exit 2", "signal 9".
std::string describeStatus(int status);
// True for a normal exit with code 0, or an end by SIGTERM (what stop() asks for).
bool endedCleanly(int status);

// Runs a program to its end; returns its wait status, its stdout and its stderr.
struct CommandOutput {
  int status = 0;
  std::string out;
  std::string err;
};
CommandOutput runCommand(const std::vector<std::string>& argv, const std::filesystem::path& scratchDir);

// Reads a whole file, empty when it cannot be read.
std::string readText(const std::filesystem::path& file);
// The last `count` lines of a program's output, indented, to quote in a message.
std::string lastLines(const std::string& text, std::size_t count);

}  // namespace streamswarm::bench

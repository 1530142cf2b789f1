// Runs the real streamswarm-server for integration tests: on a free loopback port (it is started
// with --listen 127.0.0.1:0 and prints the port it got), over a data directory the test owns, so
// a test can stop it and start it again on the same database. Also runs its CLI (tokens).
#pragma once

#include "tests/support/process.hpp"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace streamswarm::testsupport {

inline std::filesystem::path serverBinary() {
  return buildDir() / "bin" / "streamswarm-server";
}

// `streamswarm-server <args...> --data-dir <dataDir>`; throws with its stderr unless it exits 0.
// Returns stdout's first line (the token, for "token create" and "admin-token create").
inline std::string serverCli(const std::filesystem::path& dataDir, std::vector<std::string> args) {
  args.insert(args.begin(), serverBinary().string());
  args.push_back("--data-dir");
  args.push_back(dataDir.string());
  const auto r = run(args, std::chrono::seconds(60));
  if (r.status != 0)
    throw std::runtime_error("streamswarm-server CLI failed (" + std::to_string(r.status) + "): " + r.err);
  const auto out = lines(r.out);
  return out.empty() ? std::string() : out.front();
}

class ServerProcess {
 public:
  static constexpr std::chrono::seconds kStartTimeout{30};

  // Starts `streamswarm-server serve --listen 127.0.0.1:0 --data-dir <dataDir> <extraArgs...>` and
  // waits for its "listening on" line.
  explicit ServerProcess(const std::filesystem::path& dataDir, std::vector<std::string> extraArgs = {}) {
    std::vector<std::string> argv{serverBinary().string(), "serve",      "--listen",
                                  "127.0.0.1:0",           "--data-dir", dataDir.string()};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    process_ = std::make_unique<Process>(argv);
    const std::regex listening(R"(listening on (https?://[^\s:]+:(\d+)))");
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (true) {
      std::smatch m;
      const auto out = process_->out();
      if (std::regex_search(out, m, listening)) {
        url_ = m[1];
        port_ = static_cast<unsigned short>(std::stoi(m[2]));
        return;
      }
      if (!process_->running())
        throw std::runtime_error("streamswarm-server exited before listening: " + process_->err());
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("streamswarm-server did not print its address in time: " + process_->err());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT" (https with TLS)
  unsigned short port() const { return port_; }
  Process& process() { return *process_; }

  // Sends `sig` and returns the exit status (waits at most `limit`).
  int stop(int sig = SIGTERM, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    process_->signal(sig);
    return process_->wait(limit);
  }

 private:
  std::unique_ptr<Process> process_;
  std::string url_;
  unsigned short port_ = 0;
};

}  // namespace streamswarm::testsupport

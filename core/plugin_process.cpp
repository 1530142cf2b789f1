#include "core/plugin_process.hpp"

#include "core/error.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace streamswarm::core {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr int kChannelFd = 3;
constexpr auto kReapPoll = std::chrono::milliseconds(20);
constexpr int kReapAttemptsBeforeKill = 150;  // 3 s for a host to exit after its channel closed
}  // namespace

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigdescr_np(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

PluginProcess::PluginProcess(asio::io_context& io, std::filesystem::path hostExe, std::filesystem::path plugin)
    : io_(io), hostExe_(std::move(hostExe)), plugin_(std::move(plugin)), socket_(io), reapTimer_(io) {}

PluginProcess::~PluginProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void PluginProcess::start(MessageHandler onMessage, ExitHandler onExit) {
  onMessage_ = std::move(onMessage);
  onExit_ = std::move(onExit);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error(std::string("cannot create plugin channel: ") + std::strerror(errno));
  const std::string exe = hostExe_.string();
  const std::string plugin = plugin_.string();
  const std::string fd = std::to_string(kChannelFd);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    throw Error(std::string("cannot start plugin host: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. The host dies with the agent, even on SIGKILL.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(sv[1], kChannelFd);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // a plugin's prints must not corrupt the channel
    ::close_range(kChannelFd + 1, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    const char* argv[] = {exe.c_str(), "--plugin", plugin.c_str(), "--fd", fd.c_str(), nullptr};
    ::execv(exe.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(sv[1]);
  pid_ = pid;
  socket_.assign(sv[0]);
  readMore();
}

void PluginProcess::send(const json::object& message) {
  if (closing_ || exited_ || !socket_.is_open()) return;
  outbox_.push_back(json::serialize(message) + "\n");
  if (!writing_) writeMore();
}

void PluginProcess::writeMore() {
  if (outbox_.empty() || !socket_.is_open()) {
    writing_ = false;
    if (closing_ && socket_.is_open()) ::shutdown(socket_.native_handle(), SHUT_WR);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->outbox_.pop_front();
                      if (ec) {
                        self->outbox_.clear();
                        self->writing_ = false;
                        return;  // the read side notices the end of the channel
                      }
                      self->writeMore();
                    });
}

void PluginProcess::closeInput() {
  closing_ = true;
  // What is queued (cancellations) goes out first; writeMore shuts the write side when drained.
  if (!writing_ && socket_.is_open()) ::shutdown(socket_.native_handle(), SHUT_WR);
}

void PluginProcess::kill() {
  if (pid_ > 0 && !exited_) ::kill(pid_, SIGKILL);
}

void PluginProcess::readMore() {
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            if (ec) {
                              self->channelClosed();
                              return;
                            }
                            if (!self->lines_.append(std::string_view(self->buffer_.data(), n))) {
                              self->kill();  // a runaway line: the host is broken
                              self->channelClosed();
                              return;
                            }
                            while (auto line = self->lines_.next()) {
                              boost::system::error_code parseError;
                              auto value = json::parse(*line, parseError);
                              if (parseError || !value.is_object()) {
                                self->kill();
                                self->channelClosed();
                                return;
                              }
                              self->onMessage_(value.as_object());
                            }
                            if (self->socket_.is_open()) self->readMore();
                          });
}

void PluginProcess::channelClosed() {
  if (!socket_.is_open()) return;
  boost::system::error_code ec;
  socket_.close(ec);
  reap(0);
}

void PluginProcess::reap(int attempt) {
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_ || (done < 0 && errno == ECHILD)) {
    exited_ = true;
    if (onExit_) onExit_(done == pid_ ? describeWaitStatus(status) : "ended (status unknown)");
    return;
  }
  if (attempt == kReapAttemptsBeforeKill) ::kill(pid_, SIGKILL);
  reapTimer_.expires_after(kReapPoll);
  reapTimer_.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
    if (!ec) self->reap(attempt + 1);
  });
}

}  // namespace streamswarm::core

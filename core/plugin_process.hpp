#pragma once

#include "core/line_buffer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <sys/types.h>

#include <array>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace streamswarm::core {

// One streamswarm-plugin-host child process and the JSON-lines channel to it. Asynchronous on
// the agent's io_context; reports every message and, once, how the process ended.
class PluginProcess : public std::enable_shared_from_this<PluginProcess> {
 public:
  // One read from the host's channel; longer messages are joined by the line buffer.
  static constexpr std::size_t kReadChunkBytes = 16 * 1024;

  using MessageHandler = std::function<void(const boost::json::object&)>;
  using ExitHandler = std::function<void(const std::string& how)>;

  PluginProcess(boost::asio::io_context& io, std::filesystem::path hostExe, std::filesystem::path plugin);
  ~PluginProcess();

  // Forks and execs the plugin host; throws Error when the process cannot be started.
  void start(MessageHandler onMessage, ExitHandler onExit);
  void send(const boost::json::object& message);
  void closeInput();  // the host sees end of input, finishes and exits
  void kill();        // SIGKILL: for a host that hangs
  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }

 private:
  void readMore();
  void writeMore();
  void channelClosed();
  void reap(int attempt);

  boost::asio::io_context& io_;
  std::filesystem::path hostExe_;
  std::filesystem::path plugin_;
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer reapTimer_;
  LineBuffer lines_{kMaxProtocolLine};
  // Not zero-filled: a page of it costs memory only once a read has reached it.
  std::array<char, kReadChunkBytes> buffer_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool closing_ = false;
  pid_t pid_ = -1;
  bool exited_ = false;
  MessageHandler onMessage_;
  ExitHandler onExit_;
};

// "exited with status 3", "killed by signal 11 (Segmentation fault)"
std::string describeWaitStatus(int status);

}  // namespace streamswarm::core

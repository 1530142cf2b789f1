// streamswarm-plugin-host: runs one plugin library in its own process on behalf of the agent, so
// that a plugin that crashes, aborts or hangs takes down only this process. It speaks JSON lines
// with the agent over the socket passed as --fd; the plugin's own stdout goes to stderr.
#include "core/error.hpp"
#include "core/line_buffer.hpp"
#include "core/plugin_library.hpp"

#include <boost/json.hpp>

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using streamswarm::core::PluginLibrary;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(5);

class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  void send(const json::value& message) {
    std::string line = json::serialize(message);
    line += '\n';
    std::lock_guard lock(mutex_);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const auto n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the agent is gone; it will not read further anyway
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mutex_;
};

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t monoNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One run in flight: its cancellation flag and the host callbacks the plugin sees.
struct Run {
  std::uint64_t id = 0;
  void* instance = nullptr;
  Channel* channel = nullptr;
  std::mutex mutex;
  std::condition_variable wake;
  bool cancelled = false;
  std::atomic<bool> finished{false};
  std::thread thread;
  ss_host host{};
};

void emitResult(void* ctx, const ss_result* r) {
  auto* run = static_cast<Run*>(ctx);
  if (!r) return;
  json::object metrics;
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < r->metric_count; ++i) {
    if (!r->metrics[i].name) continue;
    if (!std::isfinite(r->metrics[i].value)) {
      ++dropped;  // JSON cannot carry NaN or infinity
      continue;
    }
    metrics[r->metrics[i].name] = r->metrics[i].value;
  }
  json::object msg{{"type", "result"}, {"run", run->id}, {"ts", r->timestamp_ns ? r->timestamp_ns : nowNs()}};
  msg["metrics"] = std::move(metrics);
  if (r->target) msg["target"] = r->target;
  if (r->document_json) msg["document"] = r->document_json;
  std::string error = r->error ? r->error : "";
  if (dropped)
    error += std::string(error.empty() ? "" : "; ") + std::to_string(dropped) + " non-finite metric value(s) dropped";
  if (!error.empty()) msg["error"] = error;
  run->channel->send(msg);
}

void logMessage(void* ctx, std::uint32_t level, const char* message) {
  auto* run = static_cast<Run*>(ctx);
  run->channel->send(json::object{{"type", "log"}, {"level", level}, {"message", message ? message : ""}});
}

int sleepNs(void* ctx, std::int64_t ns) {
  auto* run = static_cast<Run*>(ctx);
  std::unique_lock lock(run->mutex);
  return run->wake.wait_for(lock, std::chrono::nanoseconds(ns), [&] { return run->cancelled; }) ? 1 : 0;
}

int isCancelled(void* ctx) {
  auto* run = static_cast<Run*>(ctx);
  std::lock_guard lock(run->mutex);
  return run->cancelled ? 1 : 0;
}

void initHost(Run& run) {
  run.host.struct_size = sizeof(ss_host);
  run.host.ctx = &run;
  run.host.emit = emitResult;
  run.host.log = logMessage;
  run.host.now_ns = [](void*) { return nowNs(); };
  run.host.monotonic_ns = [](void*) { return monoNs(); };
  run.host.sleep_ns = sleepNs;
  run.host.cancelled = isCancelled;
}

class PluginHost {
 public:
  PluginHost(PluginLibrary& library, Channel& channel) : library_(library), channel_(channel) {}

  void handle(const json::object& msg) {
    reapFinished();
    const auto op = msg.at("op").as_string();
    if (op == "create")
      create(msg);
    else if (op == "run")
      run(msg);
    else if (op == "cancel")
      cancel(static_cast<std::uint64_t>(msg.at("run").to_number<std::int64_t>()));
    else if (op == "destroy")
      destroy(json::value_to<std::string>(msg.at("instance")));
    else
      channel_.send(json::object{{"type", "protocol_error"}, {"error", "unknown op '" + std::string(op) + "'"}});
  }

  // The agent closed the channel: cancel what runs, give it a moment, then tear down.
  void shutdown() {
    for (auto& [id, run] : runs_) cancel(id);
    const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    for (auto& [id, run] : runs_) {
      while (!run->finished && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (!run->finished) _exit(0);  // a plugin that ignores cancellation; the process ends anyway
      run->thread.join();
    }
    runs_.clear();
    for (auto& [name, instance] : instances_) library_.descriptor().destroy(instance);
    instances_.clear();
    for (auto* instance : retired_) library_.descriptor().destroy(instance);
    retired_.clear();
  }

 private:
  void create(const json::object& msg) {
    const auto name = json::value_to<std::string>(msg.at("instance"));
    std::vector<std::string> storage;
    const auto& options = msg.at("options").as_object();
    storage.reserve(options.size() * 2);
    std::vector<ss_option> raw;
    for (const auto& [k, v] : options) {
      storage.emplace_back(k);
      storage.emplace_back(v.as_string());
    }
    for (std::size_t i = 0; i < storage.size(); i += 2) raw.push_back({storage[i].c_str(), storage[i + 1].c_str()});
    Run dummy;  // create gets a host for logging and the clock; it may not emit results
    dummy.channel = &channel_;
    initHost(dummy);
    char error[streamswarm::core::kErrorBufferSize] = {};
    void* instance = nullptr;
    const int status =
        library_.descriptor().create(raw.data(), raw.size(), &dummy.host, &instance, error, sizeof error);
    if (status != SS_OK || !instance) {
      channel_.send(json::object{{"type", "create_failed"},
                                 {"instance", name},
                                 {"config_error", status == SS_CONFIG_ERROR},
                                 {"error", error[0] ? error : "create failed without a reason"}});
      return;
    }
    retire(name);
    instances_[name] = instance;
    channel_.send(json::object{{"type", "created"}, {"instance", name}});
  }

  void run(const json::object& msg) {
    const auto id = static_cast<std::uint64_t>(msg.at("run").to_number<std::int64_t>());
    const auto name = json::value_to<std::string>(msg.at("instance"));
    const auto it = instances_.find(name);
    if (it == instances_.end()) {
      channel_.send(
          json::object{{"type", "done"}, {"run", id}, {"status", SS_ERROR}, {"error", "no instance '" + name + "'"}});
      return;
    }
    auto run = std::make_unique<Run>();
    run->id = id;
    run->instance = it->second;
    run->channel = &channel_;
    initHost(*run);
    Run* raw = run.get();
    void* instance = it->second;
    const auto* descriptor = &library_.descriptor();
    run->thread = std::thread([raw, instance, descriptor] {
      char error[streamswarm::core::kErrorBufferSize] = {};
      const int status = descriptor->run(instance, &raw->host, error, sizeof error);
      raw->channel->send(json::object{{"type", "done"}, {"run", raw->id}, {"status", status}, {"error", error}});
      raw->finished = true;
    });
    runs_[id] = std::move(run);
  }

  void cancel(std::uint64_t id) {
    const auto it = runs_.find(id);
    if (it == runs_.end()) return;
    std::lock_guard lock(it->second->mutex);
    it->second->cancelled = true;
    it->second->wake.notify_all();
  }

  void destroy(const std::string& name) { retire(name); }

  // An instance may still be running (a test removed mid-run): its runs are cancelled and it is
  // destroyed only once they have returned, never under their feet.
  void retire(const std::string& name) {
    const auto it = instances_.find(name);
    if (it == instances_.end()) return;
    void* instance = it->second;
    instances_.erase(it);
    bool inUse = false;
    for (auto& [id, run] : runs_) {
      if (run->instance != instance || run->finished) continue;
      inUse = true;
      cancel(id);
    }
    if (inUse)
      retired_.push_back(instance);
    else
      library_.descriptor().destroy(instance);
  }

  void reapFinished() {
    for (auto it = runs_.begin(); it != runs_.end();) {
      if (it->second->finished) {
        it->second->thread.join();
        it = runs_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(retired_, [this](void* instance) {
      for (const auto& [id, run] : runs_)
        if (run->instance == instance) return false;
      library_.descriptor().destroy(instance);
      return true;
    });
  }

  PluginLibrary& library_;
  Channel& channel_;
  std::map<std::string, void*> instances_;
  std::vector<void*> retired_;  // removed while running; destroyed when their runs are reaped
  std::map<std::uint64_t, std::unique_ptr<Run>> runs_;
};

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena for the whole host: runs are threads, and each thread would otherwise get an
  // arena of its own, whose pages stay with the process while it waits for the next run.
  mallopt(M_ARENA_MAX, 1);
  std::string pluginFile;
  int fd = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--plugin")
      pluginFile = argv[i + 1];
    else if (flag == "--fd")
      fd = std::atoi(argv[i + 1]);
  }
  if (pluginFile.empty() || fd < 0) {
    std::cerr << "usage: streamswarm-plugin-host --plugin FILE --fd N (started by streamswarm-agent)\n";
    return 2;
  }
  Channel channel(fd);
  std::unique_ptr<PluginLibrary> library;
  try {
    library = std::make_unique<PluginLibrary>(pluginFile);
  } catch (const std::exception& e) {
    channel.send(json::object{{"type", "fatal"}, {"error", e.what()}});
    return 3;
  }
  channel.send(json::object{{"type", "hello"},
                            {"pid", static_cast<std::int64_t>(getpid())},
                            {"schema", streamswarm::core::toJson(library->schema())}});

  PluginHost host(*library, channel);
  streamswarm::core::LineBuffer lines(streamswarm::core::kMaxProtocolLine);
  char buffer[65536];
  while (true) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!lines.append(std::string_view(buffer, static_cast<std::size_t>(n)))) {
      channel.send(json::object{{"type", "fatal"}, {"error", "protocol line too long"}});
      return 4;
    }
    while (auto line = lines.next()) {
      boost::system::error_code ec;
      const auto msg = json::parse(*line, ec);
      if (ec || !msg.is_object()) {
        channel.send(json::object{{"type", "protocol_error"}, {"error", "bad message: " + ec.message()}});
        continue;
      }
      try {
        host.handle(msg.as_object());
      } catch (const std::exception& e) {
        channel.send(json::object{{"type", "protocol_error"}, {"error", e.what()}});
      }
    }
  }
  host.shutdown();
  return 0;
}

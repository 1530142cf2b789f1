#include "server/api/live_events.hpp"

#include "server/api/rfc3339.hpp"
#include "server/http/api_error.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <deque>
#include <map>

namespace streamswarm::server {
namespace json = boost::json;

std::string formatEvent(std::string_view type, const json::object& data) {
  // serialize() never emits a newline, so the data is one `data:` line.
  return "event: " + std::string(type) + "\ndata: " + json::serialize(data) + "\n\n";
}

// One browser's stream: chunks queue here until its connection asks for the next one.
class LiveEvents::Subscriber final : public ResponseStream {
 public:
  explicit Subscriber(std::size_t maxQueued) : maxQueued_(maxQueued) {}

  void push(const std::string& chunk) {
    Deliver ready;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      if (pending_) {
        ready = std::move(pending_);
        pending_ = nullptr;
      } else if (queue_.size() >= maxQueued_) {
        // Too slow to keep up: it reconnects and refetches, so the backlog is dropped with it
        // rather than sent first.
        closed_ = true;
        queue_.clear();
        return;
      } else {
        queue_.push_back(chunk);
        return;
      }
    }
    ready(chunk);
  }

  void next(Deliver deliver) override {
    std::optional<std::string> chunk;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        chunk = std::move(queue_.front());
        queue_.pop_front();
      } else if (!closed_) {
        pending_ = std::move(deliver);
        return;
      }
    }
    deliver(std::move(chunk));
  }

  void close() override {
    Deliver ready;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      queue_.clear();
      ready = std::move(pending_);
      pending_ = nullptr;
    }
    if (ready) ready(std::nullopt);
  }

  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  const std::size_t maxQueued_;
  std::mutex mutex_;
  std::deque<std::string> queue_;
  Deliver pending_;
  bool closed_ = false;
};

LiveEvents::LiveEvents(boost::asio::io_context& io, LiveEventsLimits limits) : limits_(limits), pingTimer_(io) {}

LiveEvents::~LiveEvents() {
  shutdown();
}

void LiveEvents::broadcast(const std::string& chunk) {
  std::vector<std::shared_ptr<Subscriber>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& weak) {
      const auto s = weak.lock();
      return !s || s->closed();
    });
    for (const auto& weak : subscribers_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) s->push(chunk);
}

void LiveEvents::publish(std::string_view type, const json::object& data) {
  broadcast(formatEvent(type, data));
}

std::shared_ptr<ResponseStream> LiveEvents::subscribe(const json::object& hello) {
  auto s = std::make_shared<Subscriber>(limits_.maxQueued);
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return nullptr;
    std::erase_if(subscribers_, [](const auto& weak) {
      const auto live = weak.lock();
      return !live || live->closed();
    });
    if (subscribers_.size() >= limits_.maxSubscribers) return nullptr;
    subscribers_.push_back(s);
  }
  // The browser retries after 3 s when the stream breaks.
  s->push("retry: 3000\n" + formatEvent("hello", hello));
  return s;
}

void LiveEvents::start() {
  schedulePing();
}

void LiveEvents::schedulePing() {
  pingTimer_.expires_after(limits_.pingEvery);
  pingTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    broadcast(": ping\n\n");
    schedulePing();
  });
}

void LiveEvents::shutdown() {
  std::vector<std::shared_ptr<Subscriber>> live;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (const auto& weak : subscribers_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
    subscribers_.clear();
  }
  pingTimer_.cancel();
  for (const auto& s : live) s->close();
}

std::size_t LiveEvents::subscribers() {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(subscribers_.begin(), subscribers_.end(), [](const auto& weak) {
    const auto s = weak.lock();
    return s && !s->closed();
  }));
}

void LiveEvents::addRoutes(Router& router, Access& access) {
  router.add("GET", "/api/v1/events", [this, &access](const ApiRequest& request) {
    const auto p = access.require(request, Role::kViewer);
    auto stream = subscribe(json::object{{"role", roleName(p.role)}, {"username", p.name}});
    if (!stream) throw ApiError(503, "too many open event streams; try again later");
    ApiResponse r;
    r.contentType = "text/event-stream";
    r.stream = std::move(stream);
    return r;
  });
}

// ---- PublishingStore ----

void PublishingStore::agentChanged(const std::string& id, bool online) {
  events_.publish("agents", json::object{{"agent", id}, {"online", online}});
}

void PublishingStore::createAgent(const AgentRecord& agent) {
  inner_.createAgent(agent);
  agentChanged(agent.id, agent.online);
}

void PublishingStore::updateRegistration(const std::string& id, const std::string& name,
                                         const std::vector<std::string>& labels, const std::string& systemJson,
                                         const std::string& pluginsJson, const std::string& version, TimeNs now) {
  inner_.updateRegistration(id, name, labels, systemJson, pluginsJson, version, now);
  {
    std::lock_guard lock(mutex_);
    online_.insert(id);
  }
  agentChanged(id, true);
}

void PublishingStore::touchAgent(const std::string& id, TimeNs now) {
  inner_.touchAgent(id, now);
  {
    // Heartbeats come every few seconds from every agent; only a change is news.
    std::lock_guard lock(mutex_);
    if (!online_.insert(id).second) return;
  }
  agentChanged(id, true);
}

std::vector<std::string> PublishingStore::markOffline(TimeNs cutoff) {
  auto ids = inner_.markOffline(cutoff);
  for (const auto& id : ids) {
    {
      std::lock_guard lock(mutex_);
      online_.erase(id);
    }
    agentChanged(id, false);
  }
  return ids;
}

bool PublishingStore::revokeAgent(const std::string& id) {
  const bool revoked = inner_.revokeAgent(id);
  if (revoked) events_.publish("agents", json::object{{"agent", id}, {"revoked", true}});
  return revoked;
}

void PublishingStore::createTest(const TestRecord& test) {
  inner_.createTest(test);
  events_.publish("tests", json::object{{"test", test.id}, {"state", testStateName(test.state)}});
}

bool PublishingStore::setTestState(const std::string& id, TestState state, TimeNs now) {
  const bool changed = inner_.setTestState(id, state, now);
  if (changed) events_.publish("tests", json::object{{"test", id}, {"state", testStateName(state)}});
  return changed;
}

bool PublishingStore::deleteTest(const std::string& id) {
  const bool deleted = inner_.deleteTest(id);
  if (deleted) events_.publish("tests", json::object{{"test", id}, {"deleted", true}});
  return deleted;
}

IngestOutcome PublishingStore::ingest(const std::string& agentId, std::span<const ResultRecord> batch,
                                      std::int64_t droppedByAgent) {
  const auto outcome = inner_.ingest(agentId, batch, droppedByAgent);
  if (outcome.accepted == 0) return outcome;
  // One event per test among the stored results (local results: test null), with the newest
  // timestamp. Sequence numbers increase within a batch, so the skipped duplicates are its first
  // `duplicates` results.
  struct Summary {
    std::size_t count = 0;
    TimeNs latest = 0;
  };
  std::map<std::string, Summary> byTest;
  for (const auto& r : batch.subspan(std::min(outcome.duplicates, batch.size()))) {
    auto& s = byTest[r.testId.value_or("")];
    ++s.count;
    s.latest = std::max(s.latest, r.timestamp);
  }
  for (const auto& [test, s] : byTest)
    events_.publish("results", json::object{{"test", test.empty() ? json::value(nullptr) : json::value(test)},
                                            {"agent", agentId},
                                            {"count", s.count},
                                            {"latest", formatRfc3339(s.latest)}});
  return outcome;
}

}  // namespace streamswarm::server

// The agent API: enroll, register, heartbeat, long-poll for tests, post results. Thin: each
// handler authenticates, parses, calls the Store, and answers JSON.
#pragma once

#include "server/api/result_batch.hpp"
#include "server/auth/authenticator.hpp"
#include "server/http/api_message.hpp"
#include "server/http/router.hpp"
#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace streamswarm::server {

class TestsNotifier;

struct AgentApiOptions {
  std::chrono::seconds heartbeatInterval{10};
  std::chrono::seconds maxWait{30};  // longest long poll
};

class AgentApi {
 public:
  // `testsChanged` runs when an agent's registration changed which tests it gets (its labels).
  AgentApi(Store& store, TestsNotifier& notifier, Clock clock, std::function<void()> testsChanged,
           AgentApiOptions options = {});
  ~AgentApi();

  void addRoutes(Router& router);

  ApiResponse enroll(const ApiRequest& request);
  ApiResponse registerAgent(const ApiRequest& request);
  ApiResponse heartbeat(const ApiRequest& request);
  void tests(ApiRequest& request, const Respond& respond);
  ApiResponse results(const ApiRequest& request);

 private:
  struct PluginCache;
  struct RunningTests;

  std::string testsBody(const AgentRecord& agent, std::uint64_t version);
  std::shared_ptr<const RunningTests> runningTests(std::uint64_t version);
  std::shared_ptr<PluginCache> pluginCache(const AgentRecord& agent);

  Store& store_;
  TestsNotifier& notifier_;
  Clock clock_;
  std::function<void()> testsChanged_;
  AgentApiOptions options_;
  Authenticator auth_;
  ResultBatchReader resultReader_;

  std::mutex mutex_;
  std::shared_ptr<const RunningTests> running_;                            // by tests version
  std::unordered_map<std::string, std::shared_ptr<PluginCache>> plugins_;  // by agent id
};

}  // namespace streamswarm::server

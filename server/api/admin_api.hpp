// The operator-facing API (dashboard sessions and API tokens, each route with the least role it
// needs): tests, results, agents, enrollment tokens.
#pragma once

#include "server/auth/access.hpp"
#include "server/http/api_message.hpp"
#include "server/http/router.hpp"
#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

#include <functional>

namespace streamswarm::server {

inline constexpr std::size_t kMaxQueryLimit = 100'000;
inline constexpr TimeNs kDefaultEnrollmentTtlNs = 24LL * 3600 * 1'000'000'000;

class AdminApi {
 public:
  // `testsChanged` runs after any change to the set of tests (wakes agents, re-times the scheduler).
  AdminApi(Store& store, Access& access, Clock clock, std::function<void()> testsChanged);

  void addRoutes(Router& router);

  ApiResponse createTest(const ApiRequest& request);
  ApiResponse listTests(const ApiRequest& request);
  ApiResponse getTest(const ApiRequest& request);
  ApiResponse stopTest(const ApiRequest& request);
  ApiResponse deleteTest(const ApiRequest& request);
  ApiResponse queryResults(const ApiRequest& request);
  ApiResponse listAgents(const ApiRequest& request);
  ApiResponse revokeAgent(const ApiRequest& request);
  ApiResponse createEnrollmentToken(const ApiRequest& request);
  ApiResponse listEnrollmentTokens(const ApiRequest& request);
  ApiResponse revokeEnrollmentToken(const ApiRequest& request);

 private:
  void changed() {
    if (testsChanged_) testsChanged_();
  }

  Store& store_;
  Access& access_;
  Clock clock_;
  std::function<void()> testsChanged_;
};

}  // namespace streamswarm::server

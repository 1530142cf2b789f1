#include "server/storage/records.hpp"

#include <array>
#include <string_view>

namespace streamswarm::server {

namespace {

constexpr std::array<std::pair<TestState, std::string_view>, 5> kStateNames{{
    {TestState::kPending, "pending"},
    {TestState::kRunning, "running"},
    {TestState::kCompleted, "completed"},
    {TestState::kStopped, "stopped"},
    {TestState::kFailed, "failed"},
}};

}  // namespace

const char* testStateName(TestState s) {
  for (const auto& [state, name] : kStateNames)
    if (state == s) return name.data();
  return "unknown";
}

std::optional<TestState> testStateFromName(const std::string& name) {
  for (const auto& [state, stateName] : kStateNames)
    if (stateName == name) return state;
  return std::nullopt;
}

}  // namespace streamswarm::server

// Turns a test-creation request into a TestRecord, or a 400 naming the field or option at fault.
// Pure: the agents (with the plugin schemas they registered) and the time are passed in.
#pragma once

#include "core/plugin_schema.hpp"
#include "server/storage/records.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::server {

// Bounds that keep every derived time inside int64 nanoseconds and schedules sensible.
inline constexpr double kMinIntervalS = 1;
inline constexpr double kMaxIntervalS = 86400;
inline constexpr double kMaxDurationS = 10.0 * 365 * 86400;
inline constexpr std::size_t kMaxTargets = 1000;
inline constexpr std::size_t kMaxTargetLength = 253;
// Options the agent sets itself from the test definition; a plugin cannot declare them.
inline constexpr std::string_view kReservedOptions[] = {"enabled", "run_every", "run_timeout"};

// Why `target` is not a hostname, IPv4/IPv6 address (optionally with :port) or URL; none if fine.
std::optional<std::string> targetProblem(std::string_view target);

// The plugin schemas an agent registered (AgentRecord::pluginsJson); throws on malformed JSON.
std::vector<core::PluginSchema> registeredPlugins(const AgentRecord& agent);

// Validates `body` (the POST /api/v1/tests object) against `agents` (every agent the server
// knows). Fills name, plugin, targets, options (normalised; targets joined into the plugin's
// `targets` option), agentIds, labels, startAt, durationNs, intervalNs, recurEveryNs. Throws
// ApiError(400).
TestRecord validateTestRequest(const boost::json::object& body, const std::vector<AgentRecord>& agents, TimeNs now);

}  // namespace streamswarm::server

// The JSON forms of stored records, as the API returns them (times in RFC 3339, durations in
// seconds). One place, so the OpenAPI document has one shape per record to describe.
#pragma once

#include "server/scheduler/test_schedule.hpp"
#include "server/storage/records.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace streamswarm::server {

boost::json::object testJson(const TestRecord& test);
// The form an agent receives: what to run and in which window, options ready for the plugin.
boost::json::object agentTestJson(const TestRecord& test, const ScheduleDecision& decision);
boost::json::object agentJson(const AgentRecord& agent);
boost::json::object tokenJson(const TokenRecord& token);
boost::json::object resultJson(const ResultRecord& result);

}  // namespace streamswarm::server

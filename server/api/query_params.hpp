// Query-string parameters of the operator API. A malformed value is a 400 naming the parameter.
#pragma once

#include "server/http/api_message.hpp"
#include "server/storage/records.hpp"

#include <cstddef>
#include <optional>

namespace streamswarm::server {

// An RFC 3339 time; none when absent.
std::optional<TimeNs> timeParam(const ApiRequest& request, const char* name);

// An integer in 1..max; none when absent.
std::optional<std::size_t> countParam(const ApiRequest& request, const char* name, std::size_t max);

}  // namespace streamswarm::server

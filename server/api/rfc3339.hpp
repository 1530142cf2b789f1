// RFC 3339 timestamps as the API speaks them. Formatting reuses the agent's
// streamswarm::core::rfc3339 (UTC, microseconds, "Z"); parsing is here because only the server
// reads timestamps from the network.
#pragma once

#include "server/storage/records.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::server {

// "2026-11-21T23:41:53.660623Z", "2026-11-21t23:41:53+02:00", "2026-11-21 23:41:53.5-05:30":
// date, 'T'/'t'/' ', time with optional fraction (up to 9 digits), 'Z'/'z' or ±hh:mm. Leap
// second 60 is accepted as the next second. None on anything else, including out-of-range
// fields and times before 1970 or after 2262-04-11T23:47:16.854775807Z (what TimeNs holds).
std::optional<TimeNs> parseRfc3339(std::string_view text);

std::string formatRfc3339(TimeNs unixNs);

}  // namespace streamswarm::server

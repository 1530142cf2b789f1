// The headers option: request headers written "Name: value". The option is a comma-separated
// list, and header values may hold commas themselves ("Accept: text/html, application/json"), so
// an item that does not start with "Name:" continues the previous header's value.
#pragma once

#include "parsed.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::http_timing {

struct Header {
  std::string name;
  std::string value;
  friend bool operator==(const Header&, const Header&) = default;
};

// Headers the probe computes itself and a user may not set.
bool reservedHeader(std::string_view name);

Parsed<std::vector<Header>> parseHeaderList(const std::vector<std::string>& items);

bool sameHeaderName(std::string_view a, std::string_view b);

}  // namespace streamswarm::http_timing

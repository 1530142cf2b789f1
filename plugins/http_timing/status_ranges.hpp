// The expect_status option: which final status codes count as success.
#pragma once

#include "parsed.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamswarm::http_timing {

class StatusRanges {
 public:
  // Items like "200", "200-299" or "2xx"; codes are 100-599. An empty list is refused.
  static Parsed<StatusRanges> parse(const std::vector<std::string>& items);

  bool contains(int status) const;
  // The ranges as given, normalised: "200-299,301".
  std::string text() const;

 private:
  std::vector<std::pair<int, int>> ranges_;
};

}  // namespace streamswarm::http_timing

#include "status_ranges.hpp"

#include <charconv>

namespace streamswarm::http_timing {
namespace {

constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

std::optional<int> code(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.size() != 3 || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < kMinStatus || value > kMaxStatus) return std::nullopt;
  return value;
}

}  // namespace

Parsed<StatusRanges> StatusRanges::parse(const std::vector<std::string>& items) {
  StatusRanges out;
  for (const auto& item : items) {
    const std::string_view s(item);
    const auto bad = [&](const std::string& why) {
      return Parsed<StatusRanges>::fail("'" + item + "' " + why + " (write 200, 200-299 or 2xx)");
    };
    if (s.size() == 3 && (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
      if (s[0] < '1' || s[0] > '5') return bad("is not a status class");
      const int first = (s[0] - '0') * 100;
      out.ranges_.emplace_back(first, first + 99);
      continue;
    }
    const auto dash = s.find('-');
    const auto low = code(s.substr(0, dash));
    const auto high = dash == std::string_view::npos ? low : code(s.substr(dash + 1));
    if (!low || !high) return bad("is not a status code or range of codes 100-599");
    if (*high < *low) return bad("is a range whose end is below its start");
    out.ranges_.emplace_back(*low, *high);
  }
  if (out.ranges_.empty()) return Parsed<StatusRanges>::fail("no status codes given");
  return Parsed<StatusRanges>::ok(std::move(out));
}

bool StatusRanges::contains(int status) const {
  for (const auto& [low, high] : ranges_)
    if (status >= low && status <= high) return true;
  return false;
}

std::string StatusRanges::text() const {
  std::string out;
  for (const auto& [low, high] : ranges_) {
    if (!out.empty()) out += ',';
    out += std::to_string(low);
    if (high != low) out += "-" + std::to_string(high);
  }
  return out;
}

}  // namespace streamswarm::http_timing

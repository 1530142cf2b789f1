#include "server/api/rfc3339.hpp"

#include "core/probe_result.hpp"

#include <cstdint>

namespace streamswarm::server {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> readNumber(std::string_view s, std::size_t pos, std::size_t digits) {
  if (pos + digits > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool isLeapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<TimeNs> parseRfc3339(std::string_view s) {
  // 0123456789012345678
  // YYYY-MM-DDTHH:MM:SS
  constexpr std::size_t kMinLength = 20;  // with a 'Z'
  if (s.size() < kMinLength || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  const auto year = readNumber(s, 0, 4), month = readNumber(s, 5, 2), day = readNumber(s, 8, 2);
  const auto hour = readNumber(s, 11, 2), minute = readNumber(s, 14, 2), second = readNumber(s, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > daysInMonth(*year, *month)) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;

  std::size_t pos = 19;
  std::int64_t fractionNs = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const auto start = pos;
    std::int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start >= 9) return std::nullopt;  // below a nanosecond: not representable
      fractionNs += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offsetSeconds = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const auto oh = readNumber(s, pos + 1, 2), om = readNumber(s, pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offsetSeconds = (s[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  const std::int64_t seconds =
      daysFromCivil(*year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second - offsetSeconds;
  // Nanoseconds since 1970 in 64 bits end in 2262; later times are refused, not wrapped.
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  if (seconds < 0 || seconds > (INT64_MAX - fractionNs) / kNsPerSecond) return std::nullopt;
  return seconds * kNsPerSecond + fractionNs;
}

std::string formatRfc3339(TimeNs unixNs) {
  return core::rfc3339(unixNs);
}

}  // namespace streamswarm::server

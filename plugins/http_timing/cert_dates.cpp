#include "cert_dates.hpp"

#include <cstdio>

namespace streamswarm::http_timing {
namespace {

constexpr double kSecondsPerDay = 86400.0;

std::optional<int> digits(std::string_view s) {
  int value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<SysSeconds> parseAsn1Time(std::string_view text, bool generalized) {
  const std::size_t yearDigits = generalized ? 4 : 2;
  if (text.size() != yearDigits + 11 || text.back() != 'Z') return std::nullopt;
  auto year = digits(text.substr(0, yearDigits));
  const auto month = digits(text.substr(yearDigits, 2));
  const auto day = digits(text.substr(yearDigits + 2, 2));
  const auto hour = digits(text.substr(yearDigits + 4, 2));
  const auto minute = digits(text.substr(yearDigits + 6, 2));
  const auto second = digits(text.substr(yearDigits + 8, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (!generalized) *year += *year >= 50 ? 1900 : 2000;
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return SysSeconds(std::chrono::sys_days(date)) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

double daysUntil(SysSeconds notAfter, std::chrono::system_clock::time_point now) {
  const auto delta = std::chrono::duration<double>(notAfter - now);
  return delta.count() / kSecondsPerDay;
}

std::string rfc3339(SysSeconds t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{t - days};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

}  // namespace streamswarm::http_timing

// Parsing and validation of option values against an ss_config_key. Header-only and shared by the
// agent (which validates a config file before any plugin runs) and the C++ plugin API (which reads
// the normalised values back), so both sides agree on what "10s" or "yes" means.
#pragma once

#include <streamswarm/abi.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::values {

inline std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

inline std::optional<bool> parseBool(std::string_view text) {
  const auto s = trim(text);
  for (auto yes : {"true", "yes", "on", "1"})
    if (s == yes) return true;
  for (auto no : {"false", "no", "off", "0"})
    if (s == no) return false;
  return std::nullopt;
}

inline std::optional<std::int64_t> parseInt(std::string_view text) {
  const auto s = trim(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

inline std::optional<double> parseDouble(std::string_view text) {
  const std::string s(trim(text));
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// "250ms", "1.5s", "2m", "100us", "3h", "500ns"; a bare number is seconds.
inline std::optional<std::int64_t> parseDurationNs(std::string_view text) {
  const auto s = trim(text);
  std::size_t unitStart = s.size();
  while (unitStart > 0 && (s[unitStart - 1] < '0' || s[unitStart - 1] > '9') && s[unitStart - 1] != '.') --unitStart;
  const auto number = parseDouble(s.substr(0, unitStart));
  if (!number || *number < 0) return std::nullopt;
  const auto unit = trim(s.substr(unitStart));
  double scale = 0;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "s" || unit.empty())
    scale = 1e9;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else
    return std::nullopt;
  const double ns = *number * scale;
  if (ns > 9.2e18) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(ns));
}

inline std::vector<std::string> splitList(std::string_view text, char separator = ',') {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(separator, start);
    const auto item = trim(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!item.empty()) items.emplace_back(item);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return items;
}

inline const char* typeName(std::uint32_t type) {
  switch (type) {
    case SS_TYPE_STRING: return "string";
    case SS_TYPE_INT: return "integer";
    case SS_TYPE_DOUBLE: return "number";
    case SS_TYPE_BOOL: return "boolean";
    case SS_TYPE_DURATION: return "duration";
    case SS_TYPE_LIST: return "list";
    case SS_TYPE_ENUM: return "choice";
    default: return "unknown";
  }
}

struct Checked {
  std::optional<std::string> value;  // normalised text, when valid
  std::string error;                 // why not, when invalid
};

inline std::string formatNumber(double v) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return ec == std::errc() ? std::string(buffer, end) : std::string("0");
}

// Validates `text` for `key` and returns its normalised form: durations become integer
// nanoseconds with the unit ("250000000ns"), booleans "true"/"false", lists are re-joined without blanks.
inline Checked check(const ss_config_key& key, std::string_view text) {
  const bool bounded = key.min_value <= key.max_value;
  auto outOfRange = [&](double v) { return bounded && (v < key.min_value || v > key.max_value); };
  auto rangeError = [&](const std::string& what) {
    return Checked{std::nullopt,
                   what + " is outside " + formatNumber(key.min_value) + ".." + formatNumber(key.max_value)};
  };
  switch (key.type) {
    case SS_TYPE_STRING: return {std::string(trim(text)), {}};
    case SS_TYPE_INT: {
      const auto v = parseInt(text);
      if (!v) return {std::nullopt, "'" + std::string(text) + "' is not an integer"};
      if (outOfRange(static_cast<double>(*v))) return rangeError(std::to_string(*v));
      return {std::to_string(*v), {}};
    }
    case SS_TYPE_DOUBLE: {
      const auto v = parseDouble(text);
      if (!v) return {std::nullopt, "'" + std::string(text) + "' is not a number"};
      if (outOfRange(*v)) return rangeError(formatNumber(*v));
      return {formatNumber(*v), {}};
    }
    case SS_TYPE_BOOL: {
      const auto v = parseBool(text);
      if (!v) return {std::nullopt, "'" + std::string(text) + "' is not a boolean (true/false, yes/no, on/off, 1/0)"};
      return {*v ? "true" : "false", {}};
    }
    case SS_TYPE_DURATION: {
      const auto v = parseDurationNs(text);
      if (!v) return {std::nullopt, "'" + std::string(text) + "' is not a duration (e.g. 500ms, 10s, 5m)"};
      if (outOfRange(static_cast<double>(*v) / 1e9)) return rangeError(std::string(trim(text)) + " (in seconds)");
      // With its unit, so any reader of the normalised text (parseDurationNs) gets it right.
      return {std::to_string(*v) + "ns", {}};
    }
    case SS_TYPE_LIST: {
      std::string joined;
      for (const auto& item : splitList(text)) joined += (joined.empty() ? "" : ",") + item;
      return {joined, {}};
    }
    case SS_TYPE_ENUM: {
      const auto s = trim(text);
      const auto choices = splitList(key.choices ? key.choices : "", '|');
      for (const auto& c : choices)
        if (s == c) return {std::string(s), {}};
      std::string allowed;
      for (const auto& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
      return {std::nullopt, "'" + std::string(s) + "' is not one of: " + allowed};
    }
    default: return {std::nullopt, "the plugin declares an unknown type " + std::to_string(key.type)};
  }
}

// True when `name` matches a declared metric name in which "{label}" segments match any one
// dot-free, non-empty segment.
inline bool metricMatches(std::string_view pattern, std::string_view name) {
  while (true) {
    const auto pdot = pattern.find('.');
    const auto ndot = name.find('.');
    const auto pseg = pattern.substr(0, pdot);
    const auto nseg = name.substr(0, ndot);
    const bool wildcard = pseg.size() >= 2 && pseg.front() == '{' && pseg.back() == '}';
    if (wildcard ? nseg.empty() : pseg != nseg) return false;
    if (pdot == std::string_view::npos || ndot == std::string_view::npos)
      return pdot == std::string_view::npos && ndot == std::string_view::npos;
    pattern.remove_prefix(pdot + 1);
    name.remove_prefix(ndot + 1);
  }
}

// Makes a label value usable as one metric-name segment: dots and blanks become '_'.
inline std::string labelSegment(std::string_view label) {
  std::string out(label);
  for (auto& c : out)
    if (c == '.' || c == ' ' || c == '\t' || c == '/') c = '_';
  return out.empty() ? std::string("_") : out;
}

}  // namespace streamswarm::values

// The value of a parse, or why there is none. Parsers of configuration text and of bytes from the
// network return this instead of throwing, so the probe path and fuzzers see errors as data.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace streamswarm::http_timing {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
};

}  // namespace streamswarm::http_timing

// Reads packet captures kept as text: lines of hex byte pairs, '#' starts a comment. Text so a
// reviewer can read a fixture in a diff, and annotate where it came from.
#pragma once

#include "tests/support/process.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::testsupport {

inline std::vector<std::uint8_t> parseHex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  bool comment = false;
  for (const char c : text) {
    if (c == '\n') comment = false;
    if (comment || c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '#') {
      comment = true;
      continue;
    }
    int nibble = -1;
    if (c >= '0' && c <= '9') nibble = c - '0';
    if (c >= 'a' && c <= 'f') nibble = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') nibble = c - 'A' + 10;
    if (nibble < 0) throw std::runtime_error(std::string("not a hex digit: '") + c + "'");
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
  if (high >= 0) throw std::runtime_error("odd number of hex digits");
  return out;
}

// tests/fixtures/<relative>, parsed.
inline std::vector<std::uint8_t> hexFixture(const std::string& relative) {
  const auto path = sourceDir() / "tests/fixtures" / relative;
  if (!std::filesystem::exists(path)) throw std::runtime_error("no fixture " + path.string());
  return parseHex(readFile(path));
}

}  // namespace streamswarm::testsupport

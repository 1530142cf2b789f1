#include "header_list.hpp"

#include <algorithm>

namespace streamswarm::http_timing {
namespace {

// RFC 9110 tchar.
bool tokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), tokenChar);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool validValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

}  // namespace

bool sameHeaderName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lx = (x >= 'A' && x <= 'Z') ? x - 'A' + 'a' : x;
           const auto ly = (y >= 'A' && y <= 'Z') ? y - 'A' + 'a' : y;
           return lx == ly;
         });
}

bool reservedHeader(std::string_view name) {
  return sameHeaderName(name, "Content-Length") || sameHeaderName(name, "Transfer-Encoding");
}

Parsed<std::vector<Header>> parseHeaderList(const std::vector<std::string>& items) {
  std::vector<Header> out;
  for (const auto& item : items) {
    const std::string_view s(item);
    const auto colon = s.find(':');
    const auto name = colon == std::string_view::npos ? std::string_view() : s.substr(0, colon);
    if (!isToken(name)) {
      if (out.empty()) return Parsed<std::vector<Header>>::fail("'" + item + "' is not a header (write Name: value)");
      const auto more = trim(s);
      if (!validValue(more)) return Parsed<std::vector<Header>>::fail("control character in header value");
      out.back().value += ", " + std::string(more);
      continue;
    }
    if (reservedHeader(name))
      return Parsed<std::vector<Header>>::fail("header '" + std::string(name) +
                                               "' is set by the probe from the body option");
    const auto value = trim(s.substr(colon + 1));
    if (!validValue(value)) return Parsed<std::vector<Header>>::fail("control character in header value");
    out.push_back({std::string(name), std::string(value)});
  }
  return Parsed<std::vector<Header>>::ok(std::move(out));
}

}  // namespace streamswarm::http_timing

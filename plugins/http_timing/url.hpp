// Probe targets and redirect Locations: http(s) URLs, host:port endpoints and host names. Pure and
// total (every input gives a value or a reason), so it is safe on Location headers from the network.
#pragma once

#include "parsed.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace streamswarm::http_timing {

// Longest URL accepted, in a target or a Location header; browsers stop around the same size.
inline constexpr std::size_t kMaxUrlBytes = 8192;

enum class Scheme { kHttp, kHttps };

struct Url {
  Scheme scheme = Scheme::kHttp;
  std::string host;  // lower-case name, or an IP literal without brackets
  std::uint16_t port = 80;
  std::string target = "/";  // path and query as sent in the request line; never empty
  bool ipLiteral = false;
  bool ipv6 = false;  // an IPv6 literal

  bool https() const { return scheme == Scheme::kHttps; }
  std::uint16_t defaultPort() const { return https() ? 443 : 80; }
  // "[::1]:8080" or "example.com" (the port only when it is not the scheme's default).
  std::string authority() const;
  // Scheme, host and port: a connection is reused only for the same origin.
  std::string origin() const;
  std::string text() const;

  friend bool operator==(const Url&, const Url&) = default;
};

// "http://host[:port][/path][?query][#fragment]" or https. The fragment is dropped; spaces and
// bytes above 0x7e in path and query are percent-encoded; other control bytes are refused.
Parsed<Url> parseUrl(std::string_view text);

// A Location header value resolved against the URL it came from (RFC 3986 section 5): absolute,
// scheme-relative ("//host/p"), absolute-path, relative-path and query-only references.
Parsed<Url> resolveLocation(const Url& base, std::string_view location);

// "host:port" or "[v6]:port" for tcp mode: the port is required.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool ipLiteral = false;
  bool ipv6 = false;
  std::string text() const;
};
Parsed<HostPort> parseHostPort(std::string_view text);

// A DNS name for dns mode (an IP literal is refused: there is nothing to resolve).
Parsed<std::string> parseHostName(std::string_view text);

}  // namespace streamswarm::http_timing

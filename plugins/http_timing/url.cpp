#include "url.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

namespace streamswarm::http_timing {
namespace {

// RFC 1035 limits, which getaddrinfo enforces as well.
constexpr std::size_t kMaxHostNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;

bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

std::string_view trimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Host {
  std::string name;
  bool ipLiteral = false;
  bool ipv6 = false;
};

bool validIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool validIpv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// A host as written in an authority: "[v6]", a dotted IPv4 address, or a DNS name.
Parsed<Host> parseHost(std::string_view text) {
  if (text.empty()) return Parsed<Host>::fail("empty host");
  if (text.front() == '[') {
    if (text.size() < 3 || text.back() != ']') return Parsed<Host>::fail("unterminated IPv6 literal");
    const std::string inner(text.substr(1, text.size() - 2));
    if (!validIpv6(inner)) return Parsed<Host>::fail("'" + inner + "' is not an IPv6 address");
    return Parsed<Host>::ok({lowered(inner), true, true});
  }
  std::string name = lowered(text);
  if (name.back() == '.') name.pop_back();  // a fully qualified name; SNI and Host take it without the dot
  if (name.empty()) return Parsed<Host>::fail("empty host");
  if (name.find_first_not_of("0123456789.") == std::string::npos) {
    if (!validIpv4(name)) return Parsed<Host>::fail("'" + name + "' is not a valid IPv4 address");
    return Parsed<Host>::ok({name, true, false});
  }
  if (name.size() > kMaxHostNameBytes) return Parsed<Host>::fail("host name is longer than 253 bytes");
  std::size_t labelStart = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      const auto length = i - labelStart;
      if (length == 0) return Parsed<Host>::fail("empty label in host name '" + name + "'");
      if (length > kMaxLabelBytes) return Parsed<Host>::fail("a label of '" + name + "' is longer than 63 bytes");
      labelStart = i + 1;
      continue;
    }
    const char c = name[i];
    if (static_cast<unsigned char>(c) >= 0x80)
      return Parsed<Host>::fail("non-ASCII host name: give it in punycode (xn--...)");
    if (!isAlpha(c) && !isDigit(c) && c != '-' && c != '_')
      return Parsed<Host>::fail("invalid character '" + std::string(1, c) + "' in host name");
  }
  return Parsed<Host>::ok({name, false, false});
}

Parsed<std::uint16_t> parsePort(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return Parsed<std::uint16_t>::fail("'" + std::string(text) + "' is not a port (1-65535)");
  return Parsed<std::uint16_t>::ok(static_cast<std::uint16_t>(value));
}

struct Authority {
  Host host;
  std::optional<std::uint16_t> port;
};

Parsed<Authority> parseAuthority(std::string_view text) {
  if (text.find('@') != std::string_view::npos)
    return Parsed<Authority>::fail("user information in URLs is not supported (send an Authorization header)");
  std::string_view hostPart = text;
  std::string_view portPart;
  bool hasPort = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return Parsed<Authority>::fail("unterminated IPv6 literal");
    hostPart = text.substr(0, close + 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Parsed<Authority>::fail("unexpected text after IPv6 literal");
      portPart = rest.substr(1);
      hasPort = true;
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    hostPart = text.substr(0, colon);
    portPart = text.substr(colon + 1);
    hasPort = true;
  }
  auto host = parseHost(hostPart);
  if (!host) return Parsed<Authority>::fail(host.error);
  Authority out{std::move(*host.value), std::nullopt};
  if (hasPort && !portPart.empty()) {  // "host:" means the default port (RFC 3986 section 3.2.3)
    const auto port = parsePort(portPart);
    if (!port) return Parsed<Authority>::fail(port.error);
    out.port = *port.value;
  }
  return Parsed<Authority>::ok(std::move(out));
}

// Path and query as they go on the request line: the fragment is dropped, spaces and non-ASCII
// bytes are percent-encoded, and control bytes are refused (they would split the request).
Parsed<std::string> requestTarget(std::string_view pathAndQuery) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(pathAndQuery.size() + 1);
  for (const char ch : pathAndQuery) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '#') break;
    if (c < 0x20 || c == 0x7f) return Parsed<std::string>::fail("control character in URL");
    if (c == ' ' || c > 0x7e) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  return Parsed<std::string>::ok(std::move(out));
}

// RFC 3986 section 5.2.4 on an absolute path.
std::string removeDotSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailingSlash = false;
  std::size_t start = path.empty() || path.front() != '/' ? 0 : 1;
  while (true) {
    const auto next = path.find('/', start);
    const bool last = next == std::string_view::npos;
    const auto segment = path.substr(start, last ? std::string_view::npos : next - start);
    if (segment == ".") {
      trailingSlash = last;
    } else if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailingSlash = last;
    } else {
      segments.push_back(segment);
      trailingSlash = false;
    }
    if (last) break;
    start = next + 1;
  }
  std::string out;
  for (const auto& s : segments) {
    out += '/';
    out += s;
  }
  if (out.empty() || trailingSlash) out += '/';
  return out;
}

// The scheme of an absolute reference ("https" of "https://x"), or empty for a relative one.
std::string_view schemeOf(std::string_view reference) {
  const auto colon = reference.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  if (reference.find_first_of("/?#") < colon) return {};
  const auto scheme = reference.substr(0, colon);
  if (!isAlpha(scheme.front())) return {};
  for (const char c : scheme)
    if (!isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.') return {};
  return scheme;
}

std::string portSuffix(std::uint16_t port, std::uint16_t defaultPort) {
  return port == defaultPort ? std::string() : ":" + std::to_string(port);
}

std::string bracketed(const std::string& host, bool ipv6) {
  return ipv6 ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::authority() const {
  return bracketed(host, ipv6) + portSuffix(port, defaultPort());
}

std::string Url::origin() const {
  return std::string(https() ? "https://" : "http://") + bracketed(host, ipv6) + ":" + std::to_string(port);
}

std::string Url::text() const {
  return std::string(https() ? "https://" : "http://") + authority() + target;
}

Parsed<Url> parseUrl(std::string_view text) {
  if (text.size() > kMaxUrlBytes) return Parsed<Url>::fail("URL is longer than 8192 bytes");
  const auto scheme = schemeOf(text);
  if (scheme.empty()) return Parsed<Url>::fail("missing scheme: write http://host/path or https://host/path");
  Url url;
  const auto name = lowered(scheme);
  if (name == "https")
    url.scheme = Scheme::kHttps;
  else if (name != "http")
    return Parsed<Url>::fail("unsupported scheme '" + name + "' (use http or https)");
  const auto sep = scheme.size();
  if (text.substr(sep, 3) != "://") return Parsed<Url>::fail("expected '//' after '" + name + ":'");
  const auto rest = text.substr(sep + 3);
  const auto authorityEnd = rest.find_first_of("/?#");
  const auto authority = parseAuthority(rest.substr(0, authorityEnd));
  if (!authority) return Parsed<Url>::fail(authority.error);
  url.host = authority.value->host.name;
  url.ipLiteral = authority.value->host.ipLiteral;
  url.ipv6 = authority.value->host.ipv6;
  url.port = authority.value->port.value_or(url.defaultPort());
  const auto target =
      requestTarget(authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd));
  if (!target) return Parsed<Url>::fail(target.error);
  url.target = *target.value;
  return Parsed<Url>::ok(std::move(url));
}

Parsed<Url> resolveLocation(const Url& base, std::string_view location) {
  const auto ref = trimBlanks(location);
  if (ref.empty()) return Parsed<Url>::fail("empty Location");
  if (ref.size() > kMaxUrlBytes) return Parsed<Url>::fail("Location is longer than 8192 bytes");
  if (!schemeOf(ref).empty()) return parseUrl(ref);
  if (ref.substr(0, 2) == "//") return parseUrl(std::string(base.https() ? "https:" : "http:") + std::string(ref));

  const auto withoutFragment = ref.substr(0, ref.find('#'));
  const auto queryAt = withoutFragment.find('?');
  const auto refPath = withoutFragment.substr(0, queryAt);
  const auto baseQueryAt = base.target.find('?');
  const std::string_view basePath = std::string_view(base.target).substr(0, baseQueryAt);
  std::string path;
  std::string query;
  if (refPath.empty()) {
    path = basePath;
    if (queryAt != std::string_view::npos)
      query = withoutFragment.substr(queryAt);
    else if (baseQueryAt != std::string::npos)
      query = base.target.substr(baseQueryAt);
  } else {
    if (refPath.front() == '/')
      path = removeDotSegments(refPath);
    else
      path = removeDotSegments(std::string(basePath.substr(0, basePath.rfind('/') + 1)) + std::string(refPath));
    if (queryAt != std::string_view::npos) query = withoutFragment.substr(queryAt);
  }
  auto target = requestTarget(path + query);
  if (!target) return Parsed<Url>::fail(target.error);
  Url out = base;
  out.target = std::move(*target.value);
  return Parsed<Url>::ok(std::move(out));
}

std::string HostPort::text() const {
  return bracketed(host, ipv6) + ":" + std::to_string(port);
}

Parsed<HostPort> parseHostPort(std::string_view text) {
  if (text.find("://") != std::string_view::npos)
    return Parsed<HostPort>::fail("expected host:port, not a URL (tcp mode connects without HTTP)");
  const auto authority = parseAuthority(text);
  if (!authority) return Parsed<HostPort>::fail(authority.error);
  if (!authority.value->port) return Parsed<HostPort>::fail("missing port: write host:port or [v6]:port");
  const auto& host = authority.value->host;
  return Parsed<HostPort>::ok({host.name, *authority.value->port, host.ipLiteral, host.ipv6});
}

Parsed<std::string> parseHostName(std::string_view text) {
  if (text.find("://") != std::string_view::npos) {
    const auto url = parseUrl(text);
    if (!url) return Parsed<std::string>::fail(url.error);
    if (url.value->ipLiteral)
      return Parsed<std::string>::fail("'" + url.value->host + "' is an IP address: nothing to resolve");
    return Parsed<std::string>::ok(url.value->host);
  }
  auto host = parseHost(text);
  if (!host) return Parsed<std::string>::fail(host.error);
  if (host.value->ipLiteral)
    return Parsed<std::string>::fail("'" + host.value->name + "' is an IP address: nothing to resolve");
  return Parsed<std::string>::ok(std::move(host.value->name));
}

}  // namespace streamswarm::http_timing

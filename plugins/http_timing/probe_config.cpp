#include "probe_config.hpp"

#include <streamswarm/config_values.hpp>

#include <algorithm>

namespace streamswarm::http_timing {
namespace {

constexpr double kMinTimeoutSeconds = 0.001;
constexpr double kMaxTimeoutSeconds = 300;
constexpr double kMaxRedirectsLimit = 50;
constexpr double kMaxBodyBytesLimit = 1024.0 * 1024 * 1024;
constexpr double kMaxConcurrency = 64;

constexpr ss_config_key kConfigKeys[] = {
    option("url", SS_TYPE_STRING, "", "One URL to probe (http:// or https://); commas allowed. Or use targets"),
    option("targets", SS_TYPE_LIST, "",
           "What to probe, comma-separated: URLs (mode http), host names (mode dns) or host:port (mode tcp)"),
    choice("mode", "http", "http|dns|tcp",
           "http: the full request; dns: name resolution only; tcp: resolution and TCP connect only"),
    option("method", SS_TYPE_STRING, "GET", "Request method (HEAD reads no body)"),
    option("headers", SS_TYPE_LIST, "",
           "Request headers 'Name: value', comma-separated; an item without 'Name:' continues the previous value"),
    option("body", SS_TYPE_STRING, "", "Request body, sent with Content-Length"),
    option("expect_status", SS_TYPE_LIST, "200-299",
           "Final status codes that count as success: codes (204), ranges (200-299) or classes (2xx)"),
    option("expect_body", SS_TYPE_STRING, "", "Text the final body (decoded) must contain"),
    option("expect_regex", SS_TYPE_STRING, "", "Perl regular expression the final body (decoded) must match"),
    option("follow_redirects", SS_TYPE_BOOL, "true", "Follow 301/302/303/307/308 to their Location"),
    option("max_redirects", SS_TYPE_INT, "10", "Redirects followed before the probe fails in phase redirect", 0,
           kMaxRedirectsLimit),
    option("timeout", SS_TYPE_DURATION, "10s",
           "Limit for one target's whole probe, redirects included; keep targets/concurrency x timeout below "
           "run_timeout",
           kMinTimeoutSeconds, kMaxTimeoutSeconds),
    choice("ip_family", "any", "any|ipv4|ipv6", "Address family to resolve and connect with"),
    option("ca_file", SS_TYPE_STRING, "",
           "PEM file of CA certificates to verify servers against, instead of the system store"),
    option("insecure_skip_verify", SS_TYPE_BOOL, "false",
           "Report certificate verification but do not fail the probe on it"),
    option("max_body_bytes", SS_TYPE_INT, "10485760",
           "Largest response body read, as sent and decoded; a larger one fails the transfer phase", 0,
           kMaxBodyBytesLimit),
    option("concurrency", SS_TYPE_INT, "8", "Targets probed at the same time (1 probes one after another)", 1,
           kMaxConcurrency),
};

// The option's normalised text, or its declared default when the caller built Options by hand.
std::string text(const Options& options, std::string_view name) {
  if (options.has(name)) return options.text(name);
  for (const auto& key : kConfigKeys)
    if (name == key.name) return key.default_value;
  throw ConfigError("unknown option '" + std::string(name) + "'");
}

[[noreturn]] void reject(std::string_view name, const std::string& why) {
  throw ConfigError("option '" + std::string(name) + "': " + why);
}

const ss_config_key& keyOf(std::string_view name) {
  for (const auto& key : kConfigKeys)
    if (name == key.name) return key;
  throw ConfigError("unknown option '" + std::string(name) + "'");
}

// Checked against the declared type and bounds again: Options built by hand skip the agent's check.
std::string checked(const Options& options, std::string_view name) {
  const auto result = values::check(keyOf(name), text(options, name));
  if (!result.value) reject(name, result.error);
  return *result.value;
}

std::int64_t integer(const Options& options, std::string_view name) {
  return *values::parseInt(checked(options, name));
}

bool flag(const Options& options, std::string_view name) {
  return *values::parseBool(checked(options, name));
}

// check() bounds the value and normalises it to "<n>ns", which parseDurationNs reads back.
Nanos duration(const Options& options, std::string_view name) {
  return Nanos(*values::parseDurationNs(checked(options, name)));
}

bool methodToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

std::vector<Target> parseTargets(const Options& options, Mode mode, IpFamily family) {
  const auto url = text(options, "url");
  const auto list = values::splitList(text(options, "targets"));
  if (!url.empty() && !list.empty()) reject("url", "give either url or targets, not both");
  if (url.empty() && list.empty())
    reject("targets", "nothing to probe: set url (one URL) or targets (a comma-separated list)");
  const std::string_view source = url.empty() ? "targets" : "url";
  std::vector<std::string> items = url.empty() ? list : std::vector<std::string>{url};
  if (items.size() > kMaxTargets)
    reject(source, std::to_string(items.size()) + " targets; at most " + std::to_string(kMaxTargets) +
                       " per instance (split them over [plugin.http_timing.NAME] sections)");
  std::vector<Target> out;
  for (const auto& item : items) {
    Target t;
    t.label = item;
    bool literal = false;
    bool v6 = false;
    if (mode == Mode::kHttp) {
      auto parsed = parseUrl(item);
      if (!parsed) reject(source, "'" + item + "' is not a valid URL: " + parsed.error);
      t.url = std::move(*parsed.value);
      literal = t.url.ipLiteral;
      v6 = t.url.ipv6;
    } else if (mode == Mode::kTcp) {
      auto parsed = parseHostPort(item);
      if (!parsed) reject(source, "'" + item + "' is not host:port: " + parsed.error);
      t.endpoint = std::move(*parsed.value);
      literal = t.endpoint.ipLiteral;
      v6 = t.endpoint.ipv6;
    } else {
      auto parsed = parseHostName(item);
      if (!parsed) reject(source, "'" + item + "' is not a host name: " + parsed.error);
      t.endpoint.host = std::move(*parsed.value);
    }
    if (literal && !familyAllowed(family, v6))
      reject(source, "'" + item + "' is an " + (v6 ? "IPv6" : "IPv4") + " address but ip_family is " +
                         std::string(familyName(family)));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

std::string_view modeName(Mode mode) {
  switch (mode) {
    case Mode::kHttp: return "http";
    case Mode::kDns: return "dns";
    case Mode::kTcp: return "tcp";
  }
  return "http";
}

bool familyAllowed(IpFamily family, bool ipv6) {
  return family == IpFamily::kAny || (family == IpFamily::kIpv6) == ipv6;
}

std::string_view familyName(IpFamily family) {
  switch (family) {
    case IpFamily::kAny: return "any";
    case IpFamily::kIpv4: return "ipv4";
    case IpFamily::kIpv6: return "ipv6";
  }
  return "any";
}

std::span<const ss_config_key> configKeys() {
  return kConfigKeys;
}

ProbeConfig ProbeConfig::fromOptions(const Options& options) {
  ProbeConfig c;
  const auto mode = checked(options, "mode");
  c.mode = mode == "dns" ? Mode::kDns : mode == "tcp" ? Mode::kTcp : Mode::kHttp;
  const auto family = checked(options, "ip_family");
  c.ipFamily = family == "ipv4" ? IpFamily::kIpv4 : family == "ipv6" ? IpFamily::kIpv6 : IpFamily::kAny;
  c.targets = parseTargets(options, c.mode, c.ipFamily);

  c.method = checked(options, "method");
  if (!methodToken(c.method)) reject("method", "'" + c.method + "' is not an HTTP method token");
  auto headers = parseHeaderList(values::splitList(text(options, "headers")));
  if (!headers) reject("headers", headers.error);
  c.headers = std::move(*headers.value);
  c.body = text(options, "body");

  auto status = StatusRanges::parse(values::splitList(checked(options, "expect_status")));
  if (!status) reject("expect_status", status.error);
  c.expectStatus = std::move(*status.value);
  auto body = BodyCheck::make(text(options, "expect_body"), text(options, "expect_regex"));
  if (!body) reject("expect_regex", body.error);
  c.bodyCheck = std::move(*body.value);

  c.followRedirects = flag(options, "follow_redirects");
  c.maxRedirects = static_cast<int>(integer(options, "max_redirects"));
  c.timeout = duration(options, "timeout");
  c.caFile = text(options, "ca_file");
  c.insecureSkipVerify = flag(options, "insecure_skip_verify");
  c.maxBodyBytes = static_cast<std::uint64_t>(integer(options, "max_body_bytes"));
  c.concurrency = static_cast<int>(integer(options, "concurrency"));
  return c;
}

}  // namespace streamswarm::http_timing

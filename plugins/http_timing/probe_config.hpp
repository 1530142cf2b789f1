// The plugin's options, declared and checked: every target parsed and every value validated when
// the agent creates the instance, so a bad URL stops the agent at start-up (ConfigError naming the
// option) instead of failing every run.
#pragma once

#include "body_check.hpp"
#include "header_list.hpp"
#include "phase_timings.hpp"
#include "status_ranges.hpp"
#include "url.hpp"

#include <streamswarm/plugin.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::http_timing {

// Targets one instance probes; more belong in another [plugin.http_timing.NAME] section.
inline constexpr std::size_t kMaxTargets = 256;

enum class Mode { kHttp, kDns, kTcp };
enum class IpFamily { kAny, kIpv4, kIpv6 };

std::string_view modeName(Mode mode);

struct Target {
  std::string label;  // the result's target: the URL, host name or host:port as configured
  Url url;            // mode http
  HostPort endpoint;  // mode tcp; mode dns uses endpoint.host only
};

struct ProbeConfig {
  Mode mode = Mode::kHttp;
  std::vector<Target> targets;
  std::string method = "GET";
  std::vector<Header> headers;
  std::string body;
  StatusRanges expectStatus;
  BodyCheck bodyCheck;
  bool followRedirects = true;
  int maxRedirects = 10;
  Nanos timeout{10'000'000'000};
  IpFamily ipFamily = IpFamily::kAny;
  std::string caFile;
  bool insecureSkipVerify = false;
  std::uint64_t maxBodyBytes = 10 * 1024 * 1024;
  int concurrency = 8;

  // Throws ConfigError naming the option and the reason.
  static ProbeConfig fromOptions(const Options& options);
};

std::span<const ss_config_key> configKeys();

// Whether an address family is allowed by ip_family.
bool familyAllowed(IpFamily family, bool ipv6);
std::string_view familyName(IpFamily family);

}  // namespace streamswarm::http_timing

// Certificate validity dates: the ASN.1 time strings of X.509 (RFC 5280 section 4.1.2.5) and the
// arithmetic on them. Pure, so the expiry figures are tested without clocks or certificates.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::http_timing {

using SysSeconds = std::chrono::sys_seconds;

// UTCTime "YYMMDDHHMMSSZ" (years 50-99 are 19xx) or GeneralizedTime "YYYYMMDDHHMMSSZ", the only
// forms RFC 5280 allows. Anything else (fractions, offsets, bad dates) is refused.
std::optional<SysSeconds> parseAsn1Time(std::string_view text, bool generalized);

// Days from `now` to `notAfter`, fractional; negative once expired.
double daysUntil(SysSeconds notAfter, std::chrono::system_clock::time_point now);

// "2025-01-31T23:59:59Z".
std::string rfc3339(SysSeconds t);

}  // namespace streamswarm::http_timing

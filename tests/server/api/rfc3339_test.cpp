#define BOOST_TEST_MODULE server_rfc3339
#include "server/api/rfc3339.hpp"

#include <boost/test/unit_test.hpp>

using namespace streamswarm::server;

namespace {
constexpr TimeNs kS = 1'000'000'000;
// 2026-11-21T23:41:53Z: 20,778 days after 1970-01-01 (Python datetime agrees: 1795304513 s).
constexpr TimeNs kSample = (20'778LL * 86'400 + 23 * 3600 + 41 * 60 + 53) * kS;
}  // namespace

BOOST_AUTO_TEST_CASE(utc_forms) {
  BOOST_TEST(parseRfc3339("1970-01-01T00:00:00Z").value() == 0);
  BOOST_TEST(parseRfc3339("2026-11-21T23:41:53Z").value() == kSample);
  BOOST_TEST(parseRfc3339("2026-11-21t23:41:53z").value() == kSample);
  BOOST_TEST(parseRfc3339("2026-11-21 23:41:53Z").value() == kSample);
  BOOST_TEST(parseRfc3339("2026-11-21T23:41:53.660623Z").value() == kSample + 660'623'000);
  BOOST_TEST(parseRfc3339("2026-11-21T23:41:53.5Z").value() == kSample + 500'000'000);
  BOOST_TEST(parseRfc3339("2026-11-21T23:41:53.123456789Z").value() == kSample + 123'456'789);
}

BOOST_AUTO_TEST_CASE(offsets_are_applied) {
  BOOST_TEST(parseRfc3339("2026-11-22T01:41:53+02:00").value() == kSample);
  BOOST_TEST(parseRfc3339("2026-11-21T18:11:53.25-05:30").value() == kSample + 250'000'000);
  BOOST_TEST(parseRfc3339("2026-11-21T23:41:53+00:00").value() == kSample);
}

BOOST_AUTO_TEST_CASE(calendar_edges) {
  BOOST_TEST(parseRfc3339("2024-02-29T00:00:00Z").has_value());   // leap year
  BOOST_TEST(!parseRfc3339("2025-02-29T00:00:00Z").has_value());  // not one
  BOOST_TEST(parseRfc3339("2000-02-29T00:00:00Z").has_value());   // divisible by 400
  BOOST_TEST(!parseRfc3339("2100-02-29T00:00:00Z").has_value());  // divisible by 100 only
  BOOST_TEST(parseRfc3339("2026-12-31T23:59:60Z").value() == parseRfc3339("2027-01-01T00:00:00Z").value());
}

BOOST_AUTO_TEST_CASE(times_past_what_nanoseconds_hold_are_refused) {
  BOOST_TEST(parseRfc3339("2262-04-11T23:47:16.854775807Z").value() == INT64_MAX);
  BOOST_TEST(!parseRfc3339("2262-04-11T23:47:16.854775808Z").has_value());
  BOOST_TEST(!parseRfc3339("2262-04-11T23:47:17Z").has_value());
  BOOST_TEST(!parseRfc3339("2262-04-11T23:47:16.854775807-00:01").has_value());
  BOOST_TEST(!parseRfc3339("9999-12-31T23:59:59.999999999Z").has_value());
}

BOOST_AUTO_TEST_CASE(malformed_times_are_refused) {
  for (const auto* bad : {"",
                          "2026-11-21",
                          "2026-11-21T23:41:53",
                          "2026-11-21T23:41Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-01T00:00:00Z",
                          "2026-11-31T00:00:00Z",
                          "2026-11-21T24:00:00Z",
                          "2026-11-21T23:60:00Z",
                          "2026-11-21T23:41:61Z",
                          "2026-11-21T23:41:53.Z",
                          "2026-11-21T23:41:53.1234567891Z",
                          "2026-11-21T23:41:53+2:00",
                          "2026-11-21T23:41:53+02",
                          "2026-11-21T23:41:53+24:00",
                          "2026-11-21X23:41:53Z",
                          "2026-11-21T23:41:53ZZ",
                          "1969-12-31T23:59:59Z",
                          "1970-01-01T00:00:00+00:01",
                          "２０２６-11-21T23:41:53Z",
                          "2026/11/21T23:41:53Z",
                          "+2026-11-21T23:41:53Z"})
    BOOST_TEST(!parseRfc3339(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(formatting_round_trips_at_microsecond_precision) {
  const TimeNs t = kSample + 660'623'000;
  BOOST_TEST(formatRfc3339(t) == "2026-11-21T23:41:53.660623Z");
  BOOST_TEST(parseRfc3339(formatRfc3339(t)).value() == t);
}

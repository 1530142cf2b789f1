#define BOOST_TEST_MODULE netprobe_statistics
#include "common/icmp_privilege.hpp"
#include "common/name_resolver.hpp"
#include "common/rtt_statistics.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cmath>
#include <optional>
#include <vector>

using namespace streamswarm::netprobe;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_SUITE(rtt)

BOOST_AUTO_TEST_CASE(summary_of_known_values) {
  RttAccumulator a;
  for (double v : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) a.add(v);
  const auto s = a.summary();
  BOOST_TEST(s.count == 8u);
  BOOST_TEST(s.min == 2.0);
  BOOST_TEST(s.max == 9.0);
  BOOST_TEST(s.mean == 5.0, tt::tolerance(1e-12));
  BOOST_TEST(s.stddevPopulation == 2.0, tt::tolerance(1e-12));  // the textbook example
  BOOST_TEST(s.stddevSample == std::sqrt(32.0 / 7.0), tt::tolerance(1e-12));
  BOOST_TEST(s.last == 9.0);
}

BOOST_AUTO_TEST_CASE(empty_and_single) {
  BOOST_TEST(RttAccumulator().summary().count == 0u);
  RttAccumulator one;
  one.add(0.25);
  const auto s = one.summary();
  BOOST_TEST(s.mean == 0.25);
  BOOST_TEST(s.stddevPopulation == 0.0);
  BOOST_TEST(s.stddevSample == 0.0);
}

BOOST_AUTO_TEST_CASE(large_offsets_keep_precision) {
  // Naive sum-of-squares loses these digits; Welford does not.
  RttAccumulator a;
  for (double v : {1e9 + 0.001, 1e9 + 0.002, 1e9 + 0.003}) a.add(v);
  BOOST_TEST(a.summary().stddevPopulation == std::sqrt(2.0 / 3.0) * 0.001, tt::tolerance(1e-3));
}

BOOST_AUTO_TEST_CASE(jitter_rfc3550_and_mean_difference) {
  const std::vector<std::optional<double>> rtts = {10.0, 12.0, std::nullopt, 11.0, 11.0};
  const auto j = jitterOf(rtts);
  BOOST_TEST(j.pairs == 3u);  // (10,12), (12,11) across the loss, (11,11)
  BOOST_TEST(j.meanAbsoluteDifference == (2.0 + 1.0 + 0.0) / 3.0, tt::tolerance(1e-12));
  // J1 = 2/16; J2 = J1 + (1 - J1)/16; J3 = J2 + (0 - J2)/16
  double expected = 2.0 / 16;
  expected += (1.0 - expected) / 16;
  expected += (0.0 - expected) / 16;
  BOOST_TEST(j.rfc3550 == expected, tt::tolerance(1e-12));
  BOOST_TEST(jitterOf(std::vector<std::optional<double>>{5.0}).pairs == 0u);
  BOOST_TEST(jitterOf({}).rfc3550 == 0.0);
}

BOOST_AUTO_TEST_CASE(loss) {
  BOOST_TEST(lossPercent(0, 0) == 0.0);
  BOOST_TEST(lossPercent(10, 7) == 30.0, tt::tolerance(1e-12));
  BOOST_TEST(lossPercent(3, 5) == 0.0);  // duplicates never make negative loss
  BOOST_TEST(lossPercent(4, 0) == 100.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(privilege)

BOOST_AUTO_TEST_CASE(group_range) {
  const auto r = parseGroupRange("1\t0\n");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(!r->admits(0));
  BOOST_TEST(!r->admits(1));
  const auto all = parseGroupRange("0 2147483647");
  BOOST_TEST(all->admits(65534));
  BOOST_TEST(!parseGroupRange("0"));
  BOOST_TEST(!parseGroupRange("a b"));
  BOOST_TEST(!parseGroupRange("0 1 2"));
}

BOOST_AUTO_TEST_CASE(message_names_both_privileges_and_the_remedies) {
  const std::vector<gid_t> groups = {65534};
  const auto text = icmpPrivilegeError(Family::V4, {true, EPERM}, {true, EACCES}, GroupRange{1, 0}, groups);
  BOOST_TEST(text.find("CAP_NET_RAW") != std::string::npos);
  BOOST_TEST(text.find("ping_group_range") != std::string::npos);
  BOOST_TEST(text.find("\"1 0\"") != std::string::npos);
  BOOST_TEST(text.find("65534") != std::string::npos);
  BOOST_TEST(text.find("setcap cap_net_raw+ep") != std::string::npos);

  const auto rawOnly = icmpPrivilegeError(Family::V6, {true, EPERM}, {}, std::nullopt, groups);
  BOOST_TEST(rawOnly.find("ICMPv6") != std::string::npos);
  BOOST_TEST(rawOnly.find("ping_group_range") == std::string::npos);

  const auto other = icmpPrivilegeError(Family::V4, {}, {true, EAFNOSUPPORT}, std::nullopt, groups);
  BOOST_TEST(other.find("ping socket: ") != std::string::npos);
  BOOST_TEST(other.find("CAP_NET_RAW") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(resolution)

BOOST_AUTO_TEST_CASE(numeric_addresses_skip_the_resolver_and_respect_the_family) {
  const std::vector<std::string> names = {"192.0.2.7", "2001:db8::7"};
  const auto any = resolveAll(names, FamilyChoice::Any);
  BOOST_TEST(any[0].address->toString() == "192.0.2.7");
  BOOST_TEST(any[0].numeric);
  BOOST_TEST(any[0].duration.count() == 0);
  BOOST_TEST(any[1].address->toString() == "2001:db8::7");
  const auto v4 = resolveAll(names, FamilyChoice::V4);
  BOOST_TEST(v4[0].address.has_value());
  BOOST_TEST(!v4[1].address.has_value());
  BOOST_TEST(v4[1].error.find("not an IPv4 address") != std::string::npos);
  BOOST_TEST((familyChoiceFromName("ipv6") == FamilyChoice::V6));
  BOOST_TEST(!familyChoiceFromName("ip6"));
}

BOOST_AUTO_TEST_SUITE_END()

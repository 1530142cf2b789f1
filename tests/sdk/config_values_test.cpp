#define BOOST_TEST_MODULE sdk_config_values
// The option-value rules that the agent (validating a config file) and a plugin (reading its
// options back) share through <streamswarm/config_values.hpp>.
#include <streamswarm/config_values.hpp>
#include <streamswarm/plugin.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace values = streamswarm::values;
using streamswarm::choice;
using streamswarm::option;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

std::string errorOf(const ss_config_key& key, const std::string& text) {
  const auto checked = values::check(key, text);
  BOOST_TEST(!checked.value, "'" << text << "' was accepted as '" << checked.value.value_or("") << "'");
  return checked.error;
}

std::string valueOf(const ss_config_key& key, const std::string& text) {
  const auto checked = values::check(key, text);
  BOOST_TEST(checked.value.has_value(), "'" << text << "' was rejected: " << checked.error);
  return checked.value.value_or("");
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(durations_in_every_unit_and_bare_seconds) {
  BOOST_TEST(values::parseDurationNs("500ns").value() == 500);
  BOOST_TEST(values::parseDurationNs("100us").value() == 100'000);
  BOOST_TEST(values::parseDurationNs("250ms").value() == 250 * kMs);
  BOOST_TEST(values::parseDurationNs("1.5s").value() == 1'500 * kMs);
  BOOST_TEST(values::parseDurationNs("2m").value() == 120 * kS);
  BOOST_TEST(values::parseDurationNs("3h").value() == 3 * 3600 * kS);
  BOOST_TEST(values::parseDurationNs("10").value() == 10 * kS);
  BOOST_TEST(values::parseDurationNs(" 5 s ").value() == 5 * kS);
  BOOST_TEST(values::parseDurationNs("0ms").value() == 0);
}

BOOST_AUTO_TEST_CASE(durations_that_are_not) {
  for (const auto* text : {"", "ms", "fast", "-1s", "1d", "5 parsecs", "1.2.3s", "1e30s"})
    BOOST_TEST(!values::parseDurationNs(text).has_value(), "'" << text << "' parsed");
}

BOOST_AUTO_TEST_CASE(booleans_in_all_spellings) {
  for (const auto* text : {"true", "yes", "on", "1", " yes "}) BOOST_TEST(values::parseBool(text).value() == true);
  for (const auto* text : {"false", "no", "off", "0"}) BOOST_TEST(values::parseBool(text).value() == false);
  for (const auto* text : {"", "maybe", "2", "y"}) BOOST_TEST(!values::parseBool(text).has_value(), text);
}

BOOST_AUTO_TEST_CASE(numbers_are_whole_and_finite) {
  BOOST_TEST(values::parseInt(" -7 ").value() == -7);
  for (const auto* text : {"", "4.2", "12abc", "9223372036854775808"}) BOOST_TEST(!values::parseInt(text), text);
  BOOST_TEST(values::parseDouble("2.5").value() == 2.5);
  for (const auto* text : {"", "nan", "inf", "1.5x", "1e999"}) BOOST_TEST(!values::parseDouble(text), text);
}

BOOST_AUTO_TEST_CASE(lists_drop_blank_items) {
  BOOST_TEST(values::splitList(" a, b ,,c ") == (std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(values::splitList(" , ").empty());
  BOOST_TEST(values::splitList("x|y", '|') == (std::vector<std::string>{"x", "y"}));
}

BOOST_AUTO_TEST_CASE(check_string_and_list_normalise_blanks) {
  BOOST_TEST(valueOf(option("s", SS_TYPE_STRING, "", ""), "  hi there ") == "hi there");
  BOOST_TEST(valueOf(option("l", SS_TYPE_LIST, "", ""), " a, ,b ") == "a,b");
}

BOOST_AUTO_TEST_CASE(check_integer_with_and_without_bounds) {
  const auto bounded = option("n", SS_TYPE_INT, "1", "", 1, 10);
  BOOST_TEST(valueOf(bounded, " 7 ") == "7");
  BOOST_TEST(valueOf(bounded, "1") == "1");
  BOOST_TEST(valueOf(bounded, "10") == "10");
  BOOST_TEST(errorOf(bounded, "0") == "0 is outside 1..10");
  BOOST_TEST(errorOf(bounded, "11") == "11 is outside 1..10");
  BOOST_TEST(errorOf(bounded, "x") == "'x' is not an integer");
  // option()'s default bounds (min > max) mean "unbounded".
  BOOST_TEST(valueOf(option("n", SS_TYPE_INT, "1", ""), "-5") == "-5");
}

BOOST_AUTO_TEST_CASE(check_number_with_bounds) {
  const auto key = option("d", SS_TYPE_DOUBLE, "0", "", -1, 1);
  BOOST_TEST(valueOf(key, " 0.5 ") == "0.5");
  BOOST_TEST(valueOf(key, "-1") == "-1");
  BOOST_TEST(errorOf(key, "1.5") == "1.5 is outside -1..1");
  BOOST_TEST(has(errorOf(key, "half"), "is not a number"));
}

BOOST_AUTO_TEST_CASE(check_boolean_normalises_to_true_false) {
  const auto key = option("b", SS_TYPE_BOOL, "false", "");
  BOOST_TEST(valueOf(key, "yes") == "true");
  BOOST_TEST(valueOf(key, "off") == "false");
  BOOST_TEST(has(errorOf(key, "nope"), "is not a boolean"));
}

BOOST_AUTO_TEST_CASE(check_duration_holds_nanoseconds_and_bounds_in_seconds) {
  const auto key = option("t", SS_TYPE_DURATION, "1s", "", 0.1, 5);
  // The ABI promises durations in nanoseconds; whether a unit follows is the normaliser's choice.
  BOOST_TEST(valueOf(key, "250ms").rfind("250000000", 0) == 0u);
  BOOST_TEST(valueOf(key, "5s").rfind("5000000000", 0) == 0u);
  BOOST_TEST(has(errorOf(key, "50ms"), "(in seconds)"));
  BOOST_TEST(has(errorOf(key, "6s"), "outside 0.1..5"));
  BOOST_TEST(has(errorOf(key, "soon"), "is not a duration"));
}

BOOST_AUTO_TEST_CASE(check_enum_accepts_only_its_choices) {
  const auto key = choice("family", "any", "any|ipv4|ipv6", "");
  BOOST_TEST(valueOf(key, " ipv6 ") == "ipv6");
  BOOST_TEST(errorOf(key, "ipv5") == "'ipv5' is not one of: any, ipv4, ipv6");
  BOOST_TEST(errorOf(key, "") == "'' is not one of: any, ipv4, ipv6");
  const ss_config_key noChoices{"e", SS_TYPE_ENUM, nullptr, "", 1, 0, nullptr};
  BOOST_TEST(has(errorOf(noChoices, "x"), "is not one of"));
}

BOOST_AUTO_TEST_CASE(check_unknown_type_is_the_plugins_fault) {
  const ss_config_key key{"k", 99, nullptr, "", 1, 0, nullptr};
  BOOST_TEST(errorOf(key, "x") == "the plugin declares an unknown type 99");
  BOOST_TEST(std::string(values::typeName(99)) == "unknown");
  BOOST_TEST(std::string(values::typeName(SS_TYPE_DURATION)) == "duration");
}

BOOST_AUTO_TEST_CASE(metric_names_match_label_segments) {
  BOOST_TEST(values::metricMatches("cpu.usage", "cpu.usage"));
  BOOST_TEST(values::metricMatches("disk.{device}.read", "disk.sda.read"));
  BOOST_TEST(values::metricMatches("{a}.{b}", "x.y"));
  BOOST_TEST(values::metricMatches("net.{if}", "net.eth0"));
  BOOST_TEST(!values::metricMatches("cpu.usage", "cpu.usage2"));
  BOOST_TEST(!values::metricMatches("disk.{device}.read", "disk.read"));       // the label is missing
  BOOST_TEST(!values::metricMatches("disk.{device}.read", "disk..read"));      // an empty label
  BOOST_TEST(!values::metricMatches("disk.{device}.read", "disk.sd.a.read"));  // a label spans one segment
  BOOST_TEST(!values::metricMatches("a.b", "a.b.c"));
  BOOST_TEST(!values::metricMatches("a.b.c", "a.b"));
  BOOST_TEST(!values::metricMatches("net.{if}", "net."));
}

BOOST_AUTO_TEST_CASE(label_segments_have_no_dots_or_blanks) {
  BOOST_TEST(values::labelSegment("sda1") == "sda1");
  BOOST_TEST(values::labelSegment("eth0.100") == "eth0_100");
  BOOST_TEST(values::labelSegment("my disk\tx") == "my_disk_x");
  BOOST_TEST(values::labelSegment("/dev/sda") == "_dev_sda");
  BOOST_TEST(values::labelSegment("") == "_");
  BOOST_TEST(values::metricMatches("disk.{device}.read", "disk." + values::labelSegment("dm-0.x y") + ".read"));
}

#define BOOST_TEST_MODULE sdk_options
// streamswarm::Options: what the agent does with a config section before a plugin sees it
// (Options::validated), and how the plugin reads the values back typed.
#include <streamswarm/plugin.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using streamswarm::ConfigError;
using streamswarm::option;
using streamswarm::Options;

namespace {

constexpr ss_config_key kKeys[] = {
    option("host", SS_TYPE_STRING, nullptr, "required: no default"),
    option("count", SS_TYPE_INT, "3", "", 1, 10),
    option("ratio", SS_TYPE_DOUBLE, "0.5", "", 0, 1),
    option("verbose", SS_TYPE_BOOL, "no", ""),
    option("timeout", SS_TYPE_DURATION, "2s", "", 0, 60),
    option("tags", SS_TYPE_LIST, "", "empty default: not set"),
    streamswarm::choice("mode", "fast", "fast|slow", ""),
};

Options validated(const std::map<std::string, std::string>& given) {
  return Options::validated(kKeys, given);
}

// The message of the ConfigError that `f` throws, or "" when it throws none.
template <class F>
std::string configError(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(unknown_key_is_named) {
  BOOST_TEST(configError([] { validated({{"host", "h"}, {"colour", "red"}}); }) == "unknown option 'colour'");
}

BOOST_AUTO_TEST_CASE(missing_required_key_is_named) {
  BOOST_TEST(configError([] { validated({}); }) == "missing required option 'host'");
}

BOOST_AUTO_TEST_CASE(bad_value_names_the_option_and_the_reason) {
  BOOST_TEST(configError([] { validated({{"host", "h"}, {"count", "0"}}); }) == "option 'count': 0 is outside 1..10");
  BOOST_TEST(configError([] {
               validated({{"host", "h"}, {"mode", "warp"}});
             }) == "option 'mode': 'warp' is not one of: fast, slow");
}

BOOST_AUTO_TEST_CASE(defaults_are_filled_in_and_normalised) {
  const auto o = validated({{"host", " example.org "}});
  BOOST_TEST(o.text("host") == "example.org");
  BOOST_TEST(o.integer("count") == 3);
  BOOST_TEST(o.number("ratio") == 0.5);
  BOOST_TEST(o.text("verbose") == "false");  // "no", normalised
  BOOST_TEST(o.boolean("verbose") == false);
  BOOST_TEST(o.text("mode") == "fast");
  BOOST_TEST(o.has("tags"));
  BOOST_TEST(!o.isSet("tags"));  // an empty default means "not set"
  BOOST_TEST(o.list("tags").empty());
  BOOST_TEST(o.all().size() == std::size(kKeys));
}

BOOST_AUTO_TEST_CASE(given_values_are_normalised) {
  const auto o = validated({{"host", "h"}, {"count", " 7 "}, {"verbose", "on"}, {"tags", " a, ,b "}, {"ratio", "1"}});
  BOOST_TEST(o.text("count") == "7");
  BOOST_TEST(o.text("verbose") == "true");
  BOOST_TEST(o.text("tags") == "a,b");
  BOOST_TEST(o.list("tags") == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(o.number("ratio") == 1.0);
  BOOST_TEST(o.isSet("tags"));
}

// The agent normalises durations before a plugin reads them; the round trip must keep the value.
BOOST_AUTO_TEST_CASE(validated_duration_reads_back_unchanged) {
  const auto o = validated({{"host", "h"}, {"timeout", "250ms"}});
  BOOST_TEST(o.duration("timeout").count() == std::chrono::nanoseconds(std::chrono::milliseconds(250)).count());
  BOOST_TEST(validated({{"host", "h"}}).duration("timeout").count() ==
             std::chrono::nanoseconds(std::chrono::seconds(2)).count());
}

BOOST_AUTO_TEST_CASE(unvalidated_durations_keep_their_unit) {
  const Options o(std::map<std::string, std::string>{{"t", "1.5s"}, {"u", "20ms"}});
  BOOST_TEST(o.duration("t").count() == 1'500'000'000);
  BOOST_TEST(o.duration("u").count() == 20'000'000);
}

BOOST_AUTO_TEST_CASE(typed_reads_of_the_wrong_kind_throw_config_error) {
  const Options o(std::map<std::string, std::string>{{"word", "abc"}});
  BOOST_TEST(configError([&] { o.integer("word"); }) == "option 'word' is not an integer");
  BOOST_TEST(configError([&] { o.number("word"); }) == "option 'word' is not a number");
  BOOST_TEST(configError([&] { o.boolean("word"); }) == "option 'word' is not a boolean");
  BOOST_TEST(configError([&] { o.duration("word"); }) == "option 'word' is not a duration");
  BOOST_TEST(configError([&] { o.text("absent"); }) == "missing option 'absent'");
  BOOST_TEST(!o.has("absent"));
}

BOOST_AUTO_TEST_CASE(options_from_the_c_abi_skip_null_entries) {
  const ss_option raw[] = {{"a", "1"}, {nullptr, "x"}, {"b", nullptr}, {"c", "three"}};
  const Options o(raw, std::size(raw));
  BOOST_TEST(o.all().size() == 2u);
  BOOST_TEST(o.integer("a") == 1);
  BOOST_TEST(o.text("c") == "three");
  BOOST_TEST(!o.has("b"));
}

BOOST_AUTO_TEST_CASE(declaration_helpers_fill_the_c_structs) {
  constexpr auto unbounded = option("n", SS_TYPE_INT, "1", "doc");
  BOOST_TEST(unbounded.min_value > unbounded.max_value);  // min > max: no bounds
  BOOST_TEST(unbounded.choices == nullptr);
  constexpr auto e = streamswarm::choice("m", "a", "a|b", "doc");
  BOOST_TEST(e.type == static_cast<std::uint32_t>(SS_TYPE_ENUM));
  BOOST_TEST(std::string(e.choices) == "a|b");
  constexpr auto m = streamswarm::metric("x.{y}", "ms", SS_METRIC_RATE, "doc");
  BOOST_TEST(m.kind == static_cast<std::uint32_t>(SS_METRIC_RATE));
  BOOST_TEST(std::string(m.unit) == "ms");
}

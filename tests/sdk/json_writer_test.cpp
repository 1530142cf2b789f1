#define BOOST_TEST_MODULE sdk_json_writer
// streamswarm::JsonWriter, which plugins use for their result documents: output must be valid
// JSON (checked with Boost.JSON) and misuse must throw instead of writing broken JSON.
#include <streamswarm/document.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

using streamswarm::JsonWriter;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(strings_are_escaped_and_round_trip) {
  const std::string nasty = "quote\" backslash\\ nl\n cr\r tab\t ctl\x01\x1f utf8 \xc3\xa9 slash/";
  JsonWriter w;
  w.beginObject().field("k\"ey\n", nasty).endObject();
  BOOST_TEST(w.str() == R"({"k\"ey\n":"quote\" backslash\\ nl\n cr\r tab\t ctl\u0001\u001f utf8 )"
                        "\xc3\xa9"
                        R"( slash/"})");
  const auto parsed = json::parse(w.str()).as_object();
  BOOST_TEST(std::string(parsed.at("k\"ey\n").as_string()) == nasty);
}

BOOST_AUTO_TEST_CASE(every_ascii_character_round_trips_wherever_it_stands) {
  std::string all;
  for (int c = 1; c < 128; ++c) all += static_cast<char>(c);
  for (const std::string& s : {std::string(), all, all + all, std::string("\"\\\n"), "x" + all + "y"}) {
    JsonWriter w;
    w.beginArray().value(s).endArray();
    BOOST_TEST(std::string(json::parse(w.str()).as_array().at(0).as_string()) == s);
  }
}

BOOST_AUTO_TEST_CASE(nesting_and_commas) {
  JsonWriter w;
  w.beginObject().field("a", 1);
  w.key("list").beginArray().value(1).value("two").beginObject().field("x", true).endObject().beginArray().endArray();
  w.endArray();
  w.key("empty").beginObject().endObject();
  w.field("last", false).endObject();
  BOOST_TEST(w.str() == R"({"a":1,"list":[1,"two",{"x":true},[]],"empty":{},"last":false})");
  BOOST_TEST(json::parse(w.str()).at("list").as_array().size() == 4u);
}

BOOST_AUTO_TEST_CASE(top_level_array_and_scalars) {
  JsonWriter w;
  w.beginArray()
      .value(std::numeric_limits<std::int64_t>::min())
      .value(std::numeric_limits<std::uint64_t>::max())
      .value(0.1)
      .value(-2.5e-7)
      .value(static_cast<const char*>(nullptr))
      .null()
      .endArray();
  BOOST_TEST(w.str() == "[-9223372036854775808,18446744073709551615,0.1,-2.5e-07,null,null]");
  BOOST_TEST(json::parse(w.str()).as_array().at(2).as_double() == 0.1);
}

BOOST_AUTO_TEST_CASE(non_finite_numbers_become_null) {
  JsonWriter w;
  w.beginObject()
      .field("nan", std::numeric_limits<double>::quiet_NaN())
      .field("inf", std::numeric_limits<double>::infinity())
      .field("ninf", -std::numeric_limits<double>::infinity())
      .endObject();
  BOOST_TEST(w.str() == R"({"nan":null,"inf":null,"ninf":null})");
  BOOST_TEST(json::parse(w.str()).at("nan").is_null());
}

BOOST_AUTO_TEST_CASE(raw_values_are_inserted_verbatim) {
  JsonWriter inner;
  inner.beginObject().field("hops", 3).endObject();
  JsonWriter w;
  w.beginArray().value(1).rawValue(inner.str()).value(2).endArray();
  BOOST_TEST(w.str() == R"([1,{"hops":3},2])");
  JsonWriter o;
  o.beginObject().key("doc").rawValue(R"({"a":[1]})").field("n", 0).endObject();
  BOOST_TEST(o.str() == R"({"doc":{"a":[1]},"n":0})");
}

BOOST_AUTO_TEST_CASE(misuse_throws_instead_of_writing_bad_json) {
  BOOST_CHECK_THROW(JsonWriter().key("top-level"), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().beginArray().key("in an array"), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().beginObject().value(1), std::logic_error);  // a value needs a key
  BOOST_CHECK_THROW(JsonWriter().beginObject().key("a").key("b"), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().beginObject().key("a").endObject(), std::logic_error);  // key without value
  BOOST_CHECK_THROW(JsonWriter().beginObject().endArray(), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().beginArray().endObject(), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().endArray(), std::logic_error);
  BOOST_CHECK_THROW(JsonWriter().beginObject().str(), std::logic_error);  // unclosed
  JsonWriter w;
  w.beginObject().key("a");
  BOOST_CHECK_THROW(w.str(), std::logic_error);
}

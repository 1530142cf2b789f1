#define BOOST_TEST_MODULE probe_result
#include "core/probe_result.hpp"
#include "core/line_buffer.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;

BOOST_AUTO_TEST_CASE(rfc3339_is_utc_with_microseconds) {
  BOOST_TEST(rfc3339(0) == "1970-01-01T00:00:00.000000Z");
  BOOST_TEST(rfc3339(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456Z");
  BOOST_TEST(rfc3339(-1'000) == "1969-12-31T23:59:59.999999Z");
}

BOOST_AUTO_TEST_CASE(json_line_has_required_and_optional_fields) {
  ProbeResult r;
  r.plugin = "ping";
  r.timestampNs = 1'700'000'000'000'000'000;
  r.metrics = {{"rtt_avg_ms", 0.25}, {"sent", 3}};
  auto o = boost::json::parse(toJsonLine(r)).as_object();
  BOOST_TEST(o.at("plugin").as_string() == "ping");
  BOOST_TEST(o.at("timestamp").as_string() == "2023-11-14T22:13:20.000000Z");
  BOOST_TEST(o.at("metrics").at("rtt_avg_ms").as_double() == 0.25);
  BOOST_TEST(o.at("metrics").at("sent").as_int64() == 3);  // shortest form: "3", not "3E0"
  BOOST_TEST(!o.contains("target"));
  BOOST_TEST(!o.contains("document"));
  BOOST_TEST(!o.contains("error"));

  r.target = "host \"quoted\"\n";
  r.instance = "dc2";
  r.document = R"({"hops":[1,2]})";
  r.documentSchema = 2;
  r.error = "partial";
  const auto line = toJsonLine(r);
  BOOST_TEST(line.find('\n') == std::string::npos);
  o = boost::json::parse(line).as_object();
  BOOST_TEST(o.at("target").as_string() == "host \"quoted\"\n");
  BOOST_TEST(o.at("instance").as_string() == "dc2");
  BOOST_TEST(o.at("document").at("hops").as_array().size() == 2u);
  BOOST_TEST(o.at("document_schema").as_int64() == 2);
  BOOST_TEST(o.at("error").as_string() == "partial");
}

BOOST_AUTO_TEST_CASE(line_buffer_splits_and_bounds) {
  LineBuffer b(8);
  BOOST_TEST(b.append("ab\ncd"));
  BOOST_TEST(*b.next() == "ab");
  BOOST_TEST(!b.next());
  BOOST_TEST(b.append("e\n\n"));
  BOOST_TEST(*b.next() == "cde");
  BOOST_TEST(*b.next() == "");
  BOOST_TEST(!b.next());
  BOOST_TEST(!b.append("123456789"));  // longer than 8 without a newline
}

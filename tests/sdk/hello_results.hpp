// Checks of the hello example's result lines as the agent prints them, shared by the SDK
// integration tests so each tool chain is held to the same output.
#pragma once

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace streamswarm::testsupport {

struct ExpectedHello {
  std::string target;  // a numeric address: the only one in the answer
  std::string greeting;
  std::int64_t attempts;
};

inline std::vector<boost::json::object> resultsOf(const std::vector<boost::json::object>& all,
                                                  const std::string& plugin) {
  std::vector<boost::json::object> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const boost::json::object& o) { return o.contains("plugin") && o.at("plugin") == plugin.c_str(); });
  return out;
}

inline void checkHelloResult(const boost::json::object& r, const ExpectedHello& want) {
  BOOST_TEST_CONTEXT("result " << boost::json::serialize(r)) {
    BOOST_TEST(r.at("plugin").as_string() == "hello");
    BOOST_TEST(r.at("target").as_string() == want.target.c_str());
    BOOST_TEST(!r.contains("error"));
    BOOST_TEST(std::string(r.at("timestamp").as_string()).back() == 'Z');

    const auto& metrics = r.at("metrics").as_object();
    std::set<std::string> names;
    for (const auto& m : metrics) names.insert(std::string(m.key()));
    BOOST_TEST(names == (std::set<std::string>{"hello.addresses.ipv4", "hello.addresses.ipv6", "hello.lookup_min_ms",
                                               "hello.lookup_ms", "hello.lookups_failed"}));
    auto number = [&](const char* name) { return metrics.at(name).to_number<double>(); };
    const bool ipv6 = want.target.find(':') != std::string::npos;
    BOOST_TEST(number("hello.addresses.ipv4") == (ipv6 ? 0.0 : 1.0));
    BOOST_TEST(number("hello.addresses.ipv6") == (ipv6 ? 1.0 : 0.0));
    BOOST_TEST(number("hello.lookups_failed") == 0.0);
    BOOST_TEST(number("hello.lookup_min_ms") >= 0.0);
    BOOST_TEST(number("hello.lookup_ms") >= number("hello.lookup_min_ms"));

    BOOST_TEST(r.at("document_schema").to_number<std::int64_t>() == 1);
    const auto& doc = r.at("document").as_object();
    BOOST_TEST(doc.at("greeting").as_string() == want.greeting.c_str());
    BOOST_TEST(doc.at("target").as_string() == want.target.c_str());
    BOOST_TEST(doc.at("family").as_string() == "any");
    BOOST_TEST(doc.at("attempts").to_number<std::int64_t>() == want.attempts);
    BOOST_TEST(doc.at("lookup_ms").as_array().size() == static_cast<std::size_t>(want.attempts));
    BOOST_TEST(doc.at("addresses") == boost::json::array{boost::json::string(want.target)});
    BOOST_TEST(!doc.contains("last_error"));
  }
}

}  // namespace streamswarm::testsupport

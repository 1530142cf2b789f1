// Runs HttpTimingProbe the way the agent does (options validated, one run) on a FakeHost whose
// wall clock is set to real time (certificate expiry is counted from it), and reads the results
// back: metrics by name, the document parsed.
#pragma once

#include "http_timing_probe.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace http_timing_test {

using OptionMap = std::map<std::string, std::string>;

struct ProbeResult {
  std::string target;
  std::string error;
  std::map<std::string, double> metrics;
  boost::json::object doc;

  bool has(const std::string& name) const { return metrics.count(name) > 0; }
  double m(const std::string& name) const {
    const auto it = metrics.find(name);
    if (it == metrics.end()) throw std::out_of_range("no metric '" + name + "' (error: " + error + ")");
    return it->second;
  }
  std::string text(const std::string& key) const {
    const auto* v = doc.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  const boost::json::array& hops() const { return doc.at("hops").as_array(); }
};

inline double number(const boost::json::value& v) {
  return v.to_number<double>();
}

inline std::vector<ProbeResult> runProbe(const OptionMap& options, std::chrono::nanoseconds* elapsed = nullptr) {
  auto probe = streamswarm::testing::makeProbe<streamswarm::http_timing::HttpTimingProbe>(options);
  streamswarm::testing::FakeHost host;
  const auto realNow =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  host.clock().advance(realNow - std::chrono::nanoseconds(host.clock().wallNs()));
  const auto started = std::chrono::steady_clock::now();
  auto h = host.host();
  probe.run(h);
  if (elapsed) *elapsed = std::chrono::steady_clock::now() - started;
  const auto undeclared = host.undeclaredMetrics(streamswarm::http_timing::HttpTimingProbe::metrics());
  BOOST_TEST(undeclared.empty(), "undeclared metric " << (undeclared.empty() ? "" : undeclared.front()));
  std::vector<ProbeResult> out;
  for (const auto& r : host.results()) {
    ProbeResult p;
    p.target = r.target;
    p.error = r.error;
    for (const auto& [name, value] : r.metrics) p.metrics[name] = value;
    p.doc = boost::json::parse(r.document).as_object();
    out.push_back(std::move(p));
  }
  return out;
}

inline ProbeResult runOne(const OptionMap& options) {
  auto results = runProbe(options);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  return results.front();
}

}  // namespace http_timing_test

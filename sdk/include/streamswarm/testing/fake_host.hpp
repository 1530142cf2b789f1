// Test fakes for plugin authors: run a probe without the agent, on a clock the test controls, and
// look at what it emitted.
//
//   streamswarm::testing::FakeHost host;
//   auto probe = streamswarm::testing::makeProbe<MyProbe>({{"count", "3"}});
//   probe.run(host.host());
//   BOOST_TEST(host.results().at(0).metric("rtt_avg_ms") > 0);
#pragma once

#include <streamswarm/plugin.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::testing {

// A clock that only moves when told to, or when the probe sleeps.
class FakeClock {
 public:
  explicit FakeClock(std::int64_t wallNs = 1'700'000'000'000'000'000, std::int64_t monotonicNs = 1'000'000'000)
      : wall_(wallNs), mono_(monotonicNs) {}
  void advance(std::chrono::nanoseconds d) {
    wall_ += d.count();
    mono_ += d.count();
  }
  std::int64_t wallNs() const { return wall_; }
  std::int64_t monotonicNs() const { return mono_; }

 private:
  std::int64_t wall_;
  std::int64_t mono_;
};

// A result as the fake sink recorded it, copied out of the borrowed ss_result.
struct RecordedResult {
  std::string target;
  std::int64_t timestampNs = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::string document;
  std::string error;

  std::optional<double> find(const std::string& name) const {
    for (const auto& [n, v] : metrics)
      if (n == name) return v;
    return std::nullopt;
  }
  double metric(const std::string& name) const {
    const auto v = find(name);
    if (!v) throw std::out_of_range("no metric '" + name + "' in result");
    return *v;
  }
};

class FakeHost {
 public:
  FakeHost() {
    host_.struct_size = sizeof(ss_host);
    host_.ctx = this;
    host_.emit = [](void* ctx, const ss_result* r) { static_cast<FakeHost*>(ctx)->record(*r); };
    host_.log = [](void* ctx, std::uint32_t level, const char* message) {
      static_cast<FakeHost*>(ctx)->logs_.push_back({level, message ? message : ""});
    };
    host_.now_ns = [](void* ctx) { return static_cast<FakeHost*>(ctx)->clock_.wallNs(); };
    host_.monotonic_ns = [](void* ctx) { return static_cast<FakeHost*>(ctx)->clock_.monotonicNs(); };
    host_.sleep_ns = [](void* ctx, std::int64_t ns) {
      auto* self = static_cast<FakeHost*>(ctx);
      if (self->cancelled_) return 1;
      self->clock_.advance(std::chrono::nanoseconds(ns));
      self->slept_ += std::chrono::nanoseconds(ns);
      return 0;
    };
    host_.cancelled = [](void* ctx) { return static_cast<FakeHost*>(ctx)->cancelled_ ? 1 : 0; };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  Host host() { return Host(&host_); }
  const ss_host* raw() { return &host_; }
  FakeClock& clock() { return clock_; }
  void cancel() { cancelled_ = true; }
  std::chrono::nanoseconds slept() const { return slept_; }

  const std::vector<RecordedResult>& results() const { return results_; }
  void clear() { results_.clear(); }
  const std::vector<std::pair<std::uint32_t, std::string>>& logs() const { return logs_; }

  // Names of emitted metrics that the plugin did not declare; the agent drops those.
  std::vector<std::string> undeclaredMetrics(std::span<const ss_metric_def> declared) const {
    std::vector<std::string> out;
    for (const auto& r : results_)
      for (const auto& [name, value] : r.metrics) {
        bool found = false;
        for (const auto& d : declared) found = found || values::metricMatches(d.name, name);
        if (!found) out.push_back(name);
      }
    return out;
  }

 private:
  void record(const ss_result& r) {
    RecordedResult copy;
    copy.target = r.target ? r.target : "";
    copy.timestampNs = r.timestamp_ns ? r.timestamp_ns : clock_.wallNs();
    for (std::size_t i = 0; i < r.metric_count; ++i) copy.metrics.emplace_back(r.metrics[i].name, r.metrics[i].value);
    copy.document = r.document_json ? r.document_json : "";
    copy.error = r.error ? r.error : "";
    results_.push_back(std::move(copy));
  }

  ss_host host_{};
  FakeClock clock_;
  bool cancelled_ = false;
  std::chrono::nanoseconds slept_{0};
  std::vector<RecordedResult> results_;
  std::vector<std::pair<std::uint32_t, std::string>> logs_;
};

// Builds a probe from options the way the agent does: unknown keys rejected, defaults applied.
template <class P>
P makeProbe(const std::map<std::string, std::string>& given = {}) {
  return P(Options::validated(P::configKeys(), given));
}

}  // namespace streamswarm::testing

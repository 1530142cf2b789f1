#define BOOST_TEST_MODULE sdk_fake_host
// The test fakes plugin authors rely on: if FakeHost lied about time, cancellation or what was
// emitted, every plugin unit test built on it would be worthless.
#include <streamswarm/testing/fake_host.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <string>

using namespace std::chrono_literals;
using streamswarm::testing::FakeHost;

namespace {

constexpr ss_metric_def kDeclared[] = {
    streamswarm::metric("ping.rtt_ms", "ms", SS_METRIC_GAUGE, ""),
    streamswarm::metric("disk.{device}.read_bytes", "bytes", SS_METRIC_COUNTER, ""),
};

// A minimal probe for makeProbe().
class CountingProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = 0;
  static std::span<const ss_config_key> configKeys() { return kKeys; }
  static std::span<const ss_metric_def> metrics() { return kDeclared; }
  explicit CountingProbe(const streamswarm::Options& o) : count_(o.integer("count")) {}
  std::int64_t count() const { return count_; }

 private:
  static constexpr ss_config_key kKeys[] = {streamswarm::option("count", SS_TYPE_INT, "2", "", 1, 5)};
  std::int64_t count_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(clock_moves_only_when_told_or_on_sleep) {
  FakeHost fake;
  const auto host = fake.host();
  const auto wall = host.now();
  const auto mono = host.monotonic();
  BOOST_TEST(fake.clock().wallNs() == 1'700'000'000'000'000'000);
  BOOST_TEST((host.now() == wall));  // no time passes by itself
  BOOST_TEST(host.sleepFor(250ms));
  BOOST_TEST((host.now() - wall == 250ms));
  BOOST_TEST((host.monotonic() - mono == 250ms));
  fake.clock().advance(1s);
  BOOST_TEST((host.monotonic() - mono == 1250ms));
  BOOST_TEST((fake.slept() == 250ms));  // advance() is not sleeping
}

BOOST_AUTO_TEST_CASE(cancel_makes_sleep_return_false_at_once) {
  FakeHost fake;
  const auto host = fake.host();
  BOOST_TEST(!host.cancelled());
  fake.cancel();
  BOOST_TEST(host.cancelled());
  const auto before = host.monotonic();
  BOOST_TEST(!host.sleepFor(10s));
  BOOST_TEST((host.monotonic() == before));
  BOOST_TEST((fake.slept() == 0ns));
}

BOOST_AUTO_TEST_CASE(emitted_results_are_recorded_as_copies) {
  FakeHost fake;
  const auto host = fake.host();
  {
    streamswarm::Result r;
    r.target = "db1";
    r.metric("ping.rtt_ms", 1.5).metric("disk.sda.read_bytes", 4096);
    r.document = R"({"hops":[]})";
    host.emit(r);
  }  // the host must not keep pointers into the plugin's result
  streamswarm::Result failed;
  failed.error = "timeout";
  failed.timestamp = std::chrono::system_clock::time_point(std::chrono::seconds(1'000));
  host.emit(failed);

  BOOST_REQUIRE_EQUAL(fake.results().size(), 2u);
  const auto& r = fake.results()[0];
  BOOST_TEST(r.target == "db1");
  BOOST_TEST(r.metric("ping.rtt_ms") == 1.5);
  BOOST_TEST(r.metric("disk.sda.read_bytes") == 4096.0);
  BOOST_TEST(r.document == R"({"hops":[]})");
  BOOST_TEST(r.error.empty());
  BOOST_TEST(r.timestampNs == fake.clock().wallNs());  // unset: stamped by the host
  BOOST_CHECK_THROW(r.metric("absent"), std::out_of_range);
  BOOST_TEST(!r.find("absent").has_value());

  const auto& f = fake.results()[1];
  BOOST_TEST(f.target.empty());
  BOOST_TEST(f.error == "timeout");
  BOOST_TEST(f.timestampNs == 1'000'000'000'000);
  BOOST_TEST(f.metrics.empty());
  fake.clear();
  BOOST_TEST(fake.results().empty());
}

BOOST_AUTO_TEST_CASE(undeclared_metrics_are_reported_label_aware) {
  FakeHost fake;
  const auto host = fake.host();
  streamswarm::Result r;
  r.metric("ping.rtt_ms", 1).metric("disk.nvme0n1.read_bytes", 2).metric("ping.loss", 0).metric("disk.read_bytes", 3);
  host.emit(r);
  BOOST_TEST(fake.undeclaredMetrics(kDeclared) == (std::vector<std::string>{"ping.loss", "disk.read_bytes"}));
}

BOOST_AUTO_TEST_CASE(logs_are_recorded_with_their_level) {
  FakeHost fake;
  fake.host().log(SS_LOG_WARNING, "disk is slow");
  BOOST_REQUIRE_EQUAL(fake.logs().size(), 1u);
  BOOST_TEST(fake.logs()[0].first == static_cast<std::uint32_t>(SS_LOG_WARNING));
  BOOST_TEST(fake.logs()[0].second == "disk is slow");
}

BOOST_AUTO_TEST_CASE(make_probe_validates_like_the_agent) {
  BOOST_TEST(streamswarm::testing::makeProbe<CountingProbe>().count() == 2);
  BOOST_TEST(streamswarm::testing::makeProbe<CountingProbe>({{"count", "4"}}).count() == 4);
  BOOST_CHECK_THROW(streamswarm::testing::makeProbe<CountingProbe>({{"count", "9"}}), streamswarm::ConfigError);
  BOOST_CHECK_THROW(streamswarm::testing::makeProbe<CountingProbe>({{"cnt", "1"}}), streamswarm::ConfigError);
}

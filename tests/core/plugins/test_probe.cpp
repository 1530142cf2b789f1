// A probe that misbehaves on purpose, built several times under different names (TEST_PROBE_NAME)
// so the agent tests can run a crashing plugin next to a healthy one.
#include <streamswarm/plugin.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace {

constexpr ss_config_key kKeys[] = {
    streamswarm::choice("mode", "ok", "ok|throw|crash|abort|hang|stubborn|fail|bad_document|undeclared|slow",
                        "what the run does"),
    streamswarm::option("value", SS_TYPE_DOUBLE, "42", "the value of test.value", -1e9, 1e9),
    streamswarm::option("targets", SS_TYPE_LIST, "", "targets to emit one result each for"),
    streamswarm::option("reject", SS_TYPE_BOOL, "false", "make the constructor reject the options"),
    streamswarm::option("delay", SS_TYPE_DURATION, "1s", "how long mode=slow sleeps"),
};

constexpr ss_metric_def kMetrics[] = {
    streamswarm::metric("test.value", "count", SS_METRIC_GAUGE, "the configured value"),
    streamswarm::metric("test.{label}.runs", "count", SS_METRIC_COUNTER, "runs of this instance so far"),
};

// Its run counter does depend on earlier runs; probe_d claims otherwise so that the tests see, in
// a counter back at 1, that its host stopped between runs and made the instance anew.
#ifdef TEST_PROBE_INDEPENDENT_RUNS
constexpr bool kDeclaresIndependentRuns = true;
#else
constexpr bool kDeclaresIndependentRuns = false;
#endif

class TestProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = 3;
  static constexpr bool kIndependentRuns = kDeclaresIndependentRuns;
  static std::span<const ss_config_key> configKeys() { return kKeys; }
  static std::span<const ss_metric_def> metrics() { return kMetrics; }

  explicit TestProbe(const streamswarm::Options& o)
      : mode_(o.text("mode")), value_(o.number("value")), targets_(o.list("targets")), delay_(o.duration("delay")) {
    if (o.boolean("reject"))
      throw streamswarm::ConfigError("option 'reject': this probe was told to reject its options");
  }

  void run(streamswarm::Host& host) {
    ++runs_;
    if (mode_ == "throw") throw std::runtime_error("probe threw on purpose");
    if (mode_ == "crash") std::raise(SIGSEGV);
    if (mode_ == "abort") std::abort();
    if (mode_ == "hang") {
      while (host.sleepFor(std::chrono::milliseconds(50))) {
      }
      return;  // cancelled: returns promptly
    }
    if (mode_ == "stubborn") {
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));  // ignores cancellation
    }
    if (mode_ == "slow" && !host.sleepFor(delay_)) return;
    if (mode_ == "fail") throw streamswarm::ConfigError("target unreachable");
    const auto targets = targets_.empty() ? std::vector<std::string>{""} : targets_;
    for (const auto& t : targets) {
      streamswarm::Result r;
      r.target = t;
      r.metric("test.value", value_).metric("test.instance_" + std::to_string(0) + ".runs", runs_);
      if (mode_ == "undeclared") r.metric("not.declared", 1);
      streamswarm::JsonWriter doc;
      doc.beginObject().field("target", t).field("runs", static_cast<std::int64_t>(runs_));
      doc.key("hops").beginArray().value(1).value(2).endArray().endObject();
      r.document = mode_ == "bad_document" ? "{not json" : doc.str();
      host.emit(r);
    }
  }

 private:
  std::string mode_;
  double value_;
  std::vector<std::string> targets_;
  std::chrono::nanoseconds delay_;
  int runs_ = 0;
};

}  // namespace

STREAMSWARM_PLUGIN(TestProbe, TEST_PROBE_NAME, "0.1.0", "misbehaves on purpose for the agent tests")

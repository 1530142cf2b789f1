#define BOOST_TEST_MODULE sdk_plugin_entry
// The C entry points STREAMSWARM_PLUGIN generates around a probe class: they must fill the
// descriptor truthfully and turn every exception into a status plus a message, because nothing
// may unwind into a host built with another C++ runtime.
#include <streamswarm/testing/fake_host.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <stdexcept>
#include <string>

namespace {

constexpr ss_config_key kKeys[] = {streamswarm::choice("mode", "ok", "ok|config_error|throw|throw_int|cancel", "")};
constexpr ss_metric_def kMetrics[] = {streamswarm::metric("x.value", "count", SS_METRIC_GAUGE, "")};

class ScriptedProbe {
 public:
  static constexpr std::uint32_t kDocumentSchema = 4;
  static std::span<const ss_config_key> configKeys() { return kKeys; }
  static std::span<const ss_metric_def> metrics() { return kMetrics; }

  explicit ScriptedProbe(const streamswarm::Options& o) : mode_(o.text("mode")) {
    if (mode_ == "config_error") throw streamswarm::ConfigError("option 'mode': told to refuse");
  }
  void run(streamswarm::Host& host) {
    if (mode_ == "throw") throw std::runtime_error("probe failed on purpose");
    if (mode_ == "throw_int") throw 42;
    if (mode_ == "cancel") {
      while (host.sleepFor(std::chrono::milliseconds(10))) {
      }
      return;
    }
    host.emit(streamswarm::Result{}.metric("x.value", 7));
  }

 private:
  std::string mode_;
};

const ss_plugin_descriptor& descriptor() {
  return *streamswarm::detail::descriptor<ScriptedProbe>("scripted", "0.3.0", "for the SDK tests");
}

struct Created {
  int status;
  void* instance;
  std::string error;
};

Created create(const char* mode) {
  const ss_option options[] = {{"mode", mode}};
  streamswarm::testing::FakeHost fake;
  Created c{0, nullptr, std::string(256, '\0')};
  c.status = descriptor().create(options, 1, fake.raw(), &c.instance, c.error.data(), c.error.size());
  c.error.resize(std::strlen(c.error.c_str()));
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(descriptor_describes_the_probe) {
  const auto& d = descriptor();
  BOOST_TEST(d.abi_major == SS_ABI_MAJOR);
  BOOST_TEST(d.abi_minor == SS_ABI_MINOR);
  BOOST_TEST(d.struct_size == sizeof(ss_plugin_descriptor));
  BOOST_TEST(d.document_schema_version == 4u);
  BOOST_TEST(std::string(d.name) == "scripted");
  BOOST_TEST(std::string(d.version) == "0.3.0");
  BOOST_TEST(d.config_key_count == 1u);
  BOOST_TEST(d.metric_count == 1u);
  BOOST_TEST(std::string(d.metrics[0].name) == "x.value");
  BOOST_TEST(&d == &descriptor());  // one descriptor for the life of the library
  BOOST_TEST(d.flags == 0u);        // no kIndependentRuns: its runs may depend on earlier ones
}

struct IndependentProbe : ScriptedProbe {
  using ScriptedProbe::ScriptedProbe;
  static constexpr bool kIndependentRuns = true;
};

BOOST_AUTO_TEST_CASE(independent_runs_are_declared_in_the_flags) {
  const auto* d = streamswarm::detail::descriptor<IndependentProbe>("independent", "0.1.0", "");
  BOOST_TEST(d->flags == static_cast<std::uint32_t>(SS_PLUGIN_INDEPENDENT_RUNS));
}

BOOST_AUTO_TEST_CASE(run_emits_through_the_c_host) {
  auto c = create("ok");
  BOOST_REQUIRE_EQUAL(c.status, SS_OK);
  streamswarm::testing::FakeHost fake;
  char error[64] = {};
  BOOST_TEST(descriptor().run(c.instance, fake.raw(), error, sizeof error) == SS_OK);
  BOOST_REQUIRE_EQUAL(fake.results().size(), 1u);
  BOOST_TEST(fake.results()[0].metric("x.value") == 7.0);
  descriptor().destroy(c.instance);
}

BOOST_AUTO_TEST_CASE(config_error_in_the_constructor_is_a_config_status) {
  const auto c = create("config_error");
  BOOST_TEST(c.status == SS_CONFIG_ERROR);
  BOOST_TEST(c.error == "option 'mode': told to refuse");
}

BOOST_AUTO_TEST_CASE(exceptions_from_run_become_error_statuses) {
  streamswarm::testing::FakeHost fake;
  for (const auto& [mode, message] :
       {std::pair{"throw", "probe failed on purpose"}, std::pair{"throw_int", "run threw a non-standard exception"}}) {
    auto c = create(mode);
    BOOST_REQUIRE_EQUAL(c.status, SS_OK);
    char error[128] = {};
    BOOST_TEST(descriptor().run(c.instance, fake.raw(), error, sizeof error) == SS_ERROR);
    BOOST_TEST(std::string(error) == message);
    descriptor().destroy(c.instance);
  }
}

BOOST_AUTO_TEST_CASE(a_cancelled_run_reports_cancelled) {
  auto c = create("cancel");
  streamswarm::testing::FakeHost fake;
  fake.cancel();
  char error[8] = {};
  BOOST_TEST(descriptor().run(c.instance, fake.raw(), error, sizeof error) == SS_CANCELLED);
  descriptor().destroy(c.instance);
}

BOOST_AUTO_TEST_CASE(error_messages_are_cut_to_the_callers_buffer) {
  auto c = create("throw");
  streamswarm::testing::FakeHost fake;
  char error[8];
  std::memset(error, 'x', sizeof error);
  BOOST_TEST(descriptor().run(c.instance, fake.raw(), error, sizeof error) == SS_ERROR);
  BOOST_TEST(std::string(error) == "probe f");                                   // 7 characters and the terminating NUL
  BOOST_TEST(descriptor().run(c.instance, fake.raw(), nullptr, 0) == SS_ERROR);  // no buffer: no write
  descriptor().destroy(c.instance);
}

#define BOOST_TEST_MODULE sdk_wrong_abi
// A plugin built for another ABI major must be refused from its manifest alone, named with both
// versions, and must not keep the other plugins from running. The refused one
// (tests/core/plugins/wrong_abi.c) aborts in its constructor, so loading it would show.
#include "tests/sdk/example_build.hpp"
#include "tests/sdk/hello_results.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

namespace ts = streamswarm::testsupport;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The hello example and the future-ABI plugin side by side in one plugin directory.
struct MixedPluginDir {
  MixedPluginDir() {
    std::filesystem::create_directory(pluginDir());
    std::filesystem::copy_file(ts::buildDir() / "test-plugins" / "libstreamswarm_future_probe.so", futurePlugin());
    std::filesystem::copy_file(ts::exampleBuiltWith(ts::gccToolchain()).plugin(),
                               pluginDir() / "libstreamswarm_hello.so");
    ts::writeFile(dir / "agent.conf", R"([agent]
name = sdk-wrong-abi-test
[plugin.future_probe]
[plugin.hello]
greeting = still here
targets = 127.0.0.1
attempts = 1
)");
  }
  std::filesystem::path pluginDir() const { return dir / "plugins"; }
  std::filesystem::path futurePlugin() const { return pluginDir() / "libstreamswarm_future_probe.so"; }
  ts::RunOutput once() const { return ts::runOnce(dir / "agent.conf", pluginDir()); }

  ts::TempDir dir;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(list_shows_it_refused_with_its_abi, MixedPluginDir) {
  const auto r = ts::listPlugins(pluginDir());
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(ts::listRow(r.out, "future_probe") ==
                 (std::vector<std::string>{"future_probe", "9.0.0", "2.0", "refused", futurePlugin().string()}),
             r.out);
  BOOST_TEST(ts::listRow(r.out, "hello").at(3) == "ok", r.out);
  BOOST_TEST(has(r.err, futurePlugin().string()), r.err);
}

BOOST_FIXTURE_TEST_CASE(once_reports_the_refusal_as_a_result_and_runs_the_rest, MixedPluginDir) {
  const auto r = once();
  // Not a start-up error (2), and not the abort() of a loaded future_probe (128 + 6).
  BOOST_TEST(r.status == 1, "exit status " << r.status << "\n" << r.out << r.err);  // the refusal is a failed run

  const auto all = ts::jsonLines(r.out);
  const auto future = ts::resultsOf(all, "future_probe");
  BOOST_TEST_REQUIRE(future.size() == 1u, r.out);
  const std::string error(future[0].at("error").as_string());
  BOOST_TEST(has(error, futurePlugin().string()), error);
  BOOST_TEST(has(error, "ABI 2.0"), error);
  BOOST_TEST(has(error, "ABI 1.1"), error);
  BOOST_TEST(future[0].at("metrics").as_object().empty());
  BOOST_TEST(!future[0].contains("document"));

  const auto hello = ts::resultsOf(all, "hello");
  BOOST_TEST_REQUIRE(hello.size() == 1u, r.out);
  ts::checkHelloResult(hello[0], {"127.0.0.1", "still here", 1});
  BOOST_TEST(all.size() == 2u, r.out);

  const auto errLines = ts::lines(r.err);
  BOOST_TEST(errLines.size() == 1u, r.err);
  BOOST_TEST(has(r.err, " error: "), r.err);
  BOOST_TEST(has(r.err, futurePlugin().string()), r.err);
}

// --once exits 1 when any run failed, and a refused plugin is a failed run.
BOOST_FIXTURE_TEST_CASE(once_exit_status_counts_the_refusal_as_a_failure, MixedPluginDir) {
  const auto r = once();
  BOOST_TEST(r.status == 1, r.out << r.err);
}

#define BOOST_TEST_MODULE sdk_example_gcc
// A plugin author's path end to end, with the agent's own tool chain (g++ and libstdc++): install
// the SDK from this build, build sdk/examples/hello_probe out of tree against it, run its unit
// test, then list it and run it with the agent.
#include "tests/sdk/example_build.hpp"
#include "tests/sdk/hello_results.hpp"

#include <boost/test/unit_test.hpp>

namespace ts = streamswarm::testsupport;

namespace {

const ts::ExampleBuild& example() {
  return ts::exampleBuiltWith(ts::gccToolchain());
}

}  // namespace

BOOST_AUTO_TEST_CASE(example_unit_test_passes) {
  const auto r = example().runUnitTests();
  BOOST_TEST(r.status == 0, r.out << r.err);
  BOOST_TEST(r.out.find("hello_probe_test") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(plugin_exports_only_its_manifest_and_entry) {
  BOOST_TEST(ts::exportedSymbols(example().plugin()) ==
             (std::vector<std::string>{"streamswarm_manifest", "streamswarm_plugin_v1"}));
}

BOOST_AUTO_TEST_CASE(agent_lists_the_plugin_from_its_manifest) {
  const auto r = ts::listPlugins(example().pluginDir());
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(ts::listRow(r.out, "hello") ==
                 (std::vector<std::string>{"hello", "1.0.0", "1.1", "ok", example().plugin().string()}),
             r.out);
  BOOST_TEST(r.err.empty(), r.err);
}

// The sample config that ships with the example is the one an author tries first.
BOOST_AUTO_TEST_CASE(agent_runs_the_sample_config) {
  const auto r = ts::runOnce(example().sampleConfig(), example().pluginDir());
  BOOST_TEST_REQUIRE(r.status == 0, r.out << r.err);
  const auto results = ts::resultsOf(ts::jsonLines(r.out), "hello");
  BOOST_TEST_REQUIRE(results.size() == 2u, r.out);
  ts::checkHelloResult(results[0], {"127.0.0.1", "hello from the sample config", 2});
  ts::checkHelloResult(results[1], {"::1", "hello from the sample config", 2});
}

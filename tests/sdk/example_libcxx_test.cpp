#define BOOST_TEST_MODULE sdk_example_libcxx
// The point of the C ABI: a plugin built with another compiler and C++ standard library (clang++
// with libc++) loads into the agent, which is built with g++ and libstdc++, and works.
#include "tests/sdk/example_build.hpp"
#include "tests/sdk/hello_results.hpp"

#include <boost/test/unit_test.hpp>

namespace ts = streamswarm::testsupport;

namespace {

const ts::ExampleBuild& example() {
  return ts::exampleBuiltWith(ts::libcxxToolchain());
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// Without this the test would prove nothing: both sides must really use different runtimes.
BOOST_AUTO_TEST_CASE(plugin_uses_libcxx_and_the_plugin_host_libstdcxx) {
  const auto plugin = ts::neededLibraries(example().plugin());
  BOOST_TEST(ts::contains(plugin, "libc++.so.1"));
  BOOST_TEST(!ts::contains(plugin, "libstdc++.so.6"));
  const auto ldd = ts::runChecked({"ldd", example().plugin().string()}, ts::kToolTimeLimit);
  BOOST_TEST(has(ldd.out, "libc++.so.1 => /"), ldd.out);
  BOOST_TEST(!has(ldd.out, "not found"), ldd.out);
  BOOST_TEST(!has(ldd.out, "libstdc++"), ldd.out);

  const auto host = ts::neededLibraries(ts::buildDir() / "bin" / "streamswarm-plugin-host");
  BOOST_TEST(ts::contains(host, "libstdc++.so.6"));
  BOOST_TEST(!ts::contains(host, "libc++.so.1"));
}

BOOST_AUTO_TEST_CASE(example_unit_test_passes_with_libcxx) {
  const auto r = example().runUnitTests();
  BOOST_TEST(r.status == 0, r.out << r.err);
}

BOOST_AUTO_TEST_CASE(plugin_exports_only_its_manifest_and_entry) {
  BOOST_TEST(ts::exportedSymbols(example().plugin()) ==
             (std::vector<std::string>{"streamswarm_manifest", "streamswarm_plugin_v1"}));
}

BOOST_AUTO_TEST_CASE(libstdcxx_agent_runs_the_libcxx_plugin) {
  const auto list = ts::listPlugins(example().pluginDir());
  BOOST_TEST(ts::listRow(list.out, "hello") ==
                 (std::vector<std::string>{"hello", "1.0.0", "1.1", "ok", example().plugin().string()}),
             list.out << list.err);

  const auto config = example().scratch() / "agent.conf";
  ts::writeFile(config, R"([agent]
name = sdk-libcxx-test
[plugin.hello]
greeting = built with clang++ and libc++
targets = ::1, 127.0.0.1
attempts = 3
)");
  const auto r = ts::runOnce(config, example().pluginDir());
  BOOST_TEST_REQUIRE(r.status == 0, r.out << r.err);
  const auto results = ts::resultsOf(ts::jsonLines(r.out), "hello");
  BOOST_TEST_REQUIRE(results.size() == 2u, r.out);
  ts::checkHelloResult(results[0], {"::1", "built with clang++ and libc++", 3});
  ts::checkHelloResult(results[1], {"127.0.0.1", "built with clang++ and libc++", 3});
}

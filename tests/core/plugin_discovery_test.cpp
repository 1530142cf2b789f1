#define BOOST_TEST_MODULE plugin_discovery
#include "core/plugin_discovery.hpp"
#include "core/plugin_library.hpp"
#include "core/plugin_manifest.hpp"
#include "core/plugin_schema.hpp"
#include "tests/support/process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::core;
namespace ts = streamswarm::testsupport;

namespace {
std::filesystem::path testPlugin(const std::string& name) {
  return ts::buildDir() / "test-plugins" / ("libstreamswarm_" + name + ".so");
}
}  // namespace

BOOST_AUTO_TEST_CASE(reads_manifest_without_loading) {
  const auto r = readManifest(testPlugin("probe_a"));
  BOOST_REQUIRE_MESSAGE(r.manifest, r.error);
  BOOST_TEST(r.manifest->name == "probe_a");
  BOOST_TEST(r.manifest->version == "0.1.0");
  BOOST_TEST(r.manifest->abiMajor == SS_ABI_MAJOR);
  BOOST_TEST(r.manifest->abiMinor == SS_ABI_MINOR);
  BOOST_TEST(abiIncompatibility(*r.manifest).empty());
}

BOOST_AUTO_TEST_CASE(future_major_is_refused_naming_file_and_versions) {
  // Its constructor aborts: reaching the assertions proves nothing loaded it.
  const auto r = readManifest(testPlugin("future_probe"));
  BOOST_REQUIRE_MESSAGE(r.manifest, r.error);
  BOOST_TEST(r.manifest->name == "future_probe");
  const auto why = abiIncompatibility(*r.manifest);
  BOOST_TEST(why.find(testPlugin("future_probe").string()) != std::string::npos, why);
  BOOST_TEST(why.find("ABI 2.0") != std::string::npos, why);
  BOOST_TEST(why.find("ABI " + std::to_string(SS_ABI_MAJOR) + "." + std::to_string(SS_ABI_MINOR)) != std::string::npos,
             why);
}

BOOST_AUTO_TEST_CASE(newer_minor_is_refused_older_is_not) {
  PluginManifest m{"/x/libp.so", "p", "1", "", SS_ABI_MAJOR, SS_ABI_MINOR + 1};
  BOOST_TEST(abiIncompatibility(m).find("newer than this agent") != std::string::npos);
  m.abiMinor = SS_ABI_MINOR;
  BOOST_TEST(abiIncompatibility(m).empty());
}

BOOST_AUTO_TEST_CASE(non_plugins_are_explained) {
  ts::TempDir dir;
  ts::writeFile(dir / "text.so", "not an ELF file");
  BOOST_TEST(readManifest(dir / "text.so").error == "not a 64-bit ELF file");
  // An ELF file without the manifest section: this test program itself.
  const auto self = std::filesystem::read_symlink("/proc/self/exe");
  BOOST_TEST(readManifest(self).error.find("no ssmanif section") != std::string::npos);
  BOOST_TEST(!readManifest(dir / "missing.so").manifest);
}

BOOST_AUTO_TEST_CASE(discovery_sorts_refuses_and_reports_clashes) {
  ts::TempDir dir;
  for (const auto* name : {"probe_b", "probe_a", "future_probe"})
    std::filesystem::copy_file(testPlugin(name), dir / ("libstreamswarm_" + std::string(name) + ".so"));
  std::filesystem::copy_file(testPlugin("probe_a"), dir / "zz_copy_of_a.so");
  ts::writeFile(dir / "README.txt", "ignored: not a .so");
  const auto d = discoverPlugins(dir.path());
  BOOST_REQUIRE_EQUAL(d.usable.size(), 2u);
  BOOST_TEST(d.usable[0].name == "probe_a");
  BOOST_TEST(d.usable[1].name == "probe_b");
  BOOST_REQUIRE_EQUAL(d.refused.size(), 1u);
  BOOST_TEST(d.refused[0].name == "future_probe");
  BOOST_REQUIRE_EQUAL(d.problems.size(), 2u);
  BOOST_TEST(d.problems[1].find("zz_copy_of_a.so: plugin name 'probe_a' is already provided by") != std::string::npos);
  BOOST_CHECK_THROW(discoverPlugins(dir / "nope"), std::exception);
}

BOOST_AUTO_TEST_CASE(loaded_descriptor_schema_round_trips_through_json) {
  PluginLibrary library(testPlugin("probe_a"));
  const auto& s = library.schema();
  BOOST_TEST(s.name == "probe_a");
  BOOST_TEST(s.documentSchemaVersion == 3u);
  BOOST_REQUIRE_EQUAL(s.configKeys.size(), 5u);
  BOOST_TEST(s.configKeys[0].choices == "ok|throw|crash|abort|hang|stubborn|fail|bad_document|undeclared|slow");
  BOOST_TEST(s.declaresMetric("test.value"));
  BOOST_TEST(s.declaresMetric("test.anything.runs"));
  BOOST_TEST(!s.declaresMetric("test.a.b.runs"));
  const auto back = schemaFromJson(boost::json::parse(boost::json::serialize(toJson(s))));
  BOOST_TEST(back.name == s.name);
  BOOST_TEST(back.configKeys.size() == s.configKeys.size());
  BOOST_TEST(back.configKeys[1].minValue == s.configKeys[1].minValue);
  BOOST_TEST(*back.configKeys[0].defaultValue == "ok");
  BOOST_TEST(back.metrics[1].kind == static_cast<std::uint32_t>(SS_METRIC_COUNTER));
  BOOST_TEST(!s.independentRuns);  // probe_a counts its runs
  BOOST_TEST(!back.independentRuns);
  BOOST_TEST(PluginLibrary(testPlugin("probe_d")).schema().independentRuns);
}

BOOST_AUTO_TEST_CASE(descriptor_flags_are_read_only_within_its_struct_size) {
  ss_plugin_descriptor d{};
  d.abi_major = 1;
  d.flags = SS_PLUGIN_INDEPENDENT_RUNS;
  d.struct_size = sizeof d;
  BOOST_TEST(schemaFromDescriptor(d).independentRuns);
  // An ABI 1.0 plugin has no flags field: what lies beyond its descriptor is not read.
  d.struct_size = offsetof(ss_plugin_descriptor, flags);
  BOOST_TEST(!schemaFromDescriptor(d).independentRuns);

  PluginSchema s;
  s.name = "x";
  s.independentRuns = true;
  const auto json = toJson(s);
  BOOST_TEST(json.at("independent_runs").as_bool());
  BOOST_TEST(schemaFromJson(json).independentRuns);
  s.independentRuns = false;
  BOOST_TEST(!toJson(s).as_object().contains("independent_runs"));  // schemas stored before ABI 1.1 read the same
}

BOOST_AUTO_TEST_CASE(schema_checks_reserved_and_duplicate_names) {
  PluginSchema s;
  s.name = "x";
  s.configKeys = {{"run_every", SS_TYPE_STRING, "", "", 1, 0, ""}};
  BOOST_TEST(schemaProblem(s).find("reserved for the agent") != std::string::npos);
  s.configKeys = {{"a", SS_TYPE_STRING, "", "", 1, 0, ""}, {"a", SS_TYPE_INT, "1", "", 1, 0, ""}};
  BOOST_TEST(schemaProblem(s).find("'a' twice") != std::string::npos);
  s.configKeys = {{"e", SS_TYPE_ENUM, "", "", 1, 0, ""}};
  BOOST_TEST(schemaProblem(s).find("lists no choices") != std::string::npos);
  s.configKeys = {};
  s.metrics = {{"m", "", SS_METRIC_GAUGE, ""}};
  BOOST_TEST(schemaProblem(s).find("without a name or unit") != std::string::npos);
  s.metrics = {{"m", "ms", SS_METRIC_GAUGE, ""}};
  BOOST_TEST(schemaProblem(s).empty());
}

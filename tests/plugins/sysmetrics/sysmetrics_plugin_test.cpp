// The built plugin module as the agent sees it: what it links, what it exports, and a full
// create/run/destroy through the C ABI (so option normalisation and error paths are those of the
// binary, not of the C++ class compiled into the test).
#define BOOST_TEST_MODULE sysmetrics_plugin
#include <boost/test/unit_test.hpp>

#include "sys_metrics_probe.hpp"
#include "test_support.hpp"

#include <streamswarm/abi.h>
#include <streamswarm/testing/fake_host.hpp>

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#ifndef SYSMETRICS_PLUGIN_PATH
#error "SYSMETRICS_PLUGIN_PATH must name the built plugin module"
#endif

using streamswarm::sysmetrics::SysMetricsProbe;
using streamswarm::testing::FakeHost;
using namespace sysmetrics_test;

namespace {

constexpr std::size_t kErrorBufferSize = 512;

template <class T>
T readAt(const std::string& bytes, std::uint64_t offset) {
  if (offset + sizeof(T) > bytes.size()) throw std::runtime_error("ELF structure beyond the end of the file");
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// The DT_NEEDED entries of a 64-bit ELF file, from its section headers.
std::vector<std::string> neededLibraries(const std::string& path) {
  const auto bytes = readText(path);
  const auto header = readAt<Elf64_Ehdr>(bytes, 0);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64)
    throw std::runtime_error(path + " is not a 64-bit ELF file");
  std::vector<std::string> needed;
  for (std::uint64_t i = 0; i < header.e_shnum; ++i) {
    const auto section = readAt<Elf64_Shdr>(bytes, header.e_shoff + i * header.e_shentsize);
    if (section.sh_type != SHT_DYNAMIC) continue;
    const auto strings = readAt<Elf64_Shdr>(bytes, header.e_shoff + section.sh_link * header.e_shentsize);
    for (std::uint64_t at = section.sh_offset; at + sizeof(Elf64_Dyn) <= section.sh_offset + section.sh_size;
         at += sizeof(Elf64_Dyn)) {
      const auto entry = readAt<Elf64_Dyn>(bytes, at);
      if (entry.d_tag == DT_NULL) break;
      if (entry.d_tag == DT_NEEDED) needed.emplace_back(bytes.c_str() + strings.sh_offset + entry.d_un.d_val);
    }
  }
  return needed;
}

class LoadedPlugin {
 public:
  LoadedPlugin() : handle_(::dlopen(SYSMETRICS_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL)) {
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
  }
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;
  ~LoadedPlugin() { ::dlclose(handle_); }

  void* symbol(const char* name) const { return ::dlsym(handle_, name); }

  // A Boost.DLL alias is a variable holding the function's address.
  const ss_plugin_descriptor& descriptor() const {
    const auto* alias = static_cast<const ss_entry_fn*>(symbol(SS_ENTRY_ALIAS));
    if (!alias) throw std::runtime_error("no " SS_ENTRY_ALIAS " export");
    return *(*alias)();
  }

 private:
  void* handle_;
};

// Options as the agent passes them: validated and normalised, then borrowed as C strings.
class AbiOptions {
 public:
  explicit AbiOptions(std::map<std::string, std::string> values) : values_(std::move(values)) {
    for (const auto& [k, v] : values_) options_.push_back({k.c_str(), v.c_str()});
  }
  const ss_option* data() const { return options_.data(); }
  std::size_t size() const { return options_.size(); }

 private:
  std::map<std::string, std::string> values_;
  std::vector<ss_option> options_;
};

AbiOptions validated(const std::map<std::string, std::string>& given) {
  return AbiOptions(streamswarm::Options::validated(SysMetricsProbe::configKeys(), given).all());
}

}  // namespace

BOOST_AUTO_TEST_CASE(links_only_the_cpp_runtime) {
  const auto needed = neededLibraries(SYSMETRICS_PLUGIN_PATH);
  BOOST_TEST(std::any_of(needed.begin(), needed.end(), [](const std::string& n) { return n.starts_with("libc.so"); }));
  for (const auto& library : needed) {
    bool allowed = library.starts_with("libstdc++.so") || library.starts_with("libm.so") ||
                   library.starts_with("libgcc_s.so") || library.starts_with("libc.so") ||
                   library.starts_with("ld-linux");
#ifdef SYSMETRICS_SANITIZER_RUNTIMES
    allowed = allowed || library.starts_with("libasan.so") || library.starts_with("libubsan.so");
#endif
    BOOST_TEST(allowed, "the plugin needs " << library);
  }
}

BOOST_AUTO_TEST_CASE(exports_manifest_and_descriptor) {
  LoadedPlugin plugin;
  const auto* manifest = static_cast<const ss_manifest*>(plugin.symbol("streamswarm_manifest"));
  BOOST_TEST_REQUIRE(manifest != nullptr);
  BOOST_TEST(std::string(manifest->name) == "sysmetrics");
  BOOST_TEST(manifest->abi_major == SS_ABI_MAJOR);

  const auto& d = plugin.descriptor();
  BOOST_TEST(d.abi_major == SS_ABI_MAJOR);
  BOOST_TEST(d.struct_size == sizeof(ss_plugin_descriptor));
  BOOST_TEST(std::string(d.name) == "sysmetrics");
  BOOST_TEST(std::string(d.version) == "1.0.0");
  BOOST_TEST(d.document_schema_version == SysMetricsProbe::kDocumentSchema);
  BOOST_TEST_REQUIRE(d.metric_count == SysMetricsProbe::metrics().size());
  for (std::size_t i = 0; i < d.metric_count; ++i)
    BOOST_TEST(std::string(d.metrics[i].name) == SysMetricsProbe::metrics()[i].name);
  BOOST_TEST(d.config_key_count == SysMetricsProbe::configKeys().size());
}

BOOST_AUTO_TEST_CASE(create_run_destroy_through_the_abi) {
  LoadedPlugin plugin;
  const auto& d = plugin.descriptor();
  const auto options = validated({{"proc_root", fixture("recorded/t0/proc").string()},
                                  {"sys_root", fixture("recorded/sys").string()},
                                  {"sample_window", "100ms"}});
  FakeHost host;
  void* instance = nullptr;
  std::array<char, kErrorBufferSize> error{};
  BOOST_TEST_REQUIRE(d.create(options.data(), options.size(), host.raw(), &instance, error.data(), error.size()) ==
                     SS_OK);
  BOOST_TEST(d.run(instance, host.raw(), error.data(), error.size()) == SS_OK);
  d.destroy(instance);
  BOOST_TEST_REQUIRE(host.results().size() == 1u);
  BOOST_TEST(host.results()[0].metric("mem.total_bytes") == 24684096.0 * 1024);
  // The agent normalises "100ms" before create(); the plugin must read it back as 100 ms.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(host.slept()).count() == 100);
}

BOOST_AUTO_TEST_CASE(cancelled_run_reports_cancelled) {
  LoadedPlugin plugin;
  const auto& d = plugin.descriptor();
  const auto options = validated({{"proc_root", fixture("recorded/t0/proc").string()}});
  FakeHost host;
  void* instance = nullptr;
  std::array<char, kErrorBufferSize> error{};
  BOOST_TEST_REQUIRE(d.create(options.data(), options.size(), host.raw(), &instance, error.data(), error.size()) ==
                     SS_OK);
  host.cancel();
  BOOST_TEST(d.run(instance, host.raw(), error.data(), error.size()) == SS_CANCELLED);
  d.destroy(instance);
  BOOST_TEST(host.results().empty());
}

BOOST_AUTO_TEST_CASE(bad_options_are_config_errors) {
  LoadedPlugin plugin;
  const auto& d = plugin.descriptor();
  FakeHost host;
  for (const auto& [options, expected] :
       {std::pair{std::map<std::string, std::string>{{"sample_window", "5ms"}}, std::string("sample_window")},
        std::pair{std::map<std::string, std::string>{{"colour", "red"}}, std::string("unknown option 'colour'")},
        std::pair{std::map<std::string, std::string>{{"proc_root", "/nonexistent/proc"}}, std::string("proc_root")}}) {
    const AbiOptions raw(options);  // not validated: the plugin must still refuse them
    void* instance = nullptr;
    std::array<char, kErrorBufferSize> error{};
    BOOST_TEST(d.create(raw.data(), raw.size(), host.raw(), &instance, error.data(), error.size()) == SS_CONFIG_ERROR);
    BOOST_TEST(std::string(error.data()).find(expected) != std::string::npos, error.data());
    BOOST_TEST(instance == nullptr);
  }
}

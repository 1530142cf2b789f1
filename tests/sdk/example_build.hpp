// Builds sdk/examples/hello_probe the way a plugin author would: the "sdk" install component of
// this build in a temporary prefix, the example copied out of the repository and configured
// against that prefix with find_package(StreamSwarmSDK). Shared by the SDK integration tests.
#pragma once

#include "tests/sdk/process_util.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::testsupport {

constexpr auto kInstallTimeLimit = std::chrono::seconds(60);
constexpr auto kConfigureTimeLimit = std::chrono::seconds(120);
constexpr auto kBuildTimeLimit = std::chrono::seconds(420);
constexpr auto kToolTimeLimit = std::chrono::seconds(60);

// The compiler and flags to build the example with, as CMake cache entries. -Werror: the example
// and the SDK headers must build without warnings with every supported tool chain.
struct Toolchain {
  std::string name;
  std::vector<std::string> cacheEntries;
};

inline Toolchain gccToolchain() {
  return {"g++ with libstdc++", {"-DCMAKE_CXX_COMPILER=g++", "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror"}};
}

inline Toolchain libcxxToolchain() {
  const std::string stdlib = "-stdlib=libc++";
  return {"clang++ with libc++",
          {"-DCMAKE_CXX_COMPILER=clang++", "-DCMAKE_CXX_FLAGS=" + stdlib + " -Wall -Wextra -Werror",
           "-DCMAKE_EXE_LINKER_FLAGS=" + stdlib, "-DCMAKE_MODULE_LINKER_FLAGS=" + stdlib,
           "-DCMAKE_SHARED_LINKER_FLAGS=" + stdlib}};
}

class ExampleBuild {
 public:
  explicit ExampleBuild(const Toolchain& toolchain) : toolchain_(toolchain) {
    runChecked({"cmake", "--install", buildDir().string(), "--component", "sdk", "--prefix", prefix().string()},
               kInstallTimeLimit);
    // A copy, so a path that reaches back into the repository cannot go unnoticed.
    std::filesystem::copy(sourceDir() / "sdk" / "examples" / "hello_probe", source(),
                          std::filesystem::copy_options::recursive);

    std::vector<std::string> configure{"cmake", "-S", source().string(), "-B", build().string(),
                                       "-DCMAKE_PREFIX_PATH=" + prefix().string(), "-DCMAKE_BUILD_TYPE=Release",
                                       // The SDK headers then get -I, not -isystem: their warnings count too.
                                       "-DCMAKE_NO_SYSTEM_FROM_IMPORTED=ON"};
    if (findProgram("ninja")) configure.insert(configure.end(), {"-G", "Ninja"});
    // Paths relative to the scratch directory make the cache hit across runs in fresh directories.
    if (findProgram("ccache"))
      configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_BASEDIR=" + dir_.path().string() + ";ccache");
    configure.insert(configure.end(), toolchain.cacheEntries.begin(), toolchain.cacheEntries.end());
    runChecked(configure, kConfigureTimeLimit);
    runChecked({"cmake", "--build", build().string()}, kBuildTimeLimit);
  }

  const Toolchain& toolchain() const { return toolchain_; }
  std::filesystem::path prefix() const { return dir_ / "prefix"; }
  std::filesystem::path source() const { return dir_ / "src"; }
  std::filesystem::path build() const { return dir_ / "build"; }
  std::filesystem::path pluginDir() const { return build() / "plugins"; }
  std::filesystem::path plugin() const { return pluginDir() / "libstreamswarm_hello.so"; }
  std::filesystem::path sampleConfig() const { return source() / "hello.conf"; }
  const TempDir& scratch() const { return dir_; }

  // The example's own unit test, run the way its author would.
  RunOutput runUnitTests() const {
    return run({"ctest", "--test-dir", build().string(), "--output-on-failure"}, kToolTimeLimit);
  }

 private:
  Toolchain toolchain_;
  TempDir dir_;
};

// One build per tool chain and test program, made on first use. A failed build fails every test
// case that asks for it with the same message, instead of being retried by each.
inline const ExampleBuild& exampleBuiltWith(const Toolchain& toolchain) {
  static std::map<std::string, std::unique_ptr<ExampleBuild>> built;
  static std::map<std::string, std::string> failed;
  if (const auto it = failed.find(toolchain.name); it != failed.end()) throw std::runtime_error(it->second);
  auto& slot = built[toolchain.name];
  if (!slot) {
    try {
      slot = std::make_unique<ExampleBuild>(toolchain);
    } catch (const std::exception& e) {
      failed[toolchain.name] = std::string("building the example with ") + toolchain.name + " failed: " + e.what();
      throw std::runtime_error(failed[toolchain.name]);
    }
  }
  return *slot;
}

inline std::filesystem::path agentPath() {
  return buildDir() / "bin" / "streamswarm-agent";
}

inline RunOutput listPlugins(const std::filesystem::path& pluginDir) {
  return run({agentPath().string(), "--list-plugins", "--plugin-dir", pluginDir.string()}, kToolTimeLimit);
}

inline RunOutput runOnce(const std::filesystem::path& config, const std::filesystem::path& pluginDir) {
  return run({agentPath().string(), "--once", "--config", config.string(), "--plugin-dir", pluginDir.string()},
             kToolTimeLimit);
}

// The agent's result lines; throws if one is not a JSON object.
inline std::vector<boost::json::object> jsonLines(const std::string& out) {
  std::vector<boost::json::object> objects;
  for (const auto& line : lines(out)) objects.push_back(boost::json::parse(line).as_object());
  return objects;
}

inline std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The --list-plugins row of plugin `name` as NAME VERSION ABI STATUS FILE, or empty.
inline std::vector<std::string> listRow(const std::string& out, const std::string& name) {
  for (const auto& line : lines(out))
    if (auto w = words(line); !w.empty() && w[0] == name) return w;
  return {};
}

// The NEEDED entries of an ELF file's dynamic section, as readelf prints them.
inline std::vector<std::string> neededLibraries(const std::filesystem::path& elf) {
  const auto r = runChecked({"readelf", "--dynamic", "--wide", elf.string()}, kToolTimeLimit);
  std::vector<std::string> needed;
  for (const auto& line : lines(r.out)) {
    if (line.find("(NEEDED)") == std::string::npos) continue;
    const auto open = line.find('[');
    const auto close = line.find(']', open);
    if (open != std::string::npos && close != std::string::npos)
      needed.push_back(line.substr(open + 1, close - open - 1));
  }
  return needed;
}

// The dynamic symbols an ELF file defines, sorted.
inline std::vector<std::string> exportedSymbols(const std::filesystem::path& elf) {
  const auto r = runChecked({"nm", "--dynamic", "--defined-only", elf.string()}, kToolTimeLimit);
  std::vector<std::string> names;
  for (const auto& line : lines(r.out))
    if (const auto w = words(line); w.size() == 3) names.push_back(w[2]);
  std::sort(names.begin(), names.end());
  return names;
}

inline bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace streamswarm::testsupport

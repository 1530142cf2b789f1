#include "core/plugin_discovery.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <map>

namespace streamswarm::core {

Discovery discoverPlugins(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw Error("plugin directory " + dir.string() + " does not exist");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".so" && entry.is_regular_file()) files.push_back(entry.path());
  if (ec) throw Error("cannot list plugin directory " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());

  Discovery d;
  std::map<std::string, std::filesystem::path> byName;
  for (const auto& file : files) {
    auto reading = readManifest(file);
    if (!reading.manifest) {
      d.problems.push_back("skipping " + file.string() + ": " + reading.error);
      continue;
    }
    auto& m = *reading.manifest;
    if (const auto why = abiIncompatibility(m); !why.empty()) {
      d.problems.push_back(why);
      d.refused.push_back(std::move(m));
      continue;
    }
    if (const auto [it, added] = byName.try_emplace(m.name, file); !added) {
      d.problems.push_back("skipping " + file.string() + ": plugin name '" + m.name + "' is already provided by " +
                           it->second.string());
      continue;
    }
    d.usable.push_back(std::move(m));
  }
  std::sort(d.usable.begin(), d.usable.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return d;
}

std::filesystem::path executableDir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : self.parent_path();
}

std::filesystem::path defaultPluginDir() {
  return executableDir().parent_path() / "lib" / "streamswarm" / "plugins";
}

}  // namespace streamswarm::core

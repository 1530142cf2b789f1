#include "core/plugin_library.hpp"

#include "core/agent_config.hpp"
#include "core/error.hpp"
#include "core/plugin_manifest.hpp"

#include <boost/dll/import.hpp>

#include <cstddef>
#include <set>

namespace streamswarm::core {

namespace {
// Size of the descriptor as ABI 1.0 defined it (up to destroy); later 1.x minors only append.
constexpr std::size_t kDescriptorV1Size = offsetof(ss_plugin_descriptor, flags);
}  // namespace

PluginLibrary::PluginLibrary(const std::filesystem::path& file) {
  const auto where = "plugin " + file.string() + ": ";
  const auto reading = readManifest(file);
  if (!reading.manifest) throw Error(where + reading.error);
  if (const auto problem = abiIncompatibility(*reading.manifest); !problem.empty()) throw Error(problem);
  try {
    library_ = boost::dll::shared_library(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    entry_ = boost::dll::import_alias<const ss_plugin_descriptor*()>(library_, SS_ENTRY_ALIAS);
  } catch (const std::exception& e) {
    throw Error(where + "cannot load: " + e.what());
  }
  descriptor_ = entry_();
  if (!descriptor_) throw Error(where + "entry function returned no descriptor");
  const auto& d = *descriptor_;
  if (d.abi_major != reading.manifest->abiMajor || d.abi_minor != reading.manifest->abiMinor)
    throw Error(where + "descriptor ABI differs from its manifest");
  if (d.struct_size < kDescriptorV1Size)
    throw Error(where + "descriptor is " + std::to_string(d.struct_size) + " bytes, ABI 1.0 needs " +
                std::to_string(kDescriptorV1Size));
  if (!d.create || !d.run || !d.destroy) throw Error(where + "descriptor lacks create, run or destroy");
  schema_ = schemaFromDescriptor(d);
  if (schema_.name != reading.manifest->name)
    throw Error(where + "descriptor name '" + schema_.name + "' differs from manifest name '" + reading.manifest->name +
                "'");
  if (const auto problem = schemaProblem(schema_); !problem.empty()) throw Error(where + problem);
}

std::string schemaProblem(const PluginSchema& s) {
  std::set<std::string> names;
  for (const auto& k : s.configKeys) {
    if (k.name.empty()) return "declares an option without a name";
    for (const auto* reserved : kSectionKeys)
      if (k.name == reserved) return "declares option '" + k.name + "', which is reserved for the agent";
    if (!names.insert(k.name).second) return "declares option '" + k.name + "' twice";
    if (k.type < SS_TYPE_STRING || k.type > SS_TYPE_ENUM) return "option '" + k.name + "' has an unknown type";
    if (k.type == SS_TYPE_ENUM && k.choices.empty()) return "choice option '" + k.name + "' lists no choices";
  }
  names.clear();
  for (const auto& m : s.metrics) {
    if (m.name.empty() || m.unit.empty()) return "declares a metric without a name or unit";
    if (m.kind < SS_METRIC_GAUGE || m.kind > SS_METRIC_RATE) return "metric '" + m.name + "' has an unknown kind";
    if (!names.insert(m.name).second) return "declares metric '" + m.name + "' twice";
  }
  return {};
}

}  // namespace streamswarm::core

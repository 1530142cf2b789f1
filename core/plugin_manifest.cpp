#include "core/plugin_manifest.hpp"

#include <streamswarm/abi.h>

#include <boost/dll/library_info.hpp>

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

namespace streamswarm::core {
namespace {

constexpr std::uintmax_t kMaxPluginFileBytes = 512u * 1024 * 1024;

std::string fixedString(const char* field, std::size_t size) {
  return std::string(field, strnlen(field, size));
}

// Boost.DLL lists sections and symbols but does not hand out section contents, so the manifest
// bytes are read from the ELF section table directly.
std::optional<std::vector<char>> readElfSection(const std::filesystem::path& file, const char* wanted,
                                                std::string& error) {
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64) {
    error = "not a 64-bit ELF file";
    return std::nullopt;
  }
  if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shstrndx >= header.e_shnum) {
    error = "ELF section table is malformed";
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  in.seekg(static_cast<std::streamoff>(header.e_shoff));
  if (!in.read(reinterpret_cast<char*>(sections.data()),
               static_cast<std::streamsize>(sections.size() * sizeof(Elf64_Shdr)))) {
    error = "ELF section table is truncated";
    return std::nullopt;
  }
  const auto& names = sections[header.e_shstrndx];
  std::vector<char> nameTable(names.sh_size + 1, '\0');
  in.seekg(static_cast<std::streamoff>(names.sh_offset));
  in.read(nameTable.data(), static_cast<std::streamsize>(names.sh_size));
  for (const auto& s : sections) {
    if (s.sh_name >= names.sh_size || std::strcmp(nameTable.data() + s.sh_name, wanted) != 0) continue;
    if (s.sh_type == SHT_NOBITS || s.sh_size > 64 * 1024) {
      error = std::string("section ") + wanted + " has no usable contents";
      return std::nullopt;
    }
    std::vector<char> bytes(s.sh_size);
    in.seekg(static_cast<std::streamoff>(s.sh_offset));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
      error = std::string("section ") + wanted + " is truncated";
      return std::nullopt;
    }
    return bytes;
  }
  error = std::string("no ") + wanted + " section (not a StreamSwarm plugin)";
  return std::nullopt;
}

}  // namespace

ManifestReading readManifest(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return {std::nullopt, ec.message()};
  if (size > kMaxPluginFileBytes) return {std::nullopt, "file is larger than 512 MiB"};

  std::string error;
  const auto bytes = readElfSection(file, SS_MANIFEST_SECTION, error);
  if (!bytes) return {std::nullopt, error};
  // Only the fields up to abi_minor are fixed forever; the rest is read within struct_size.
  ss_manifest raw{};
  const std::size_t fixed = offsetof(ss_manifest, struct_size) + sizeof raw.struct_size;
  if (bytes->size() < fixed || std::memcmp(bytes->data(), "SSWPLUG1", SS_MANIFEST_MAGIC_SIZE) != 0)
    return {std::nullopt, "manifest section has a bad magic or size"};
  std::memcpy(&raw, bytes->data(), std::min({bytes->size(), sizeof raw}));
  if (raw.struct_size > bytes->size()) return {std::nullopt, "manifest struct_size exceeds its section"};

  try {
    boost::dll::library_info info(file, /*throw_if_not_native=*/true);
    const auto symbols = info.symbols(SS_ENTRY_SECTION);
    if (std::find(symbols.begin(), symbols.end(), SS_ENTRY_ALIAS) == symbols.end())
      return {std::nullopt, std::string("does not export ") + SS_ENTRY_ALIAS + " in section " + SS_ENTRY_SECTION};
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("cannot read symbols: ") + e.what()};
  }

  PluginManifest m;
  m.file = file;
  m.abiMajor = raw.abi_major;
  m.abiMinor = raw.abi_minor;
  // The manifest layout is frozen across ABI majors, so even a refused plugin can be named.
  if (raw.struct_size >= offsetof(ss_manifest, description) + sizeof raw.description) {
    m.name = fixedString(raw.name, sizeof raw.name);
    m.version = fixedString(raw.version, sizeof raw.version);
    m.description = fixedString(raw.description, sizeof raw.description);
  }
  if (m.name.empty()) return {std::nullopt, "manifest has no plugin name"};
  return {std::move(m), {}};
}

std::string abiIncompatibility(const PluginManifest& m) {
  const auto theirs = std::to_string(m.abiMajor) + "." + std::to_string(m.abiMinor);
  const auto ours = std::to_string(SS_ABI_MAJOR) + "." + std::to_string(SS_ABI_MINOR);
  if (m.abiMajor != SS_ABI_MAJOR)
    return "plugin " + m.file.string() + " ('" + m.name + "') uses plugin ABI " + theirs +
           ", this agent supports ABI " + ours +
           " (major versions differ): rebuild the plugin against StreamSwarm SDK " + std::to_string(SS_ABI_MAJOR) +
           ".x";
  if (m.abiMinor > SS_ABI_MINOR)
    return "plugin " + m.file.string() + " ('" + m.name + "') uses plugin ABI " + theirs +
           ", newer than this agent's ABI " + ours + ": upgrade the agent or rebuild the plugin against SDK " + ours;
  return {};
}

}  // namespace streamswarm::core

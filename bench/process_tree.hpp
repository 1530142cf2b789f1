// What a process and its descendants cost: CPU time from /proc/PID/stat, memory from
// /proc/PID/smaps_rollup. The parsers are pure; the readers around them only open files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::bench {

// The fields of one /proc/PID/stat line that the footprint needs, times in clock ticks.
struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  std::uint64_t cutime = 0;  // reaped children, so time of plugin hosts that exited is not lost
  std::uint64_t cstime = 0;

  std::uint64_t ownTicks() const { return utime + stime; }
  std::uint64_t totalTicks() const { return utime + stime + cutime + cstime; }
};

// Memory of one process, in KiB, from smaps_rollup. USS <= PSS <= RSS: USS (pages no other
// process maps) does not move when other programs start; PSS does, as they share libraries.
struct ProcMemory {
  std::uint64_t rssKib = 0;
  std::uint64_t pssKib = 0;
  std::uint64_t ussKib = 0;  // Private_Clean + Private_Dirty
};

// One process of a tree at one instant.
struct ProcSample {
  pid_t pid = 0;
  std::string label;  // what it is: its executable, and the plugin for a plugin host
  ProcStat stat;
  ProcMemory memory;
};

// Parses a /proc/PID/stat line; the command name may hold spaces and parentheses, so fields are
// counted from the last ')'. Returns nullopt on anything malformed.
std::optional<ProcStat> parseProcStat(std::string_view text);

// Reads the Rss, Pss and Private_* lines of /proc/PID/smaps_rollup; nullopt unless all are present.
std::optional<ProcMemory> parseSmapsRollup(std::string_view text);

// Names a process for the report from its NUL-separated /proc/PID/cmdline: the executable's base
// name, plus its first argument's base name unless that is an option (an interpreter's script),
// plus the plugin file for a streamswarm-plugin-host.
std::string labelFromCmdline(std::string_view cmdline);

// The root and every live descendant of it, root first. A process that exits while the tree is
// read is left out. Memory is read only when withMemory: smaps_rollup walks the page tables.
std::vector<ProcSample> readProcessTree(pid_t root, bool withMemory);

// CPU ticks of a tree: own time of every live member plus the time of the children each member
// reaped, so a member that exits and is reaped keeps counting through its parent.
std::uint64_t treeTicks(const std::vector<ProcSample>& tree);

}  // namespace streamswarm::bench

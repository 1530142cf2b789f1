#include "bench/process_tree.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <set>

namespace streamswarm::bench {

namespace {

// Plain read(2): a /proc file of a process that exits meanwhile fails with ESRCH, which
// std::filebuf turns into an exception.
std::optional<std::string> readFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

template <typename Int>
bool parseInt(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Value of a "Name:   1234 kB" line.
std::optional<std::uint64_t> kibField(std::string_view text, std::string_view name) {
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    start = end + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ':') continue;
    line.remove_prefix(name.size() + 1);
    const auto first = line.find_first_not_of(' ');
    if (first == std::string_view::npos) return std::nullopt;
    line.remove_prefix(first);
    line = line.substr(0, line.find(' '));
    std::uint64_t value = 0;
    if (!parseInt(line, value)) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::string baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::optional<ProcStat> parseProcStat(std::string_view text) {
  const auto close = text.rfind(')');
  const auto open = text.find('(');
  if (close == std::string_view::npos || open == std::string_view::npos || open > close) return std::nullopt;
  ProcStat s;
  if (!parseInt(text.substr(0, text.find_last_not_of(' ', open - 1) + 1), s.pid)) return std::nullopt;

  // After the name: field 3 (state) is index 0 here; ppid is field 4, utime..cstime fields 14..17.
  std::vector<std::string_view> fields;
  for (std::size_t start = close + 1; start < text.size();) {
    const auto first = text.find_first_not_of(" \n", start);
    if (first == std::string_view::npos) break;
    auto end = text.find_first_of(" \n", first);
    if (end == std::string_view::npos) end = text.size();
    fields.push_back(text.substr(first, end - first));
    start = end;
  }
  constexpr std::size_t kPpid = 4 - 3, kUtime = 14 - 3, kStime = 15 - 3, kCutime = 16 - 3, kCstime = 17 - 3;
  if (fields.size() <= kCstime) return std::nullopt;
  std::int64_t cutime = 0, cstime = 0;  // signed in proc(5), never negative in practice
  if (!parseInt(fields[kPpid], s.ppid) || !parseInt(fields[kUtime], s.utime) || !parseInt(fields[kStime], s.stime) ||
      !parseInt(fields[kCutime], cutime) || !parseInt(fields[kCstime], cstime) || cutime < 0 || cstime < 0)
    return std::nullopt;
  s.cutime = static_cast<std::uint64_t>(cutime);
  s.cstime = static_cast<std::uint64_t>(cstime);
  return s;
}

std::optional<ProcMemory> parseSmapsRollup(std::string_view text) {
  const auto rss = kibField(text, "Rss");
  const auto pss = kibField(text, "Pss");
  const auto privateClean = kibField(text, "Private_Clean");
  const auto privateDirty = kibField(text, "Private_Dirty");
  if (!rss || !pss || !privateClean || !privateDirty) return std::nullopt;
  return ProcMemory{*rss, *pss, *privateClean + *privateDirty};
}

std::string labelFromCmdline(std::string_view cmdline) {
  std::vector<std::string_view> args;
  for (std::size_t start = 0; start < cmdline.size();) {
    auto end = cmdline.find('\0', start);
    if (end == std::string_view::npos) end = cmdline.size();
    args.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  if (args.empty()) return "?";
  auto label = baseName(args[0]);
  // A script interpreter is told apart by its script, a plugin host by its plugin.
  if (args.size() > 1 && !args[1].empty() && args[1].front() != '-') label += " " + baseName(args[1]);
  for (std::size_t i = 1; i + 1 < args.size(); ++i)
    if (args[i] == "--plugin") label += " " + baseName(args[i + 1]);
  return label;
}

std::vector<ProcSample> readProcessTree(pid_t root, bool withMemory) {
  // One pass over /proc for the parent links, then keep what descends from root.
  std::map<pid_t, ProcStat> all;
  std::error_code ec;
  // increment(ec), not ++: a range-for would throw on a readdir error.
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    pid_t pid = 0;
    if (!parseInt(it->path().filename().string(), pid)) continue;
    const auto text = readFile(it->path() / "stat");
    if (!text) continue;  // exited meanwhile
    if (auto stat = parseProcStat(*text)) all.emplace(pid, *stat);
  }
  std::vector<ProcSample> tree;
  std::set<pid_t> members;
  if (!all.count(root)) return tree;
  members.insert(root);
  // Parents may have higher pids than their children after pid wrap-around: repeat to a fixed point.
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [pid, stat] : all)
      if (!members.count(pid) && members.count(stat.ppid)) grew = members.insert(pid).second || grew;
  }
  auto add = [&](pid_t pid) {
    ProcSample s;
    s.pid = pid;
    s.stat = all.at(pid);
    const auto dir = std::filesystem::path("/proc") / std::to_string(pid);
    s.label = labelFromCmdline(readFile(dir / "cmdline").value_or(""));
    if (withMemory) {
      const auto rollup = readFile(dir / "smaps_rollup");
      if (rollup) s.memory = parseSmapsRollup(*rollup).value_or(ProcMemory{});
    }
    tree.push_back(std::move(s));
  };
  add(root);
  for (const auto pid : members)
    if (pid != root) add(pid);
  return tree;
}

std::uint64_t treeTicks(const std::vector<ProcSample>& tree) {
  std::uint64_t ticks = 0;
  for (const auto& s : tree) ticks += s.stat.totalTicks();
  return ticks;
}

}  // namespace streamswarm::bench

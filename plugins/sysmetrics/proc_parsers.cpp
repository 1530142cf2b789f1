#include "proc_parsers.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace streamswarm::sysmetrics {
namespace {

// Enough of a line to recognise it in a log; /proc/stat's "intr" line alone can be 50 KB.
constexpr std::size_t kMaxQuotedChars = 80;
// /proc/stat "cpu" lines have 10 columns since Linux 2.6.33; later columns are ignored.
constexpr std::size_t kCpuColumns = 10;
// Older kernels print user, nice, system and idle only.
constexpr std::size_t kMinCpuColumns = 4;
// /proc/diskstats after major, minor and name: 11 fields since 2.6, 15 since 4.18, 17 since 5.5.
constexpr std::size_t kDiskFieldsFull = 11;
// Linux 2.6 partition lines: reads, read sectors, writes, write sectors.
constexpr std::size_t kDiskFieldsPartition = 4;
// /proc/net/dev after the name: 8 receive and 8 transmit counters.
constexpr std::size_t kNetDevFields = 16;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::string lineWarning(std::size_t number, std::string_view what, std::string_view line) {
  return "line " + std::to_string(number) + ": " + std::string(what) + ": " + quoted(line);
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The single number after a keyword ("ctxt 12345"); a warning when it is not one.
std::optional<std::uint64_t> keywordValue(Fields& fields, std::string_view line, std::size_t number,
                                          Warnings& warnings) {
  const auto token = fields.next();
  const auto value = parseUnsigned(token);
  if (!value) warnings.push_back(lineWarning(number, "expected a number after the keyword", line));
  return value;
}

std::optional<std::uint64_t> parseHex(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view Fields::next() {
  std::size_t start = 0;
  while (start < rest_.size() && isSpace(rest_[start])) ++start;
  std::size_t end = start;
  while (end < rest_.size() && !isSpace(rest_[end])) ++end;
  const auto field = rest_.substr(start, end - start);
  rest_.remove_prefix(end);
  return field;
}

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parseDecimal(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string quoted(std::string_view line) {
  line = trimmed(line);
  if (line.size() <= kMaxQuotedChars) return "'" + std::string(line) + "'";
  return "'" + std::string(line.substr(0, kMaxQuotedChars)) + "...'";
}

void parseKernelStat(std::string_view text, KernelStat& out, Warnings& warnings) {
  out.total.reset();
  out.cores.clear();
  out.contextSwitches.reset();
  out.interrupts.reset();
  out.forks.reset();
  out.procsRunning.reset();
  out.procsBlocked.reset();
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    Fields fields(line);
    const auto key = fields.next();
    if (key.empty()) return;
    if (key.starts_with("cpu")) {
      const auto suffix = key.substr(3);
      if (!suffix.empty() && !allDigits(suffix)) {
        warnings.push_back(lineWarning(number, "unexpected CPU name " + quoted(key), line));
        return;
      }
      std::array<std::uint64_t, kCpuColumns> column{};
      std::size_t count = 0;
      for (auto token = fields.next(); !token.empty() && count < kCpuColumns; token = fields.next()) {
        const auto value = parseUnsigned(token);
        if (!value) {
          warnings.push_back(lineWarning(number, "CPU time " + quoted(token) + " is not a number", line));
          return;
        }
        column[count++] = *value;
      }
      if (count < kMinCpuColumns) {
        warnings.push_back(lineWarning(number, "fewer than 4 CPU time columns", line));
        return;
      }
      const CpuTimes times{column[0], column[1], column[2], column[3], column[4],
                           column[5], column[6], column[7], column[8], column[9]};
      if (suffix.empty())
        out.total = times;
      else
        out.cores.push_back({std::string(key), times});
    } else if (key == "ctxt") {
      out.contextSwitches = keywordValue(fields, line, number, warnings);
    } else if (key == "intr") {
      out.interrupts = keywordValue(fields, line, number, warnings);
    } else if (key == "processes") {
      out.forks = keywordValue(fields, line, number, warnings);
    } else if (key == "procs_running") {
      out.procsRunning = keywordValue(fields, line, number, warnings);
    } else if (key == "procs_blocked") {
      out.procsBlocked = keywordValue(fields, line, number, warnings);
    }
  });
}

void parseMemInfo(std::string_view text, MemInfo& out, Warnings& warnings) {
  out = MemInfo{};
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    if (trimmed(line).empty()) return;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      warnings.push_back(lineWarning(number, "no ':' after the name", line));
      return;
    }
    const auto key = trimmed(line.substr(0, colon));
    std::optional<std::uint64_t>* target = nullptr;
    if (key == "MemTotal")
      target = &out.memTotal;
    else if (key == "MemFree")
      target = &out.memFree;
    else if (key == "MemAvailable")
      target = &out.memAvailable;
    else if (key == "Buffers")
      target = &out.buffers;
    else if (key == "Cached")
      target = &out.cached;
    else if (key == "SReclaimable")
      target = &out.sReclaimable;
    else if (key == "Shmem")
      target = &out.shmem;
    else if (key == "SwapTotal")
      target = &out.swapTotal;
    else if (key == "SwapFree")
      target = &out.swapFree;
    if (!target) return;  // a line sysmetrics does not use; new kernels keep adding them
    Fields fields(line.substr(colon + 1));
    const auto value = parseUnsigned(fields.next());
    const auto unit = fields.next();
    std::uint64_t scale = 1;
    if (unit == "kB")
      scale = 1024;
    else if (!unit.empty()) {
      warnings.push_back(lineWarning(number, "unknown unit " + quoted(unit), line));
      return;
    }
    if (!value || *value > std::numeric_limits<std::uint64_t>::max() / scale) {
      warnings.push_back(lineWarning(number, "value is not a number of kB", line));
      return;
    }
    *target = *value * scale;
  });
}

std::optional<LoadAvg> parseLoadAvg(std::string_view text, Warnings& warnings) {
  // "0.20 0.18 0.12 1/80 11206": three averages, runnable/existing scheduling entities, last pid.
  const auto line = text.substr(0, text.find('\n'));
  Fields fields(line);
  const auto one = parseDecimal(fields.next());
  const auto five = parseDecimal(fields.next());
  const auto fifteen = parseDecimal(fields.next());
  const auto entities = fields.next();
  const auto slash = entities.find('/');
  const auto runnable = slash == std::string_view::npos ? std::nullopt : parseUnsigned(entities.substr(0, slash));
  const auto threads = slash == std::string_view::npos ? std::nullopt : parseUnsigned(entities.substr(slash + 1));
  if (!one || !five || !fifteen || !runnable || !threads) {
    warnings.push_back(lineWarning(1, "expected '<1m> <5m> <15m> <runnable>/<total> <pid>'", line));
    return std::nullopt;
  }
  return LoadAvg{*one, *five, *fifteen, *runnable, *threads};
}

void parseDiskStats(std::string_view text, std::vector<DiskCounters>& out, Warnings& warnings) {
  out.clear();
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    Fields fields(line);
    const auto major = fields.next();
    if (major.empty()) return;
    const auto minor = fields.next();
    const auto name = fields.next();
    if (!parseUnsigned(major) || !parseUnsigned(minor) || name.empty()) {
      warnings.push_back(lineWarning(number, "expected '<major> <minor> <name> <counters...>'", line));
      return;
    }
    std::array<std::uint64_t, kDiskFieldsFull> value{};
    std::size_t count = 0;
    for (auto token = fields.next(); !token.empty(); token = fields.next()) {
      const auto parsed = parseUnsigned(token);
      if (!parsed) {
        warnings.push_back(lineWarning(number, "counter " + quoted(token) + " is not a number", line));
        return;
      }
      if (count < kDiskFieldsFull) value[count] = *parsed;
      ++count;
    }
    DiskCounters disk;
    disk.name = std::string(name);
    if (count >= kDiskFieldsFull) {
      disk.reads = value[0];
      disk.readSectors = value[2];
      disk.writes = value[4];
      disk.writeSectors = value[6];
      disk.ioTicksMs = value[9];
    } else if (count == kDiskFieldsPartition) {
      disk.reads = value[0];
      disk.readSectors = value[1];
      disk.writes = value[2];
      disk.writeSectors = value[3];
    } else {
      warnings.push_back(lineWarning(number, std::to_string(count) + " counters, expected 4 or at least 11", line));
      return;
    }
    out.push_back(std::move(disk));
  });
}

void parseNetDev(std::string_view text, std::vector<NetCounters>& out, Warnings& warnings) {
  out.clear();
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    if (trimmed(line).empty() || line.find('|') != std::string_view::npos) return;  // the two header lines
    // Interface names cannot contain ':'; a long counter may follow it without a blank.
    const auto colon = line.find(':');
    const auto name = colon == std::string_view::npos ? std::string_view() : trimmed(line.substr(0, colon));
    if (name.empty()) {
      warnings.push_back(lineWarning(number, "expected '<interface>: <16 counters>'", line));
      return;
    }
    std::array<std::uint64_t, kNetDevFields> value{};
    std::size_t count = 0;
    Fields fields(line.substr(colon + 1));
    for (auto token = fields.next(); !token.empty() && count < kNetDevFields; token = fields.next()) {
      const auto parsed = parseUnsigned(token);
      if (!parsed) {
        warnings.push_back(lineWarning(number, "counter " + quoted(token) + " is not a number", line));
        return;
      }
      value[count++] = *parsed;
    }
    if (count < kNetDevFields) {
      warnings.push_back(lineWarning(number, std::to_string(count) + " counters, expected 16", line));
      return;
    }
    NetCounters net;
    net.name = std::string(name);
    net.rxBytes = value[0];
    net.rxPackets = value[1];
    net.rxErrors = value[2];
    net.rxDrops = value[3];
    net.txBytes = value[8];
    net.txPackets = value[9];
    net.txErrors = value[10];
    net.txDrops = value[11];
    out.push_back(std::move(net));
  });
}

std::optional<FileNr> parseFileNr(std::string_view text, Warnings& warnings) {
  const auto line = text.substr(0, text.find('\n'));
  Fields fields(line);
  const auto allocated = parseUnsigned(fields.next());
  const auto unused = parseUnsigned(fields.next());
  const auto max = parseUnsigned(fields.next());
  if (!allocated || !unused || !max || *unused > *allocated) {
    warnings.push_back(lineWarning(1, "expected '<allocated> <unused> <max>'", line));
    return std::nullopt;
  }
  return FileNr{*allocated, *unused, *max};
}

std::string decodeMountField(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    const auto isOctal = [&](std::size_t at) { return at < field.size() && field[at] >= '0' && field[at] <= '7'; };
    if (field[i] == '\\' && isOctal(i + 1) && isOctal(i + 2) && isOctal(i + 3)) {
      const int code = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
      if (code <= 0xff) {
        out += static_cast<char>(code);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

void parseMounts(std::string_view text, std::vector<MountEntry>& out, Warnings& warnings) {
  out.clear();
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    Fields fields(line);
    const auto device = fields.next();
    if (device.empty()) return;
    const auto mountPoint = fields.next();
    const auto fsType = fields.next();
    if (fsType.empty()) {
      warnings.push_back(lineWarning(number, "expected '<device> <mount point> <type> <options> 0 0'", line));
      return;
    }
    out.push_back({decodeMountField(device), decodeMountField(mountPoint), std::string(fsType)});
  });
}

void parseDeviceFilesystems(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  forEachLine(text, [&](std::string_view line, std::size_t) {
    Fields fields(line);
    const auto first = fields.next();
    if (first.empty()) return;
    if (first != "nodev") {
      out.emplace_back(first);
      return;
    }
    if (fields.next() == "zfs") out.emplace_back("zfs");
  });
}

void parseCpuInfoMhz(std::string_view text, std::vector<CpuFrequency>& out, Warnings& warnings) {
  out.clear();
  // The "processor" number of the current block; a "cpu MHz" line without one (no such kernel is
  // known) is named after its position instead.
  std::uint64_t processor = 0;
  bool haveProcessor = false;
  forEachLine(text, [&](std::string_view line, std::size_t number) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const auto key = trimmed(line.substr(0, colon));
    const auto value = trimmed(line.substr(colon + 1));
    if (key == "processor") {
      const auto parsed = parseUnsigned(value);
      haveProcessor = parsed.has_value();
      processor = parsed.value_or(0);
      if (!haveProcessor) warnings.push_back(lineWarning(number, "processor number is not a number", line));
      return;
    }
    const bool isMhz = key.size() == 7 && std::equal(key.begin(), key.end(), "cpu mhz", [](char a, char b) {
                         return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
                       });
    if (!isMhz) return;
    const auto mhz = parseDecimal(value);
    if (!mhz) {
      warnings.push_back(lineWarning(number, "'cpu MHz' is not a number", line));
      return;
    }
    out.push_back({"cpu" + std::to_string(haveProcessor ? processor : out.size()), *mhz});
    haveProcessor = false;
  });
}

void TcpStateCounter::addLine(std::string_view line, std::size_t number, Warnings& warnings) {
  // "   0: 0100007F:8B2D 00000000:0000 0A ..."; the first line of each file is a header.
  Fields fields(line);
  const auto slot = fields.next();
  if (slot.empty() || slot == "sl") return;
  const auto local = fields.next();
  const auto remote = fields.next();
  const auto state = parseHex(fields.next());
  if (slot.back() != ':' || local.empty() || remote.empty() || !state) {
    warnings.push_back(lineWarning(number, "expected '<slot>: <local> <remote> <hex state> ...'", line));
    return;
  }
  ++out_.total;
  // States the kernel may add later count in the total only.
  if (*state >= 1 && *state <= kTcpStateCount) ++out_.byState[*state];
}

void countTcpStates(std::string_view text, TcpStates& out, Warnings& warnings) {
  TcpStateCounter counter(out);
  forEachLine(text, [&](std::string_view line, std::size_t number) { counter.addLine(line, number, warnings); });
}

}  // namespace streamswarm::sysmetrics

#include "system_reader.hpp"

#include "labels.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace streamswarm::sysmetrics {
namespace {

std::string errnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Closes a file descriptor on every path out of a read.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class Directory {
 public:
  explicit Directory(const std::string& path) : dir_(::opendir(path.c_str())), error_(dir_ ? 0 : errno) {}
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;
  ~Directory() {
    if (dir_) ::closedir(dir_);
  }
  bool ok() const { return dir_ != nullptr; }
  int error() const { return error_; }
  // The next entry name other than "." and "..", or an empty view at the end.
  std::string_view next() {
    while (const dirent* entry = ::readdir(dir_)) {
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") return name;
    }
    return {};
  }

 private:
  DIR* dir_;
  int error_;
};

// The number N of a name "<prefix>N<suffix>" ("temp3_input"), if it has that shape.
std::optional<std::uint64_t> numberBetween(std::string_view name, std::string_view prefix, std::string_view suffix) {
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
    return std::nullopt;
  return parseUnsigned(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
}

// Millidegrees Celsius, as hwmon and thermal zones print them; negative below freezing.
std::optional<double> parseMilliCelsius(std::string_view text) {
  text = trimmed(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return static_cast<double>(value) / 1000.0;
}

template <class T>
void keepAccepted(std::vector<T>& items, const NameFilter& filter, std::size_t limit, const std::string& source,
                  const char* what, ReadProblems& problems) {
  std::erase_if(items, [&](const T& item) { return !filter.accepts(item.name); });
  if (items.size() <= limit) return;
  problems.warnings.push_back({source, std::to_string(items.size()) + " " + what +
                                           " pass the filters; reporting the first " + std::to_string(limit) +
                                           " (narrow them with the include/exclude options)"});
  items.resize(limit);
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

SystemReader::SystemReader(ReaderConfig config) : config_(std::move(config)) {}

bool SystemReader::readFile(const std::string& path, Need need, ReadProblems& problems) {
  buffer_.clear();
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int error = errno;
    if (need == Need::kCore)
      problems.errors.push_back("cannot read " + path + ": " + errnoText(error));
    else if (need == Need::kWanted || error != ENOENT)
      problems.warnings.push_back({path, "cannot read: " + errnoText(error)});
    return false;
  }
  while (true) {
    if (buffer_.size() >= kMaxFileBytes) {
      problems.warnings.push_back(
          {path, "larger than " + std::to_string(kMaxFileBytes) + " bytes; the rest is ignored"});
      return true;
    }
    const auto used = buffer_.size();
    buffer_.resize(used + kReadChunkBytes);
    const auto n = ::read(fd.get(), buffer_.data() + used, kReadChunkBytes);
    if (n < 0) {
      const int error = errno;
      buffer_.resize(used);
      if (error == EINTR) continue;
      if (need == Need::kCore)
        problems.errors.push_back("cannot read " + path + ": " + errnoText(error));
      else
        problems.warnings.push_back({path, "cannot read: " + errnoText(error)});
      return false;
    }
    buffer_.resize(used + static_cast<std::size_t>(n));
    if (n == 0) return true;
  }
}

void SystemReader::takeWarnings(const std::string& source, ReadProblems& problems) {
  for (auto& message : parseWarnings_) problems.warnings.push_back({source, std::move(message)});
  parseWarnings_.clear();
}

void SystemReader::readCounters(Snapshot& out, ReadProblems& problems) {
  const auto& proc = config_.procRoot;
  path_ = proc + "/stat";
  if (readFile(path_, Need::kCore, problems))
    parseKernelStat(buffer_, out.stat, parseWarnings_);
  else
    parseKernelStat({}, out.stat, parseWarnings_);
  takeWarnings(path_, problems);

  path_ = proc + "/diskstats";
  out.disks.clear();
  if (readFile(path_, Need::kWanted, problems)) {
    parseDiskStats(buffer_, out.disks, parseWarnings_);
    takeWarnings(path_, problems);
    keepAccepted(out.disks, config_.disks, kMaxDisks, path_, "disks", problems);
    markWholeDisks(out.disks);
  }

  path_ = proc + "/net/dev";
  out.nets.clear();
  if (readFile(path_, Need::kWanted, problems)) {
    parseNetDev(buffer_, out.nets, parseWarnings_);
    takeWarnings(path_, problems);
    keepAccepted(out.nets, config_.interfaces, kMaxInterfaces, path_, "interfaces", problems);
  }
}

void SystemReader::markWholeDisks(std::vector<DiskCounters>& disks) const {
  // psutil's rule: a whole disk has /sys/block/<name> ('/' in the name spelled '!'); a partition
  // does not. Without /sys every device counts as whole.
  const auto block = config_.sysRoot + "/block/";
  if (::access(block.c_str(), F_OK) != 0) return;
  std::string path;
  for (auto& disk : disks) {
    path = block;
    for (const char c : disk.name) path += c == '/' ? '!' : c;
    disk.wholeDisk = ::access(path.c_str(), F_OK) == 0;
  }
}

void SystemReader::readLevels(Snapshot& out, ReadProblems& problems) {
  out.clearLevels();
  const auto& proc = config_.procRoot;

  path_ = proc + "/meminfo";
  if (readFile(path_, Need::kCore, problems)) {
    MemInfo mem;
    parseMemInfo(buffer_, mem, parseWarnings_);
    takeWarnings(path_, problems);
    if (!mem.memTotal || !mem.memFree)
      problems.errors.push_back(path_ + " has no MemTotal or MemFree line");
    else
      out.mem = mem;
  }

  path_ = proc + "/loadavg";
  if (readFile(path_, Need::kCore, problems)) {
    out.load = parseLoadAvg(buffer_, parseWarnings_);
    if (!out.load) problems.errors.push_back(path_ + " is not in the expected format");
    takeWarnings(path_, problems);
  }

  path_ = proc + "/sys/fs/file-nr";
  if (readFile(path_, Need::kWanted, problems)) {
    out.files = parseFileNr(buffer_, parseWarnings_);
    takeWarnings(path_, problems);
  }

  countProcesses(out, problems);
  readFilesystems(out, problems);
  if (config_.tcp) readTcp(out, problems);
  readTemperatures(out, problems);
  readFrequencies(out, problems);
}

void SystemReader::countProcesses(Snapshot& out, ReadProblems& problems) {
  Directory dir(config_.procRoot);
  if (!dir.ok()) {
    problems.warnings.push_back({config_.procRoot, "cannot list: " + errnoText(dir.error())});
    return;
  }
  std::uint64_t count = 0;
  for (auto name = dir.next(); !name.empty(); name = dir.next())
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) ++count;
  out.processCount = count;
}

void SystemReader::readFilesystems(Snapshot& out, ReadProblems& problems) {
  path_ = config_.procRoot + "/filesystems";
  const bool knowTypes = readFile(path_, Need::kWanted, problems);
  if (knowTypes) parseDeviceFilesystems(buffer_, deviceFsTypes_);

  path_ = config_.procRoot + "/self/mounts";
  if (!readFile(path_, Need::kWanted, problems)) return;
  parseMounts(buffer_, mountEntries_, parseWarnings_);
  takeWarnings(path_, problems);

  // statvfs() sees the filesystem mounted last on a path, so only that entry describes it.
  std::unordered_map<std::string_view, std::size_t> lastMount;
  for (std::size_t i = 0; i < mountEntries_.size(); ++i) lastMount[mountEntries_[i].mountPoint] = i;

  for (std::size_t i = 0; i < mountEntries_.size(); ++i) {
    const auto& m = mountEntries_[i];
    if (lastMount[m.mountPoint] != i) continue;
    // Pseudo and network filesystems ("nodev" in /proc/filesystems) are skipped, as psutil does;
    // that also keeps a hung NFS server from blocking the run in statvfs().
    if (m.device.empty() || m.device == "none") continue;
    if (knowTypes ? !contains(deviceFsTypes_, m.fsType) : m.device.front() != '/') continue;
    if (contains(config_.excludeFsTypes, m.fsType) || !config_.mounts.accepts(m.mountPoint)) continue;
    if (out.filesystems.size() == kMaxFilesystems) {
      problems.warnings.push_back({path_, "more than " + std::to_string(kMaxFilesystems) +
                                              " filesystems pass the filters; the rest are ignored "
                                              "(narrow them with mounts/exclude_mounts)"});
      break;
    }
    struct statvfs st {};
    if (::statvfs(m.mountPoint.c_str(), &st) != 0) {
      problems.warnings.push_back({m.mountPoint, "statvfs failed: " + errnoText(errno)});
      continue;
    }
    const std::uint64_t unit = st.f_frsize ? st.f_frsize : st.f_bsize;
    FsUsage fs;
    fs.label = mountLabel(m.mountPoint);
    fs.mountPoint = m.mountPoint;
    fs.device = m.device;
    fs.fsType = m.fsType;
    fs.totalBytes = static_cast<std::uint64_t>(st.f_blocks) * unit;
    fs.freeBytes = static_cast<std::uint64_t>(st.f_bfree) * unit;
    fs.availableBytes = static_cast<std::uint64_t>(st.f_bavail) * unit;
    fs.inodes = st.f_files;
    fs.inodesFree = st.f_ffree;
    out.filesystems.push_back(std::move(fs));
  }
  makeLabelsUnique(out.filesystems);
}

void SystemReader::readTcp(Snapshot& out, ReadProblems& problems) {
  TcpStates states;
  TcpStateCounter counter(states);
  bool readAny = false;
  // tcp6 is missing when IPv6 is disabled, which is not worth a warning.
  for (const auto& [file, need] : {std::pair{"/net/tcp", Need::kWanted}, std::pair{"/net/tcp6", Need::kOptional}}) {
    path_ = config_.procRoot + file;
    FileDescriptor fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      const int error = errno;
      if (need == Need::kWanted || error != ENOENT)
        problems.warnings.push_back({path_, "cannot read: " + errnoText(error)});
      continue;
    }
    readAny = true;
    buffer_.clear();
    std::size_t lineNumber = 0;
    bool atEnd = false;
    while (!atEnd) {
      const auto used = buffer_.size();
      buffer_.resize(used + kReadChunkBytes);
      const auto n = ::read(fd.get(), buffer_.data() + used, kReadChunkBytes);
      const int error = errno;
      buffer_.resize(used + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      if (n < 0 && error == EINTR) continue;
      if (n < 0) problems.warnings.push_back({path_, "read failed: " + errnoText(error)});
      atEnd = n <= 0;
      // Count the complete lines, keep the partial last one for the next chunk.
      std::string_view pending(buffer_);
      for (auto end = pending.find('\n'); end != std::string_view::npos; end = pending.find('\n')) {
        counter.addLine(pending.substr(0, end), ++lineNumber, parseWarnings_);
        pending.remove_prefix(end + 1);
      }
      if (atEnd && !pending.empty()) counter.addLine(pending, ++lineNumber, parseWarnings_);
      buffer_.erase(0, buffer_.size() - pending.size());
      if (buffer_.size() > kMaxFileBytes) {
        problems.warnings.push_back({path_, "a line longer than " + std::to_string(kMaxFileBytes) + " bytes"});
        break;
      }
    }
    takeWarnings(path_, problems);
  }
  if (readAny) out.tcp = states;
}

void SystemReader::readTemperatures(Snapshot& out, ReadProblems& problems) {
  // hwmon first; thermal zones only when hwmon has no temperature at all, since they usually
  // describe the same sensors (psutil.sensors_temperatures() does the same).
  const auto hwmonRoot = config_.sysRoot + "/class/hwmon";
  std::vector<std::pair<std::uint64_t, std::string>> chips;
  {
    Directory dir(hwmonRoot);
    if (dir.ok())
      for (auto name = dir.next(); !name.empty(); name = dir.next())
        if (const auto n = numberBetween(name, "hwmon", "")) chips.emplace_back(*n, std::string(name));
  }
  std::sort(chips.begin(), chips.end());
  std::vector<std::pair<std::uint64_t, std::string>> inputs;  // (sensor number, directory)
  for (const auto& [chipNumber, chipName] : chips) {
    const auto chipDir = hwmonRoot + "/" + chipName;
    // Some drivers keep the files one level down, in device/.
    inputs.clear();
    for (const auto& dirPath : {chipDir, chipDir + "/device"}) {
      Directory dir(dirPath);
      if (!dir.ok()) continue;
      for (auto name = dir.next(); !name.empty(); name = dir.next())
        if (const auto n = numberBetween(name, "temp", "_input")) inputs.emplace_back(*n, dirPath);
    }
    if (inputs.empty()) continue;
    std::sort(inputs.begin(), inputs.end());
    std::string chip = chipName;
    for (const auto* nameFile : {"/name", "/device/name"}) {
      path_ = chipDir + nameFile;
      if (!readFile(path_, Need::kOptional, problems)) continue;
      chip = std::string(trimmed(buffer_));
      break;
    }
    for (const auto& [number, dirPath] : inputs) {
      const auto base = dirPath + "/temp" + std::to_string(number);
      path_ = base + "_input";
      // A sensor that cannot be read right now (ENXIO, EAGAIN: device asleep) is left out quietly.
      if (!readFile(path_, Need::kOptional, problems)) continue;
      const auto celsius = parseMilliCelsius(buffer_);
      if (!celsius) {
        problems.warnings.push_back({path_, "not a temperature in millidegrees: " + quoted(buffer_)});
        continue;
      }
      path_ = base + "_label";
      const std::string label =
          readFile(path_, Need::kOptional, problems) ? std::string(trimmed(buffer_)) : "temp" + std::to_string(number);
      out.temperatures.push_back({sensorLabel(chip, label), *celsius});
    }
  }
  if (out.temperatures.empty()) {
    const auto thermalRoot = config_.sysRoot + "/class/thermal";
    std::vector<std::pair<std::uint64_t, std::string>> zones;
    {
      Directory dir(thermalRoot);
      if (dir.ok())
        for (auto name = dir.next(); !name.empty(); name = dir.next())
          if (const auto n = numberBetween(name, "thermal_zone", "")) zones.emplace_back(*n, std::string(name));
    }
    std::sort(zones.begin(), zones.end());
    for (const auto& [number, zone] : zones) {
      path_ = thermalRoot + "/" + zone + "/temp";
      if (!readFile(path_, Need::kOptional, problems)) continue;
      const auto celsius = parseMilliCelsius(buffer_);
      if (!celsius) {
        problems.warnings.push_back({path_, "not a temperature in millidegrees: " + quoted(buffer_)});
        continue;
      }
      path_ = thermalRoot + "/" + zone + "/type";
      const std::string type = readFile(path_, Need::kOptional, problems) ? std::string(trimmed(buffer_)) : zone;
      out.temperatures.push_back({sensorLabel(type, {}), *celsius});
    }
  }
  if (out.temperatures.size() > kMaxTemperatures) {
    problems.warnings.push_back({hwmonRoot, std::to_string(out.temperatures.size()) +
                                                " temperature sensors; reporting the first " +
                                                std::to_string(kMaxTemperatures)});
    out.temperatures.resize(kMaxTemperatures);
  }
  makeLabelsUnique(out.temperatures);
}

void SystemReader::readFrequencies(Snapshot& out, ReadProblems& problems) {
  const auto cpuRoot = config_.sysRoot + "/devices/system/cpu/";
  for (const auto& core : out.stat.cores) {
    path_ = cpuRoot + core.name + "/cpufreq/scaling_cur_freq";
    if (!readFile(path_, Need::kOptional, problems)) {
      if (out.frequencies.empty()) break;  // no cpufreq driver: /proc/cpuinfo below
      continue;
    }
    if (const auto khz = parseUnsigned(trimmed(buffer_)))
      out.frequencies.push_back({core.name, static_cast<double>(*khz) / 1000.0});
    else
      problems.warnings.push_back({path_, "not a frequency in kHz: " + quoted(buffer_)});
  }
  if (!out.frequencies.empty()) return;
  path_ = config_.procRoot + "/cpuinfo";
  if (!readFile(path_, Need::kOptional, problems)) return;
  parseCpuInfoMhz(buffer_, out.frequencies, parseWarnings_);
  takeWarnings(path_, problems);
}

}  // namespace streamswarm::sysmetrics

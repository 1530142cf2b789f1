// Helpers shared by the sysmetrics tests: fixture paths, temporary /proc-like trees, file I/O.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace sysmetrics_test {

inline std::filesystem::path sourceDir() {
  const char* dir = std::getenv("STREAMSWARM_SOURCE_DIR");
  if (!dir || !*dir) throw std::runtime_error("STREAMSWARM_SOURCE_DIR is not set (run the test through ctest)");
  return dir;
}

inline std::filesystem::path fixture(const std::string& relative) {
  return sourceDir() / "tests/fixtures/sysmetrics" / relative;
}

inline std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void writeText(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// A directory under $TMPDIR that is removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    auto pattern = (std::filesystem::temp_directory_path() / "sysmetrics-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;  // nothing useful to do if cleanup fails in a destructor
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }

 private:
  std::filesystem::path path_;
};

// Points `link` at `target`, replacing whatever it pointed at: how a test swaps one /proc
// snapshot for the next between two probe runs.
inline void pointAt(const std::filesystem::path& link, const std::filesystem::path& target) {
  std::filesystem::remove(link);
  std::filesystem::create_directory_symlink(target, link);
}

}  // namespace sysmetrics_test

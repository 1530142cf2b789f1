// Writes the hex packet fixtures as binary files: the fuzzer's seed corpus.
//   netprobe_fuzz_corpus <output dir> <fixture dir>...
#include "tests/support/hex_fixture.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR FIXTURE_DIR...\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  int written = 0;
  for (int i = 2; i < argc; ++i)
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      if (entry.path().extension() != ".hex") continue;
      const auto bytes = streamswarm::testsupport::parseHex(streamswarm::testsupport::readFile(entry.path()));
      std::ofstream file(out / (entry.path().parent_path().filename().string() + "_" + entry.path().stem().string()),
                         std::ios::binary | std::ios::trunc);
      file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      ++written;
    }
  std::printf("%d seed inputs in %s\n", written, out.c_str());
  return written > 0 ? 0 : 1;
}

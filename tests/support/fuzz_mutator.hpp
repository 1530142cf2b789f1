// Deterministic mutation fuzzing for the unit tests: each call takes a valid seed input and flips,
// inserts, deletes, truncates or splices bytes, or inserts a token that parser cares about,
// with a fixed PRNG seed so a failure reproduces. Runs under ASan+UBSan with the unit label.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::testsupport {

class FuzzMutator {
 public:
  // `tokens`: what is worth inserting for the parser under test (delimiters, keywords, limits).
  FuzzMutator(std::uint32_t seed, std::vector<std::string> tokens) : rng_(seed), tokens_(std::move(tokens)) {}

  std::string mutate(const std::vector<std::string>& seeds) {
    std::string s = seeds[pick(seeds.size())];
    const auto edits = 1 + pick(kMaxEdits);
    for (std::size_t i = 0; i < edits; ++i) {
      switch (pick(6)) {
        case 0:
          if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
          break;
        case 1: s.insert(pick(s.size() + 1), token()); break;
        case 2:
          if (!s.empty()) s.erase(pick(s.size()), 1 + pick(4));
          break;
        case 3: {  // splice in a piece of another seed
          const auto& other = seeds[pick(seeds.size())];
          s.insert(pick(s.size() + 1), other.substr(pick(other.size() + 1), pick(kMaxSplice)));
          break;
        }
        case 4:
          if (!s.empty()) s.resize(pick(s.size()));
          break;
        default: s += token(); break;
      }
    }
    return s;
  }

 private:
  static constexpr std::size_t kMaxEdits = 4;
  static constexpr std::size_t kMaxSplice = 12;

  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  const std::string& token() { return tokens_[pick(tokens_.size())]; }

  std::mt19937 rng_;
  std::vector<std::string> tokens_;
};

}  // namespace streamswarm::testsupport

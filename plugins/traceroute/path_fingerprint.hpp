// A trace's path as the server compares it between runs: the addresses of each hop (or none for a
// silent one) and whether the destination was reached, in a canonical text form and a 64-bit FNV-1a
// fingerprint of that text (stable across runs, builds and machines). A diff names the hops added,
// removed or changed since the previous run.
#pragma once

#include "traceroute/hop_aggregator.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::traceroute {

struct PathHop {
  int ttl = 0;
  std::vector<IpAddress> addresses;  // sorted; empty for a hop that did not answer
  friend bool operator==(const PathHop&, const PathHop&) = default;
};

struct TracePath {
  std::vector<PathHop> hops;
  bool reached = false;

  // "1:10.0.1.2,2:*,3:10.0.3.2|10.0.3.9;reached" (or ";unreached").
  std::string canonical() const;
  // 16 hex digits.
  std::string fingerprint() const;
};

TracePath pathOf(const TraceSummary& summary);

struct PathChange {
  enum class Kind : std::uint8_t { Added, Removed, Changed };
  int ttl = 0;
  Kind kind = Kind::Changed;
  std::vector<IpAddress> before;
  std::vector<IpAddress> after;
};

const char* changeKindName(PathChange::Kind kind);

// Hop by hop, by TTL: present only now (added), only before (removed), or with other addresses.
std::vector<PathChange> diffPaths(const TracePath& before, const TracePath& after);

std::uint64_t fnv1a64(std::string_view text);

}  // namespace streamswarm::traceroute

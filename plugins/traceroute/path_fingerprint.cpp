#include "traceroute/path_fingerprint.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace streamswarm::traceroute {

std::uint64_t fnv1a64(std::string_view text) {
  constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  constexpr std::uint64_t kPrime = 0x100000001b3ull;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return hash;
}

std::string TracePath::canonical() const {
  std::string text;
  for (const auto& hop : hops) {
    if (!text.empty()) text += ',';
    text += std::to_string(hop.ttl) + ':';
    if (hop.addresses.empty()) text += '*';
    for (std::size_t i = 0; i < hop.addresses.size(); ++i) text += (i ? "|" : "") + hop.addresses[i].toString();
  }
  return text + (reached ? ";reached" : ";unreached");
}

std::string TracePath::fingerprint() const {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(canonical())));
  return hex;
}

TracePath pathOf(const TraceSummary& summary) {
  TracePath path;
  path.reached = summary.reached;
  for (const auto& hop : summary.hops) {
    PathHop h;
    h.ttl = hop.ttl;
    for (const auto& a : hop.addresses) h.addresses.push_back(a.address);
    std::sort(h.addresses.begin(), h.addresses.end());
    path.hops.push_back(std::move(h));
  }
  return path;
}

const char* changeKindName(PathChange::Kind kind) {
  switch (kind) {
    case PathChange::Kind::Added: return "added";
    case PathChange::Kind::Removed: return "removed";
    case PathChange::Kind::Changed: return "changed";
  }
  return "changed";
}

std::vector<PathChange> diffPaths(const TracePath& before, const TracePath& after) {
  std::map<int, const PathHop*> old;
  std::map<int, const PathHop*> now;
  for (const auto& h : before.hops) old[h.ttl] = &h;
  for (const auto& h : after.hops) now[h.ttl] = &h;
  std::vector<PathChange> changes;
  for (const auto& [ttl, hop] : now) {
    const auto it = old.find(ttl);
    if (it == old.end())
      changes.push_back({ttl, PathChange::Kind::Added, {}, hop->addresses});
    else if (it->second->addresses != hop->addresses)
      changes.push_back({ttl, PathChange::Kind::Changed, it->second->addresses, hop->addresses});
  }
  for (const auto& [ttl, hop] : old)
    if (!now.count(ttl)) changes.push_back({ttl, PathChange::Kind::Removed, hop->addresses, {}});
  std::stable_sort(changes.begin(), changes.end(),
                   [](const PathChange& a, const PathChange& b) { return a.ttl < b.ttl; });
  return changes;
}

}  // namespace streamswarm::traceroute

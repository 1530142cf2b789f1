#include "name_filter.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <utility>

namespace streamswarm::sysmetrics {
namespace {

bool anyMatches(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), name.c_str(), 0) == 0; });
}

}  // namespace

NameFilter::NameFilter(std::vector<std::string> include, std::vector<std::string> exclude)
    : include_(std::move(include)), exclude_(std::move(exclude)) {}

bool NameFilter::accepts(const std::string& name) const {
  if (anyMatches(exclude_, name)) return false;
  return include_.empty() || anyMatches(include_, name);
}

}  // namespace streamswarm::sysmetrics

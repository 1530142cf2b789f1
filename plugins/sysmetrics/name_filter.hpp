// Include/exclude glob filters for interface, disk and mount-point names (fnmatch(3) patterns:
// '*', '?', '[...]'; '*' also matches '/', so "/var/lib/docker/*" covers everything below).
#pragma once

#include <string>
#include <vector>

namespace streamswarm::sysmetrics {

class NameFilter {
 public:
  NameFilter() = default;
  // An empty include list accepts every name; exclude wins over include.
  NameFilter(std::vector<std::string> include, std::vector<std::string> exclude);

  bool accepts(const std::string& name) const;

 private:
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

}  // namespace streamswarm::sysmetrics

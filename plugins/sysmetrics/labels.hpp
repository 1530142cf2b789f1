// How sysmetrics turns device, mount point and sensor names into one metric-name segment.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace streamswarm::sysmetrics {

// A name as one segment: values::labelSegment() (dots, blanks and '/' become '_') plus control
// characters and braces, which would read as a "{label}" pattern, also become '_'.
std::string nameLabel(std::string_view name);

// "/" is "root"; any other mount point loses its leading '/' and is then a nameLabel:
// "/boot/efi" -> "boot_efi", "/var/lib/docker" -> "var_lib_docker".
std::string mountLabel(std::string_view mountPoint);

// A hwmon chip name and sensor label, lower-cased, with anything outside [a-z0-9_-] made '_':
// ("coretemp", "Package id 0") -> "coretemp_package_id_0". An empty label gives the chip alone.
std::string sensorLabel(std::string_view chip, std::string_view label);

// Gives each item a distinct `label`, in order: a repeat becomes "<label>_2", "<label>_3", ...
// ("/root" and "/" would otherwise both be "root"; two NVMe drives both report "nvme_composite").
template <class T>
void makeLabelsUnique(std::vector<T>& items) {
  std::unordered_set<std::string> seen;
  for (auto& item : items) {
    if (seen.insert(item.label).second) continue;
    for (std::size_t n = 2;; ++n) {
      auto candidate = item.label + "_" + std::to_string(n);
      if (seen.insert(candidate).second) {
        item.label = std::move(candidate);
        break;
      }
    }
  }
}

}  // namespace streamswarm::sysmetrics

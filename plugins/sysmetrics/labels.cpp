#include "labels.hpp"

#include <streamswarm/config_values.hpp>

namespace streamswarm::sysmetrics {

std::string nameLabel(std::string_view name) {
  auto out = values::labelSegment(name);
  for (auto& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '{' || c == '}') c = '_';
  }
  return out;
}

std::string mountLabel(std::string_view mountPoint) {
  while (mountPoint.size() > 1 && mountPoint.back() == '/') mountPoint.remove_suffix(1);
  if (mountPoint == "/") return "root";
  if (!mountPoint.empty() && mountPoint.front() == '/') mountPoint.remove_prefix(1);
  return nameLabel(mountPoint);
}

std::string sensorLabel(std::string_view chip, std::string_view label) {
  std::string out(chip);
  if (!label.empty()) {
    out += '_';
    out += label;
  }
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      c = '_';
  }
  return out.empty() ? std::string("_") : out;
}

}  // namespace streamswarm::sysmetrics

// Reads a plugin's sample config the way a test checks it: the options of one section, without
// the agent's own keys (enabled, run_every, run_timeout).
#pragma once

#include "tests/support/process.hpp"

#include <streamswarm/config_values.hpp>

#include <map>
#include <string>

namespace streamswarm::testsupport {

inline std::map<std::string, std::string> sectionOptions(const std::string& text, const std::string& section) {
  std::map<std::string, std::string> out;
  bool inside = false;
  for (const auto& raw : lines(text)) {
    const auto line = std::string(values::trim(raw));
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      inside = line == "[" + section + "]";
      continue;
    }
    const auto eq = line.find('=');
    if (!inside || eq == std::string::npos) continue;
    const auto key = std::string(values::trim(line.substr(0, eq)));
    if (key == "enabled" || key == "run_every" || key == "run_timeout") continue;
    out[key] = std::string(values::trim(line.substr(eq + 1)));
  }
  return out;
}

}  // namespace streamswarm::testsupport

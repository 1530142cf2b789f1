// Runs `streamswarm-agent --once` on a config text and parses what it printed: one JSON result per
// line. An optional command prefix runs the agent somewhere else or as someone else, e.g.
// {"ip", "netns", "exec", ns} or {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"}.
// Link Boost::json.
#pragma once

#include "tests/support/process.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace streamswarm::testsupport {

struct AgentRun {
  int status = -1;
  std::string out;
  std::string err;
  std::vector<boost::json::object> results;

  // The result line for `target` (throws when there is none, naming what there was).
  const boost::json::object& result(const std::string& target) const {
    for (const auto& r : results)
      if (const auto* t = r.if_contains("target"); t && t->is_string() && t->as_string() == target) return r;
    throw std::runtime_error("no result for '" + target + "' in agent output:\n" + out + err);
  }
};

inline AgentRun runAgentOnce(const std::string& config, const std::vector<std::string>& prefix = {},
                             std::chrono::milliseconds limit = std::chrono::minutes(2)) {
  TempDir dir;
  // Readable by all: the prefix may drop privileges before the agent reads it.
  ::chmod(dir.path().c_str(), 0755);
  const auto file = dir / "agent.conf";
  writeFile(file, config);
  ::chmod(file.c_str(), 0644);
  std::vector<std::string> argv = prefix;
  argv.push_back((buildDir() / "bin" / "streamswarm-agent").string());
  for (const char* a : {"--once", "--config"}) argv.push_back(a);
  argv.push_back(file.string());
  const auto r = run(argv, limit);
  AgentRun out{r.status, r.out, r.err, {}};
  for (const auto& line : lines(r.out)) out.results.push_back(boost::json::parse(line).as_object());
  return out;
}

// A number from a result's "metrics" object.
inline double metricOf(const boost::json::object& result, const std::string& name) {
  return result.at("metrics").as_object().at(name).to_number<double>();
}

// The command prefix that runs the agent as user nobody (tests of the missing-privilege errors).
inline const std::vector<std::string> kRunAsNobody = {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};

// Empty when user nobody can run the agent from this build tree (a tree under a private home
// cannot); otherwise why not.
inline std::string nobodyCannotRunTheAgent() {
  auto argv = kRunAsNobody;
  argv.push_back((buildDir() / "bin" / "streamswarm-agent").string());
  argv.push_back("--version");
  const auto r = run(argv);
  return r.status == 0 ? std::string() : "user nobody cannot run " + argv.back() + " here: " + r.err;
}

}  // namespace streamswarm::testsupport

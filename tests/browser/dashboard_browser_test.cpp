#define BOOST_TEST_MODULE dashboard_browser
// The web dashboard end to end: the real server on a fresh data directory (its first start makes
// the admin user and prints the password), a real agent enrolled to it running the ping plugin,
// and headless Chromium driven by tests/browser/dashboard.mjs (playwright-core): log in, see the
// agent, create a test through the form, watch results arrive live, chart, stop, create a viewer,
// escaped markup, the viewer's missing buttons and 403. Screenshots land in
// build/test-artifacts/browser.
//
// Needs node, tests/browser/node_modules (npm ci) and /usr/bin/chromium: ./swarm test installs
// them. Missing ones fail the test with what to do, rather than skipping it.
#include "tests/support/process.hpp"
#include "tests/support/server_process.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace ts = streamswarm::testsupport;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kWaitLimit = 60s;      // the server's password line, the agent's registration
constexpr auto kBrowserLimit = 8min;  // the whole browser script (results arrive at 1 s intervals)
constexpr const char* kAgentName = "browser-test-agent";
constexpr const char* kDefaultChromium = "/usr/bin/chromium";

// Screenshots the script must leave behind (full page, 1280x800 and 390x844).
const std::vector<std::string> kScreenshots = {
    "login",   "login-phone",   "dashboard",     "dashboard-phone", "agents", "tokens",      "create-form",
    "results", "results-chart", "results-phone", "tests",           "users",  "users-phone", "viewer-tests"};

std::string chromiumPath() {
  const char* c = std::getenv("CHROMIUM");
  return c && *c ? c : kDefaultChromium;
}

// What is missing to run the browser script, with how to get it; empty when all is there.
std::string missingTools() {
  std::string missing;
  const auto node = ts::run({"sh", "-c", "command -v node"}, 30s);
  if (node.status != 0) missing += "\n  node (apt-get install nodejs)";
  if (!fs::exists(ts::sourceDir() / "tests" / "browser" / "node_modules" / "playwright-core" / "package.json"))
    missing += "\n  playwright-core (cd tests/browser && npm ci --no-audit --no-fund)";
  if (!fs::exists(chromiumPath())) missing += "\n  " + chromiumPath() + " (apt-get install chromium)";
  return missing;
}

}  // namespace

BOOST_AUTO_TEST_CASE(dashboard_in_headless_chromium) {
  const auto missing = missingTools();
  BOOST_REQUIRE_MESSAGE(missing.empty(), "the browser test needs (./swarm test installs them):" << missing);

  ts::TempDir dir;
  const auto dataDir = dir / "data";
  const auto enrollmentToken = ts::serverCli(dataDir, {"token", "create", "--name", "browser-test"});

  ts::ServerProcess server(dataDir);
  const std::regex passwordLine(R"(created user 'admin' with password '([^']+)')");
  std::smatch m;
  std::string out;
  BOOST_REQUIRE_MESSAGE(ts::eventually(
                            [&] {
                              out = server.process().out();
                              return std::regex_search(out, m, passwordLine);
                            },
                            kWaitLimit),
                        "the server's first start printed no admin password line; stdout:\n"
                            << server.process().out() << "\nstderr:\n"
                            << server.process().err());
  const std::string adminPassword = m[1];

  // A local agent with the ping plugin (127.0.0.1 answers; the test runs as root like the other
  // ICMP tests).
  ts::writeFile(dir / "agent.conf", std::string("[agent]\nname = ") + kAgentName + "\n[server]\nurl = " + server.url() +
                                        "\nenrollment_token = " + enrollmentToken + "\nstate_dir = " +
                                        (dir / "state").string() + "\nheartbeat = 1s\ntest_plugins = ping\n");
  ts::Process agent(
      {(ts::buildDir() / "bin" / "streamswarm-agent").string(), "--config", (dir / "agent.conf").string()});
  BOOST_REQUIRE_MESSAGE(
      ts::eventually([&] { return agent.err().find("registered with") != std::string::npos; }, kWaitLimit),
      "the agent did not register: " << agent.err());

  const auto artifacts = ts::buildDir() / "test-artifacts" / "browser";
  fs::remove_all(artifacts);
  fs::create_directories(artifacts);
  const auto script = ts::sourceDir() / "tests" / "browser" / "dashboard.mjs";
  const auto run = ts::run(
      {"env", "BASE_URL=" + server.url(), "ADMIN_PASSWORD=" + adminPassword, std::string("AGENT_NAME=") + kAgentName,
       "ARTIFACT_DIR=" + artifacts.string(), "CHROMIUM=" + chromiumPath(), "node", script.string()},
      kBrowserLimit);
  BOOST_TEST_MESSAGE("browser script output:\n" << run.out << run.err);
  BOOST_CHECK_MESSAGE(run.status == 0, "the browser script failed (" << run.status << "):\n"
                                                                     << run.out << run.err << "\nserver stderr:\n"
                                                                     << server.process().err());
  for (const auto& name : kScreenshots) {
    const auto file = artifacts / (name + ".png");
    BOOST_CHECK_MESSAGE(fs::exists(file) && fs::file_size(file) > 0, "no screenshot " << file);
  }
  BOOST_CHECK(agent.running());
  BOOST_CHECK(server.process().running());
}

#define BOOST_TEST_MODULE server_openapi
// Every route the server's router knows is described in server/api/openapi.yaml, and every
// operation described there is routed: the document cannot drift from the code unnoticed.
#include "server/api/admin_api.hpp"
#include "server/api/agent_api.hpp"
#include "server/api/live_events.hpp"
#include "server/api/openapi_document.hpp"
#include "server/api/public_api.hpp"
#include "server/api/series_api.hpp"
#include "server/api/web_api.hpp"
#include "server/auth/web_access.hpp"
#include "server/scheduler/tests_notifier.hpp"
#include "tests/server/fake_store.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

using namespace streamswarm::server;
namespace ts = streamswarm::testsupport;

namespace {

using Operation = std::pair<std::string, std::string>;  // METHOD, path

// Operations under `paths:` in the YAML: a path is a two-space-indented key starting with '/', an
// operation a four-space-indented HTTP method key below it.
std::set<Operation> documentedOperations(std::string_view yaml) {
  std::set<Operation> ops;
  std::istringstream in{std::string(yaml)};
  bool inPaths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') inPaths = line == "paths:";
    if (!inPaths) continue;
    if (line.starts_with("  /") && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
      continue;
    }
    for (const auto* method : {"get", "post", "put", "patch", "delete"})
      if (line == std::string("    ") + method + ":") {
        std::string upper(method);
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
        ops.emplace(upper, path);
      }
  }
  return ops;
}

std::set<Operation> routedOperations() {
  testing::FakeStore store;
  boost::asio::io_context io;
  TestsNotifier notifier(io, 1);
  const Clock clock = [] { return TimeNs{0}; };
  AgentApi agentApi(store, notifier, clock, {});
  Sessions sessions(store, clock);
  WebAccess access(store, sessions, clock);
  AdminApi adminApi(store, access, clock, {});
  LoginThrottle throttle;
  WebApi webApi(store, access, sessions, throttle, clock, {});
  LiveEvents events(io);
  SeriesApi seriesApi(store, access);
  Router router;
  addPublicRoutes(router);
  agentApi.addRoutes(router);
  adminApi.addRoutes(router);
  webApi.addRoutes(router);
  events.addRoutes(router, access);
  seriesApi.addRoutes(router);
  std::set<Operation> ops;
  // The dashboard's pages and files (/, /static/…, /vendor/…) are not API operations.
  for (const auto& route : router.routes())
    if (route.pattern.starts_with("/api/") || route.pattern == "/healthz") ops.emplace(route.method, route.pattern);
  return ops;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_route_is_documented_and_every_documented_operation_routed) {
  const auto documented = documentedOperations(openApiDocument());
  const auto routed = routedOperations();
  BOOST_TEST(routed.size() >= 19u);
  for (const auto& [method, path] : routed)
    BOOST_TEST(documented.count({method, path}) == 1u, method << " " << path << " is not in openapi.yaml");
  for (const auto& [method, path] : documented)
    BOOST_TEST(routed.count({method, path}) == 1u, method << " " << path << " is documented but not routed");
}

BOOST_AUTO_TEST_CASE(the_embedded_document_is_the_one_in_the_repository) {
  const auto onDisk = ts::readFile(ts::sourceDir() / "server" / "api" / "openapi.yaml");
  BOOST_TEST(onDisk == std::string(openApiDocument()));
  BOOST_TEST(onDisk.starts_with("openapi: 3."));
}

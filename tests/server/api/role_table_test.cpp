#define BOOST_TEST_MODULE server_role_table
// Who may call what: every operator-facing route against every kind of caller (nobody, a viewer,
// operator or admin signed in with a session cookie, and a viewer, operator or admin API token),
// with the exact status each must get, through a Router wired as streamswarm-server wires it.
// Allowed calls carry bodies that succeed, so "allowed" means the real 200/201/204; refused calls
// must leave the store as it was. Then the session rules around it: CSRF, Origin, the sign-in
// content type, disabled users, role changes, the last admin, and user names that look like HTML.
#include "server/api/admin_api.hpp"
#include "server/api/agent_api.hpp"
#include "server/api/live_events.hpp"
#include "server/api/public_api.hpp"
#include "server/api/series_api.hpp"
#include "server/api/web_api.hpp"
#include "server/auth/login_throttle.hpp"
#include "server/auth/sessions.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/auth/web_access.hpp"
#include "server/scheduler/tests_notifier.hpp"
#include "server/web/static_files.hpp"
#include "tests/server/api/sample_agents.hpp"
#include "tests/server/fake_store.hpp"
#include "tests/server/test_passwords.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <iomanip>
#include <map>
#include <sstream>

using namespace streamswarm::server;
using namespace streamswarm::server::testing;
namespace json = boost::json;

namespace {

constexpr TimeNs kSecond = 1'000'000'000;
constexpr TimeNs kT0 = 1'800'000'000LL * kSecond;
constexpr const char* kPassword = "correct horse battery";
constexpr const char* kNewPassword = "another long passphrase";
constexpr const char* kHost = "127.0.0.1:8080";

enum Caller { kNobody, kViewerSession, kOperatorSession, kAdminSession, kViewerToken, kOperatorToken, kAdminToken };
constexpr Caller kCallers[] = {kNobody,      kViewerSession, kOperatorSession, kAdminSession,
                               kViewerToken, kOperatorToken, kAdminToken};
constexpr const char* kCallerNames[] = {"nobody",   "viewer-s",   "operator-s", "admin-s",
                                        "viewer-t", "operator-t", "admin-t"};

struct Credential {
  std::string cookie;  // "ss_session=<value>"
  std::string csrf;
  std::string bearer;
};

// Extra request settings for one call.
struct Tweak {
  std::optional<std::string> csrf;  // instead of the session's own token ("" sends none)
  std::string origin;
  std::optional<std::string> contentType;
};

Tweak withCsrf(std::string token) {
  Tweak t;
  t.csrf = std::move(token);
  return t;
}

Tweak fromOrigin(std::string origin) {
  Tweak t;
  t.origin = std::move(origin);
  return t;
}

Tweak withContentType(std::string type) {
  Tweak t;
  t.contentType = std::move(type);
  return t;
}

// A server as streamswarm-server builds it, over a FakeStore, with: users vera (viewer), otto
// (operator), ada (admin) signed in; tess (viewer), a user to change or delete; API tokens of each
// role and one more to revoke; a registered agent ag-1 with the ping plugin; a running test; an
// enrollment token.
struct World {
  FakeStore inner;
  boost::asio::io_context io;
  LiveEvents events{io};
  PublishingStore store{inner, events};
  TimeNs now = kT0;
  Clock clock = [this] { return now; };
  TestsNotifier notifier{io, 100};
  AgentApi agentApi{store, notifier, clock, [] {}};
  Sessions sessions{store, clock};
  LoginThrottle throttle;
  WebAccess access{store, sessions, clock};
  AdminApi adminApi{store, access, clock, [] {}};
  WebApi webApi{store,    access, sessions,
                throttle, clock,  ServerSettings{"9.8.7", "/var/lib/ss.db", false, 30 * kSecond}};
  SeriesApi seriesApi{store, access};
  Router router;

  std::map<Caller, Credential> credentials;
  std::map<std::string, std::string> ids;  // placeholders in route paths: {test}, {user}, ...

  World() {
    addPublicRoutes(router);
    agentApi.addRoutes(router);
    adminApi.addRoutes(router);
    webApi.addRoutes(router);
    events.addRoutes(router, access);
    seriesApi.addRoutes(router);
    addWebRoutes(router, WebRoots{"/nonexistent/web", "/nonexistent/bootstrap5", "/nonexistent/chart.js"});

    addUser("u-vera", "vera", "viewer");
    addUser("u-otto", "otto", "operator");
    addUser("u-ada", "ada", "admin");
    addUser("u-tess", "tess", "viewer");
    ids["{user}"] = "u-tess";
    credentials[kNobody] = {};
    credentials[kViewerSession] = signIn("vera");
    credentials[kOperatorSession] = signIn("otto");
    credentials[kAdminSession] = signIn("ada");
    credentials[kViewerToken] = {"", "", apiToken("viewer")};
    credentials[kOperatorToken] = {"", "", apiToken("operator")};
    credentials[kAdminToken] = {"", "", apiToken("admin")};
    auto doomed = issueToken(TokenKind::kAdmin, "doomed", std::nullopt, std::nullopt, kT0);
    inner.createToken(doomed.record);
    ids["{apitoken}"] = doomed.record.id;
    auto enrollment = issueToken(TokenKind::kEnrollment, "fleet", std::nullopt, std::nullopt, kT0);
    inner.createToken(enrollment.record);
    ids["{enrollment}"] = enrollment.record.id;

    auto agent = registeredAgent("ag-1", {"dc1"}, {pingSchema()});
    agent.online = true;
    agent.lastSeen = kT0;
    inner.createAgent(agent);
    ids["{agent}"] = agent.id;
    TestRecord test;
    test.id = "t-running";
    test.name = "loopback";
    test.plugin = "ping";
    test.targets = {"127.0.0.1"};
    test.agentIds = {"ag-1"};
    test.intervalNs = 5 * kSecond;
    test.startAt = kT0;
    test.state = TestState::kRunning;
    test.createdAt = test.updatedAt = kT0;
    inner.createTest(test);
    ids["{test}"] = test.id;
    ResultRecord r;
    r.agentId = "ag-1";
    r.seq = 1;
    r.testId = test.id;
    r.plugin = "ping";
    r.target = "127.0.0.1";
    r.timestamp = kT0;
    r.metrics = {{"rtt_avg_ms", 0.25}};
    inner.ingest("ag-1", std::vector{r}, 0);
  }

  void addUser(const std::string& id, const std::string& name, const std::string& role) {
    BOOST_REQUIRE(inner.createUser(cheapUser(id, name, kPassword, role, kT0)));
  }

  std::string apiToken(const std::string& role) {
    auto issued = issueToken(TokenKind::kAdmin, role + "-token", std::nullopt, std::nullopt, kT0);
    issued.record.role = role;
    inner.createToken(issued.record);
    return issued.token;
  }

  std::string target(std::string path) const {
    for (const auto& [placeholder, id] : ids)
      for (auto at = path.find(placeholder); at != std::string::npos; at = path.find(placeholder))
        path.replace(at, placeholder.size(), id);
    return path;
  }

  ApiResponse call(const Credential& who, const std::string& method, const std::string& path,
                   const std::string& body = {}, const Tweak& tweak = {}) {
    ApiRequest req;
    req.method = method;
    const auto full = target(path);
    const auto q = full.find('?');
    req.path = full.substr(0, q);
    if (q != std::string::npos) req.query = full.substr(q + 1);
    req.body = body;
    req.contentType = tweak.contentType.value_or(body.empty() ? "" : "application/json");
    req.host = kHost;
    req.remoteAddress = "127.0.0.1";
    req.origin = tweak.origin;
    req.cookie = who.cookie;
    if (!who.bearer.empty()) req.authorization = "Bearer " + who.bearer;
    // A browser's page sends its CSRF token on every state-changing call.
    if (!who.cookie.empty() && req.changesState()) req.csrfToken = who.csrf;
    if (tweak.csrf) req.csrfToken = *tweak.csrf;
    std::optional<ApiResponse> answer;
    router.dispatch(std::move(req), [&](ApiResponse r) { answer = std::move(r); });
    BOOST_REQUIRE_MESSAGE(answer.has_value(), method << " " << path << " was not answered");
    return std::move(*answer);
  }

  ApiResponse call(Caller c, const std::string& method, const std::string& path, const std::string& body = {},
                   const Tweak& tweak = {}) {
    return call(credentials.at(c), method, path, body, tweak);
  }

  ApiResponse signInResponse(const std::string& username, const std::string& password = kPassword,
                             const Tweak& tweak = {}) {
    return call(Credential{}, "POST", "/api/v1/session",
                json::serialize(json::object{{"username", username}, {"password", password}}), tweak);
  }

  Credential signIn(const std::string& username, const std::string& password = kPassword) {
    const auto r = signInResponse(username, password);
    BOOST_REQUIRE_MESSAGE(r.status == 200u, "sign-in of " << username << ": " << r.status << " " << r.body);
    std::string setCookie;
    for (const auto& [name, value] : r.headers)
      if (name == "Set-Cookie") setCookie = value;
    BOOST_REQUIRE_MESSAGE(setCookie.starts_with("ss_session="), setCookie);
    return Credential{setCookie.substr(0, setCookie.find(';')),
                      std::string(json::parse(r.body).at("csrf_token").as_string()), ""};
  }

  // Everything a refused call must leave alone (not last_seen: reading is allowed to note a visit).
  std::string snapshot() {
    std::ostringstream s;
    for (const auto kind : {TokenKind::kEnrollment, TokenKind::kAdmin})
      for (const auto& t : inner.listTokens(kind)) s << "token " << t.id << " " << t.revoked << " " << t.role << "\n";
    for (const auto& a : inner.listAgents()) s << "agent " << a.id << " " << a.revoked << "\n";
    for (const auto& t : inner.listTests()) s << "test " << t.id << " " << testStateName(t.state) << "\n";
    for (const auto& u : inner.listUsers())
      s << "user " << u.id << " " << u.username << " " << u.role << " " << u.disabled << " " << u.passwordHash << "\n";
    for (const auto& [caller, credential] : credentials)
      if (!credential.cookie.empty())
        s << "session of " << kCallerNames[caller] << " "
          << sessions.resolve(credential.cookie.substr(credential.cookie.find('=') + 1)).has_value() << "\n";
    s << "results " << inner.countResults({}) << "\n";
    return s.str();
  }

  std::string error(const ApiResponse& r) {
    json::error_code ec;
    const auto v = json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) return r.body;
    return std::string(v.at("error").as_string());
  }
};

struct Row {
  const char* method;
  const char* path;
  std::string body;
  unsigned expected[7];  // in kCallers order
};

const std::string kNewTest = R"({"plugin":"ping","targets":["127.0.0.1"],"agents":["ag-1"],"interval_s":5})";
const std::string kNewUser = R"({"username":"newbie","password":"a long enough password","role":"viewer"})";
const std::string kPasswordChange =
    std::string(R"({"current_password":")") + kPassword + R"(","new_password":")" + kNewPassword + "\"}";

// THE table. 401: no credential; 403: below the route's role; 400: the credential cannot do this
// at all (an API token has no session to end or password to change).
const Row kTable[] = {
    //                                                                      nobody v-s  o-s  a-s  v-t  o-t  a-t
    {"GET", "/api/v1/tests", "", {401, 200, 200, 200, 200, 200, 200}},
    {"POST", "/api/v1/tests", kNewTest, {401, 403, 201, 201, 403, 201, 201}},
    {"GET", "/api/v1/tests/{test}", "", {401, 200, 200, 200, 200, 200, 200}},
    {"DELETE", "/api/v1/tests/{test}", "", {401, 403, 204, 204, 403, 204, 204}},
    {"POST", "/api/v1/tests/{test}/stop", "", {401, 403, 200, 200, 403, 200, 200}},
    {"GET", "/api/v1/results?test={test}", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/results?test={test}&format=csv", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/tests/{test}/metrics", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/tests/{test}/series?metric=rtt_avg_ms", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/agents", "", {401, 200, 200, 200, 200, 200, 200}},
    {"POST", "/api/v1/agents/{agent}/revoke", "", {401, 403, 200, 200, 403, 200, 200}},
    {"POST", "/api/v1/enrollment-tokens", R"({"name":"new"})", {401, 403, 403, 201, 403, 403, 201}},
    {"GET", "/api/v1/enrollment-tokens", "", {401, 403, 403, 200, 403, 403, 200}},
    {"DELETE", "/api/v1/enrollment-tokens/{enrollment}", "", {401, 403, 403, 204, 403, 403, 204}},
    {"GET", "/api/v1/users", "", {401, 403, 403, 200, 403, 403, 200}},
    {"POST", "/api/v1/users", kNewUser, {401, 403, 403, 201, 403, 403, 201}},
    {"PATCH", "/api/v1/users/{user}", R"({"role":"operator"})", {401, 403, 403, 200, 403, 403, 200}},
    {"DELETE", "/api/v1/users/{user}", "", {401, 403, 403, 204, 403, 403, 204}},
    {"GET", "/api/v1/api-tokens", "", {401, 403, 403, 200, 403, 403, 200}},
    {"POST", "/api/v1/api-tokens", R"({"name":"ci","role":"viewer"})", {401, 403, 403, 201, 403, 403, 201}},
    {"DELETE", "/api/v1/api-tokens/{apitoken}", "", {401, 403, 403, 204, 403, 403, 204}},
    {"GET", "/api/v1/settings", "", {401, 403, 403, 200, 403, 403, 200}},
    {"GET", "/api/v1/plugins", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/events", "", {401, 200, 200, 200, 200, 200, 200}},
    {"GET", "/api/v1/session", "", {401, 200, 200, 200, 401, 401, 401}},
    {"DELETE", "/api/v1/session", "", {401, 204, 204, 204, 400, 400, 400}},
    {"POST", "/api/v1/session/password", kPasswordChange, {401, 204, 204, 204, 400, 400, 400}},
};

std::string cell(unsigned got, unsigned expected) {
  return got == expected ? std::to_string(got) : std::to_string(got) + "!=" + std::to_string(expected);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_route_gives_every_caller_exactly_its_status) {
  std::ostringstream matrix;
  std::ostringstream details;
  std::size_t mismatches = 0;
  matrix << std::left << std::setw(46) << "route";
  for (const auto* name : kCallerNames) matrix << std::setw(12) << name;
  matrix << "\n";
  for (const auto& row : kTable) {
    matrix << std::setw(46) << (std::string(row.method) + " " + row.path);
    for (const auto caller : kCallers) {
      World world;  // each call on a fresh server: no cell depends on another
      const auto before = world.snapshot();
      const auto r = world.call(caller, row.method, row.path, row.body);
      const auto expected = row.expected[caller];
      matrix << std::setw(12) << cell(r.status, expected);
      const bool refused = r.status == 401 || r.status == 403 || r.status == 400;
      const auto after = world.snapshot();
      if (r.status != expected) {
        ++mismatches;
        details << row.method << " " << row.path << " as " << kCallerNames[caller] << ": " << r.status << " "
                << world.error(r) << "\n";
      } else if (refused && after != before) {
        ++mismatches;
        details << row.method << " " << row.path << " as " << kCallerNames[caller] << " was refused (" << r.status
                << ") but changed the store:\n--- before\n"
                << before << "--- after\n"
                << after;
      }
      // Refusals say why, as JSON.
      if (refused) BOOST_TEST((!world.error(r).empty() && world.error(r) != r.body), row.path << ": " << r.body);
      if (r.stream) r.stream->close();
    }
    matrix << "\n";
  }
  BOOST_TEST(mismatches == 0u, "endpoint x caller (got!=expected):\n" << matrix.str() << details.str());
  BOOST_TEST_MESSAGE("endpoint x caller:\n" << matrix.str());
}

BOOST_AUTO_TEST_CASE(allowed_calls_did_what_they_say) {
  // The table checks statuses; here a few effects, as the admin token.
  World w;
  auto r = w.call(kAdminToken, "POST", "/api/v1/tests", kNewTest);
  BOOST_REQUIRE(r.status == 201u);
  const auto created = json::parse(r.body).as_object();
  BOOST_TEST(w.inner.findTest(std::string(created.at("id").as_string())).has_value());
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/tests/{test}").status == 204u);
  BOOST_TEST(!w.inner.findTest("t-running").has_value());
  BOOST_TEST(w.call(kAdminToken, "POST", "/api/v1/agents/{agent}/revoke").status == 200u);
  BOOST_TEST(w.inner.findAgent("ag-1")->revoked);
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/api-tokens/{apitoken}").status == 204u);
  BOOST_TEST(w.inner.findToken(w.ids["{apitoken}"])->revoked);
  // Enrollment tokens are not API tokens and the other way round.
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/api-tokens/{enrollment}").status == 404u);
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/enrollment-tokens/{apitoken}").status == 404u);

  r = w.call(kAdminToken, "POST", "/api/v1/api-tokens", R"({"name":"ci","role":"viewer"})");
  const auto token = json::parse(r.body).as_object();
  BOOST_TEST(token.at("role").as_string() == "viewer");
  BOOST_TEST(token.at("token").as_string().starts_with("ssk_"));
  // The new token works, with its role.
  const Credential ci{"", "", std::string(token.at("token").as_string())};
  BOOST_TEST(w.call(ci, "GET", "/api/v1/tests").status == 200u);
  BOOST_TEST(w.call(ci, "POST", "/api/v1/tests", kNewTest).status == 403u);
  const auto listed = json::parse(w.call(kAdminToken, "GET", "/api/v1/api-tokens").body).at("tokens").as_array();
  for (const auto& t : listed) BOOST_TEST(!t.as_object().contains("token"), "a listed token shows its secret");
  BOOST_TEST(w.call(kAdminToken, "POST", "/api/v1/api-tokens", R"({"name":"x","role":"root"})").status == 400u);

  const auto settings = json::parse(w.call(kAdminToken, "GET", "/api/v1/settings").body).as_object();
  BOOST_TEST(settings.at("version").as_string() == "9.8.7");
  BOOST_TEST(settings.at("database").as_string() == "/var/lib/ss.db");
  BOOST_TEST(!settings.at("tls").as_bool());
  BOOST_TEST(settings.at("offline_after_s").to_number<double>() == 30.0);
  BOOST_TEST(settings.at("session_idle_s").to_number<double>() == 12.0 * 3600);
  BOOST_TEST(settings.at("session_max_s").to_number<double>() == 7.0 * 24 * 3600);
  BOOST_TEST(settings.at("login_max_failures").to_number<double>() == 5.0);

  // The plugins revoked agents reported are gone with them; a fresh server still has ag-1.
  BOOST_TEST(json::parse(w.call(kViewerSession, "GET", "/api/v1/plugins").body).at("plugins").as_array().empty());
  World fresh;
  const auto plugins = json::parse(fresh.call(kViewerSession, "GET", "/api/v1/plugins").body).at("plugins").as_array();
  BOOST_REQUIRE(plugins.size() == 1u);
  BOOST_TEST(plugins[0].at("name").as_string() == "ping");
  BOOST_TEST(plugins[0].at("agents").as_array().size() == 1u);
  BOOST_TEST(plugins[0].at("agents").as_array()[0].as_string() == "ag-1");
}

// ---- CSRF and Origin ----

BOOST_AUTO_TEST_CASE(a_cookie_request_that_changes_state_needs_the_sessions_csrf_token) {
  World w;
  const auto before = w.snapshot();
  auto r = w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest, withCsrf(""));
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(w.error(r).find("CSRF") != std::string::npos, w.error(r));
  r = w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest, withCsrf("0123456789abcdef"));
  BOOST_TEST(r.status == 403u);
  // Another session's token is as wrong as a made-up one.
  r = w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest, withCsrf(w.credentials[kOperatorSession].csrf));
  BOOST_TEST(r.status == 403u);
  for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"DELETE", "/api/v1/tests/{test}", ""},
           {"POST", "/api/v1/tests/{test}/stop", ""},
           {"PATCH", "/api/v1/users/{user}", R"({"role":"admin"})"},
           {"DELETE", "/api/v1/users/{user}", ""},
           {"POST", "/api/v1/users", kNewUser},
           {"POST", "/api/v1/api-tokens", R"({"role":"admin"})"},
           {"POST", "/api/v1/session/password", kPasswordChange},
           {"DELETE", "/api/v1/session", ""}})
    BOOST_TEST(w.call(kAdminSession, method, path, body, withCsrf("")).status == 403u, method << " " << path);
  BOOST_TEST(w.snapshot() == before);

  // Reading needs no token; with it, the same change goes through.
  BOOST_TEST(w.call(kAdminSession, "GET", "/api/v1/tests", "", withCsrf("")).status == 200u);
  BOOST_TEST(w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest).status == 201u);
  BOOST_TEST(w.inner.listTests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_cross_origin_cookie_request_is_refused_even_with_the_token) {
  World w;
  const auto before = w.snapshot();
  for (const auto* origin : {"http://evil.example", "https://127.0.0.1:8080", "http://127.0.0.1:8081", "null"}) {
    const auto r = w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest, fromOrigin(origin));
    BOOST_TEST(r.status == 403u, origin);
    BOOST_TEST(w.error(r).find("Origin") != std::string::npos, w.error(r));
  }
  BOOST_TEST(w.call(kAdminSession, "DELETE", "/api/v1/session", "", fromOrigin("http://evil.example")).status == 403u);
  BOOST_TEST(w.snapshot() == before);
  // Its own origin is fine.
  BOOST_TEST(w.call(kAdminSession, "POST", "/api/v1/tests", kNewTest, fromOrigin("http://127.0.0.1:8080")).status ==
             201u);
}

BOOST_AUTO_TEST_CASE(a_bearer_token_needs_no_csrf_token_and_outranks_a_cookie) {
  World w;
  BOOST_TEST(w.call(kOperatorToken, "POST", "/api/v1/tests", kNewTest).status == 201u);
  // An Origin is irrelevant to a token: a script sends one, a browser cannot attach the token.
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/tests/{test}", "", fromOrigin("http://elsewhere")).status == 204u);
  // With both, the token decides: a viewer token beside an admin cookie is a viewer.
  Credential both = w.credentials[kAdminSession];
  both.bearer = w.credentials[kViewerToken].bearer;
  BOOST_TEST(w.call(both, "GET", "/api/v1/users").status == 403u);
  // A broken bearer is a 401, not a fall back to the cookie.
  both.bearer = "ssk_nope_nope";
  BOOST_TEST(w.call(both, "GET", "/api/v1/tests").status == 401u);
}

// ---- Signing in ----

BOOST_AUTO_TEST_CASE(sign_in_needs_a_json_content_type_and_the_same_origin) {
  World w;
  BOOST_TEST(w.signInResponse("vera", kPassword, withContentType("text/plain")).status == 415u);
  BOOST_TEST(w.signInResponse("vera", kPassword, withContentType("application/x-www-form-urlencoded")).status == 415u);
  BOOST_TEST(w.signInResponse("vera", kPassword, withContentType("")).status == 415u);
  BOOST_TEST(w.signInResponse("vera", kPassword, fromOrigin("http://evil.example")).status == 403u);
  auto sameOrigin = withContentType("application/json; charset=utf-8");
  sameOrigin.origin = "http://127.0.0.1:8080";
  const auto ok = w.signInResponse("vera", kPassword, sameOrigin);
  BOOST_TEST(ok.status == 200u, ok.body);
  const auto body = json::parse(ok.body).as_object();
  BOOST_TEST(body.at("user").at("username").as_string() == "vera");
  BOOST_TEST(body.at("user").at("role").as_string() == "viewer");
  BOOST_TEST(body.at("csrf_token").as_string().size() >= 32u);
}

BOOST_AUTO_TEST_CASE(wrong_names_and_passwords_get_the_same_401_then_429) {
  World w;
  const auto wrongPassword = w.signInResponse("vera", "not the password");
  const auto unknownUser = w.signInResponse("nobody-by-that-name", kPassword);
  BOOST_TEST(wrongPassword.status == 401u);
  BOOST_TEST(unknownUser.status == 401u);
  BOOST_TEST(w.error(wrongPassword) == w.error(unknownUser));
  for (int i = 0; i < 3; ++i) BOOST_TEST(w.signInResponse("vera", "not the password").status == 401u);
  // The sixth failure in a row is refused with a delay; even the right password waits.
  const auto blocked = w.signInResponse("vera", "not the password");
  BOOST_TEST(blocked.status == 429u, blocked.body);
  const auto rightButBlocked = w.signInResponse("vera", kPassword);
  BOOST_TEST(rightButBlocked.status == 429u);
  std::string retryAfter;
  for (const auto& [name, value] : rightButBlocked.headers)
    if (name == "Retry-After") retryAfter = value;
  BOOST_TEST(!retryAfter.empty());
  BOOST_TEST(json::parse(rightButBlocked.body).at("retry_after_s").to_number<double>() == std::stod(retryAfter));
  // Once the delay has passed the right password works.
  w.now += 60 * kSecond;
  BOOST_TEST(w.signInResponse("vera", kPassword).status == 200u);
}

// ---- Users ----

BOOST_AUTO_TEST_CASE(a_disabled_user_cannot_sign_in_and_their_sessions_stop_working) {
  World w;
  const auto vera = w.credentials[kViewerSession];
  BOOST_TEST(w.call(vera, "GET", "/api/v1/tests").status == 200u);
  auto r = w.call(kAdminSession, "PATCH", "/api/v1/users/u-vera", R"({"disabled":true})");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  BOOST_TEST(json::parse(r.body).at("disabled").as_bool());
  BOOST_TEST(w.call(vera, "GET", "/api/v1/tests").status == 401u);
  BOOST_TEST(w.call(vera, "GET", "/api/v1/events").status == 401u);
  BOOST_TEST(w.call(vera, "GET", "/api/v1/session").status == 401u);
  BOOST_TEST(w.signInResponse("vera").status == 401u);
  // Enabled again: a new sign-in works; the old session was ended, not suspended.
  BOOST_TEST(w.call(kAdminSession, "PATCH", "/api/v1/users/u-vera", R"({"disabled":false})").status == 200u);
  BOOST_TEST(w.call(vera, "GET", "/api/v1/tests").status == 401u);
  BOOST_TEST(w.call(w.signIn("vera"), "GET", "/api/v1/tests").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_role_change_ends_the_users_sessions) {
  World w;
  const auto otto = w.credentials[kOperatorSession];
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-otto", R"({"role":"viewer"})").status == 200u);
  BOOST_TEST(w.call(otto, "GET", "/api/v1/tests").status == 401u);
  const auto again = w.signIn("otto");
  BOOST_TEST(w.call(again, "GET", "/api/v1/tests").status == 200u);
  BOOST_TEST(w.call(again, "POST", "/api/v1/tests", kNewTest).status == 403u);
  // A PATCH that changes nothing about access keeps them signed in.
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-otto", R"({"role":"viewer"})").status == 200u);
  BOOST_TEST(w.call(again, "GET", "/api/v1/tests").status == 200u);
}

BOOST_AUTO_TEST_CASE(password_changes_end_the_other_sessions) {
  World w;
  const auto here = w.credentials[kOperatorSession];
  const auto elsewhere = w.signIn("otto");
  auto r = w.call(here, "POST", "/api/v1/session/password",
                  std::string(R"({"current_password":"wrong password","new_password":")") + kNewPassword + "\"}");
  BOOST_TEST(r.status == 403u);
  r = w.call(here, "POST", "/api/v1/session/password",
             std::string(R"({"current_password":")") + kPassword + R"(","new_password":"short"})");
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(w.call(here, "POST", "/api/v1/session/password", kPasswordChange).status == 204u);
  BOOST_TEST(w.call(here, "GET", "/api/v1/tests").status == 200u);
  BOOST_TEST(w.call(elsewhere, "GET", "/api/v1/tests").status == 401u);
  BOOST_TEST(w.signInResponse("otto", kPassword).status == 401u);
  BOOST_TEST(w.signInResponse("otto", kNewPassword).status == 200u);

  // An admin's reset ends every session of the user.
  r = w.call(kAdminToken, "PATCH", "/api/v1/users/u-otto", R"({"password":"reset by the admin"})");
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(w.call(here, "GET", "/api/v1/tests").status == 401u);
  BOOST_TEST(w.signInResponse("otto", "reset by the admin").status == 200u);
}

BOOST_AUTO_TEST_CASE(guessing_the_current_password_is_throttled_like_signing_in) {
  // Someone holding a stolen session must not get unlimited guesses at the password through the
  // change form.
  World w;
  const auto here = w.credentials[kOperatorSession];
  const auto hashBefore = w.inner.findUser("u-otto")->passwordHash;
  const auto wrong = std::string(R"({"current_password":"wrong guess","new_password":")") + kNewPassword + "\"}";
  for (int i = 0; i < 5; ++i) BOOST_TEST(w.call(here, "POST", "/api/v1/session/password", wrong).status == 403u);
  const auto blocked = w.call(here, "POST", "/api/v1/session/password", kPasswordChange);
  BOOST_TEST(blocked.status == 429u, blocked.body);
  BOOST_TEST(!w.error(blocked).empty());
  BOOST_TEST(w.signInResponse("otto").status == 429u);                 // the same account, the same guesser
  BOOST_TEST(w.inner.findUser("u-otto")->passwordHash == hashBefore);  // the right guess changed nothing
  w.now += 60 * kSecond;
  BOOST_TEST(w.call(here, "POST", "/api/v1/session/password", kPasswordChange).status == 204u);
  BOOST_TEST(w.signInResponse("otto", kNewPassword).status == 200u);
}

BOOST_AUTO_TEST_CASE(signing_out_ends_only_that_session_and_clears_the_cookie) {
  World w;
  const auto here = w.credentials[kViewerSession];
  const auto elsewhere = w.signIn("vera");
  const auto r = w.call(here, "DELETE", "/api/v1/session");
  BOOST_TEST(r.status == 204u);
  std::string setCookie;
  for (const auto& [name, value] : r.headers)
    if (name == "Set-Cookie") setCookie = value;
  BOOST_TEST(setCookie.starts_with("ss_session=;"), setCookie);
  BOOST_TEST(setCookie.find("Max-Age=0") != std::string::npos, setCookie);
  BOOST_TEST(w.call(here, "GET", "/api/v1/tests").status == 401u);
  BOOST_TEST(w.call(elsewhere, "GET", "/api/v1/tests").status == 200u);
}

BOOST_AUTO_TEST_CASE(the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted) {
  World w;
  const auto before = w.snapshot();
  for (const auto* body : {R"({"role":"operator"})", R"({"role":"viewer"})", R"({"disabled":true})"}) {
    const auto r = w.call(kAdminToken, "PATCH", "/api/v1/users/u-ada", body);
    BOOST_TEST(r.status == 409u, body << ": " << r.body);
    BOOST_TEST(w.error(r).find("last") != std::string::npos, w.error(r));
  }
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/users/u-ada").status == 409u);
  BOOST_TEST(w.call(kAdminSession, "PATCH", "/api/v1/users/u-ada", R"({"role":"viewer"})").status == 409u);
  // A disabled admin does not count.
  w.addUser("u-root", "root", "admin");
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-root", R"({"disabled":true})").status == 200u);
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/users/u-ada").status == 409u);
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-ada", R"({"role":"viewer"})").status == 409u);
  BOOST_TEST(w.inner.findUser("u-ada")->role == "admin");
  // With another enabled admin, the change is allowed.
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-root", R"({"disabled":false})").status == 200u);
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-ada", R"({"role":"operator"})").status == 200u);
  BOOST_TEST(w.inner.findUser("u-ada")->role == "operator");
  // And now root is the last one.
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/users/u-root").status == 409u);
  BOOST_TEST(before != w.snapshot());
}

BOOST_AUTO_TEST_CASE(an_admin_cannot_delete_or_disable_themselves) {
  World w;
  w.addUser("u-root", "root", "admin");  // so the last-admin rule is not what refuses
  auto r = w.call(kAdminSession, "DELETE", "/api/v1/users/u-ada");
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(w.error(r).find("yourself") != std::string::npos, w.error(r));
  r = w.call(kAdminSession, "PATCH", "/api/v1/users/u-ada", R"({"disabled":true})");
  BOOST_TEST(r.status == 409u);
  BOOST_TEST(w.inner.findUser("u-ada").has_value());
  BOOST_TEST(!w.inner.findUser("u-ada")->disabled);
  // Another admin may.
  BOOST_TEST(w.call(w.signIn("root"), "DELETE", "/api/v1/users/u-ada").status == 204u);
  BOOST_TEST(!w.inner.findUser("u-ada").has_value());
  BOOST_TEST(w.call(kAdminSession, "GET", "/api/v1/tests").status == 401u);
}

BOOST_AUTO_TEST_CASE(a_user_name_that_looks_like_html_is_stored_and_returned_verbatim) {
  World w;
  const std::string name = "<script>alert(1)</script>";
  auto r = w.call(kAdminToken, "POST", "/api/v1/users",
                  json::serialize(json::object{{"username", name}, {"password", kPassword}, {"role", "viewer"}}));
  BOOST_TEST_REQUIRE(r.status == 201u, r.body);
  json::error_code ec;
  auto created = json::parse(r.body, ec);
  BOOST_TEST_REQUIRE(!ec, "invalid JSON: " << r.body);
  BOOST_TEST(created.at("username").as_string() == name);
  BOOST_TEST(w.inner.findUserByName(name).has_value());

  r = w.call(kAdminToken, "GET", "/api/v1/users");
  const auto users = json::parse(r.body, ec);
  BOOST_TEST_REQUIRE(!ec, "invalid JSON: " << r.body);
  bool listed = false;
  for (const auto& u : users.at("users").as_array()) listed = listed || u.at("username").as_string() == name;
  BOOST_TEST(listed);

  // It signs in under that name, and the session and the event stream say it back unchanged.
  const auto session = w.signIn(name);
  BOOST_TEST(json::parse(w.call(session, "GET", "/api/v1/session").body).at("user").at("username").as_string() == name);
  const auto stream = w.call(session, "GET", "/api/v1/events");
  BOOST_REQUIRE(stream.stream);
  std::optional<std::string> hello;
  stream.stream->next([&](std::optional<std::string> chunk) { hello = std::move(chunk); });
  BOOST_REQUIRE(hello.has_value());
  const auto data = hello->substr(hello->find("data: ") + 6);
  BOOST_TEST(json::parse(data).at("username").as_string() == name);
  stream.stream->close();

  // Quotes, backslashes and non-ASCII survive too; control characters are refused.
  const std::string odd = "\"quoted\" \\ d\xc3\xa9j\xc3\xa0 vu";
  r = w.call(kAdminToken, "POST", "/api/v1/users",
             json::serialize(json::object{{"username", odd}, {"password", kPassword}, {"role", "viewer"}}));
  BOOST_TEST_REQUIRE(r.status == 201u, r.body);
  BOOST_TEST(json::parse(r.body).at("username").as_string() == odd);
  r = w.call(kAdminToken, "POST", "/api/v1/users",
             json::serialize(json::object{{"username", "two\nlines"}, {"password", kPassword}, {"role", "viewer"}}));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(w.error(r).find("username") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(user_requests_are_checked) {
  World w;
  const auto before = w.snapshot();
  const std::pair<std::string, unsigned> cases[] = {
      {R"({"username":"vera","password":"a long enough password","role":"viewer"})", 409},
      {R"({"username":"x","password":"short","role":"viewer"})", 400},
      {R"({"username":"x","password":"a long enough password","role":"root"})", 400},
      {R"({"username":"","password":"a long enough password","role":"viewer"})", 400},
      {R"({"username":" x","password":"a long enough password","role":"viewer"})", 400},
      {R"({"username":"x","password":"a long enough password","role":"viewer","admin":true})", 400},
      {R"({"username":"x","role":"viewer"})", 400},
      {"not json", 400}};
  for (const auto& [body, status] : cases)
    BOOST_TEST(w.call(kAdminToken, "POST", "/api/v1/users", body).status == status, body);
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-none", R"({"role":"viewer"})").status == 404u);
  BOOST_TEST(w.call(kAdminToken, "DELETE", "/api/v1/users/u-none").status == 404u);
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-tess", R"({"disabled":"yes"})").status == 400u);
  BOOST_TEST(w.call(kAdminToken, "PATCH", "/api/v1/users/u-tess", R"({"username":"renamed"})").status == 400u);
  BOOST_TEST(w.snapshot() == before);
}

BOOST_AUTO_TEST_CASE(plugins_lists_each_plugin_once_with_its_newest_schema_and_every_agent_that_has_it) {
  World w;
  // ag-1 (from the World) has ping 1.0.0.
  w.inner.createAgent(registeredAgent("ag-2", {}, {pingSchema("1.10.0")}));
  w.inner.createAgent(registeredAgent("ag-3", {}, {pingSchema("1.9.2"), sysSchema()}));
  auto revoked = registeredAgent("ag-4", {}, {pingSchema("7.0.0")});
  revoked.revoked = true;
  w.inner.createAgent(revoked);
  auto broken = registeredAgent("ag-5", {}, {});
  broken.pluginsJson = "not json";
  w.inner.createAgent(broken);

  const auto r = w.call(kViewerToken, "GET", "/api/v1/plugins");
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  std::map<std::string, json::object> byName;
  const auto listed = json::parse(r.body);
  for (const auto& p : listed.at("plugins").as_array()) {
    const std::string name(p.at("name").as_string());
    BOOST_TEST(!byName.contains(name), "listed twice: " << name);
    byName[name] = p.as_object();
  }
  BOOST_REQUIRE(byName.size() == 2u);
  // 1.10.0 is newer than 1.9.2: versions compare by number, not as text.
  BOOST_TEST(byName["ping"].at("version").as_string() == "1.10.0");
  std::vector<std::string> agents;
  for (const auto& a : byName["ping"].at("agents").as_array()) agents.emplace_back(a.as_string());
  BOOST_TEST(agents == (std::vector<std::string>{"ag-1", "ag-2", "ag-3"}));
  BOOST_TEST(byName["sysmetrics"].at("agents").as_array().size() == 1u);
  BOOST_TEST(byName["ping"].contains("config"));
  BOOST_TEST(byName["ping"].contains("metrics"));
}

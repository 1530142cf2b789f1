#define BOOST_TEST_MODULE server_web_integration
// The dashboard's side of the real streamswarm-server, over loopback: the first-start admin and
// its one-time password, signing in over HTTP and HTTPS (cookie attributes), the security headers
// on every kind of response, the live event stream read from a raw socket (hello, then agents,
// tests and results as they happen, and its end when the server is stopped), and the `user` CLI.
#include "tests/server/integration/server_fixture.hpp"
#include "tests/support/test_pki.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <sstream>

using namespace streamswarm::testsupport::integration;

namespace {

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// How long to wait for an event the server should send at once: generous, so a loaded machine
// does not make the test flaky; the assertion is that it comes at all.
constexpr auto kEventWait = 10s;

// The password from the first start's "created user 'admin' with password '...'" line.
std::string firstAdminPassword(const std::string& stdoutText) {
  const std::regex line(
      R"(^streamswarm-server: created user 'admin' with password '([^']+)' \(shown once; change it under Profile\)$)");
  std::smatch m;
  for (const auto& l : ts::lines(stdoutText))
    if (std::regex_match(l, m, line)) return m[1];
  BOOST_FAIL("no 'created user' line in the server's output:\n" << stdoutText);
  return {};
}

struct SignedIn {
  std::string cookie;  // "ss_session=..."
  std::string csrf;
  std::string setCookie;  // the whole Set-Cookie header
};

SignedIn signIn(ts::HttpClient& client, const std::string& username, const std::string& password) {
  const auto r =
      client.post("/api/v1/session", json::serialize(json::object{{"username", username}, {"password", password}}));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, "sign-in of " << username << ": " << r.status << " " << r.body);
  const auto setCookie = r.header("Set-Cookie");
  BOOST_REQUIRE_MESSAGE(setCookie.starts_with("ss_session="), setCookie);
  return {setCookie.substr(0, setCookie.find(';')), str(parse(r).at("csrf_token")), setCookie};
}

unsigned signInStatus(ts::HttpClient& client, const std::string& username, const std::string& password) {
  return client.post("/api/v1/session", json::serialize(json::object{{"username", username}, {"password", password}}))
      .status;
}

// Set-Cookie attributes, split at "; ", without the name=value pair.
std::vector<std::string> cookieAttributes(const std::string& setCookie) {
  std::vector<std::string> out;
  std::size_t at = setCookie.find("; ");
  while (at != std::string::npos) {
    const auto next = setCookie.find("; ", at + 2);
    out.push_back(setCookie.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2));
    at = next;
  }
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void checkSecurityHeaders(const ts::HttpResponse& r, const std::string& what) {
  BOOST_TEST(r.header("Content-Security-Policy") == kCsp, what);
  BOOST_TEST(r.header("Content-Security-Policy").find("unsafe-inline") == std::string::npos, what);
  BOOST_TEST(r.header("Content-Security-Policy").find("unsafe-eval") == std::string::npos, what);
  BOOST_TEST(r.header("X-Content-Type-Options") == "nosniff", what);
  BOOST_TEST(r.header("X-Frame-Options") == "DENY", what);
  BOOST_TEST(r.header("Referrer-Policy") == "same-origin", what);
}

// A browser's EventSource, by hand: one GET on a raw socket, the chunked body decoded as it
// arrives and split into events. Every wait is bounded.
class EventStreamClient {
 public:
  struct Event {
    std::string type;
    json::object data;
  };

  EventStreamClient(unsigned short port, const std::string& cookie) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE_MESSAGE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect failed");
    const std::string request = "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nAccept: text/event-stream\r\nCookie: " + cookie + "\r\n\r\n";
    BOOST_REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
    const auto deadline = std::chrono::steady_clock::now() + kEventWait;
    while (raw_.find("\r\n\r\n") == std::string::npos)
      BOOST_REQUIRE_MESSAGE(readSome(deadline), "no response header; got: " << raw_);
    const auto end = raw_.find("\r\n\r\n");
    const auto head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    status_ = static_cast<unsigned>(std::stoi(head.substr(9, 3)));
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos) {
      const auto next = head.find("\r\n", at + 2);
      const auto line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        response_.headers.emplace_back(line.substr(0, colon), value);
      }
      at = next;
    }
    response_.status = status_;
    decode();  // the first chunk may have come with the header
  }
  ~EventStreamClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  unsigned status() const { return status_; }
  const ts::HttpResponse& response() const { return response_; }

  // The next event of `type`, skipping (and keeping) others; fails the test after kEventWait.
  Event waitFor(const std::string& type, const std::function<bool(const json::object&)>& matches = {}) {
    const auto deadline = std::chrono::steady_clock::now() + kEventWait;
    while (true) {
      while (!events_.empty()) {
        auto e = std::move(events_.front());
        events_.erase(events_.begin());
        seen_.push_back(e.type + " " + json::serialize(e.data));
        if (e.type == type && (!matches || matches(e.data))) return e;
      }
      BOOST_REQUIRE_MESSAGE(!ended_, "the stream ended before a '" << type << "' event; seen: " << seenText());
      BOOST_REQUIRE_MESSAGE(readSome(deadline),
                            "no '" << type << "' event within " << kEventWait.count() << " s; seen: " << seenText());
    }
  }

  // True when the server ends the stream (its last chunk or a close) within `limit`.
  bool waitForEnd(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ended_)
      if (!readSome(deadline)) return ended_;
    return true;
  }

  // The raw text of every chunk so far (comments and retry lines included).
  const std::string& text() const { return text_; }

 private:
  // Reads what arrives before `deadline` and decodes it; false on timeout or when nothing more
  // will come.
  bool readSome(std::chrono::steady_clock::time_point deadline) {
    if (closed_) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      ended_ = true;
      return true;
    }
    raw_.append(buffer, static_cast<std::size_t>(n));
    if (status_ != 0) decode();
    return true;
  }

  void decode() {
    while (!ended_) {
      const auto eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      const auto size = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (size == 0) {
        ended_ = true;
        return;
      }
      if (raw_.size() < eol + 2 + size + 2) return;
      const auto chunk = raw_.substr(eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
      text_ += chunk;
      body_ += chunk;
      for (auto end = body_.find("\n\n"); end != std::string::npos; end = body_.find("\n\n")) {
        parseBlock(body_.substr(0, end));
        body_.erase(0, end + 2);
      }
    }
  }

  void parseBlock(const std::string& block) {
    Event e;
    std::string data;
    for (const auto& line : ts::lines(block)) {
      if (line.starts_with("event: ")) e.type = line.substr(7);
      if (line.starts_with("data: ")) data += line.substr(6);
    }
    if (e.type.empty()) return;  // a comment (": ping") or a lone retry line
    e.data = json::parse(data).as_object();
    events_.push_back(std::move(e));
  }

  std::string seenText() const {
    std::string out;
    for (const auto& s : seen_) out += "\n  " + s;
    return out.empty() ? " (none)" : out;
  }

  int fd_ = -1;
  unsigned status_ = 0;
  ts::HttpResponse response_;
  std::string raw_;
  std::string body_;
  std::string text_;
  std::vector<Event> events_;
  std::vector<std::string> seen_;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_first_start_creates_an_admin_once_and_prints_its_password_once, Server) {
  const auto out = ts::lines(server->process().out());
  std::vector<std::size_t> listening, created;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].starts_with("listening on ")) listening.push_back(i);
    if (out[i].find("created user") != std::string::npos) created.push_back(i);
  }
  BOOST_REQUIRE_MESSAGE(listening.size() == 1u && created.size() == 1u, server->process().out());
  BOOST_TEST(created[0] > listening[0]);
  const auto password = firstAdminPassword(server->process().out());
  BOOST_TEST(password.size() == 20u);
  // Not in the log on stderr: stdout is where the operator who started it looks once.
  BOOST_TEST(server->process().err().find(password) == std::string::npos);

  auto browser = client();
  BOOST_TEST(signInStatus(*browser, "admin", "not the password") == 401u);
  const auto session = signIn(*browser, "admin", password);
  const auto attributes = cookieAttributes(session.setCookie);
  BOOST_TEST(has(attributes, "HttpOnly"), session.setCookie);
  BOOST_TEST(has(attributes, "SameSite=Strict"), session.setCookie);
  BOOST_TEST(has(attributes, "Path=/"), session.setCookie);
  BOOST_TEST(!has(attributes, "Secure"), "no Secure over plain HTTP: " << session.setCookie);
  const auto me = browser->get("/api/v1/session", {{"Cookie", session.cookie}});
  BOOST_TEST(me.status == 200u, me.body);
  BOOST_TEST(parse(me).at("user").at("role").as_string() == "admin");
  BOOST_TEST(me.header("Cache-Control") == "no-store");

  // A restart finds the admin and says nothing; the password and the session still work.
  BOOST_TEST(server->stop() == 0);
  start();
  BOOST_TEST(server->process().out().find("created user") == std::string::npos, server->process().out());
  BOOST_TEST(client()->get("/api/v1/users", {{"Cookie", session.cookie}}).status == 200u);
  auto again = client();
  signIn(*again, "admin", password);
}

BOOST_AUTO_TEST_CASE(every_kind_of_response_carries_the_security_headers) {
  Server s;
  ts::TempDir web;
  ts::writeFile(web / "index.html",
                "<!doctype html><title>StreamSwarm</title><script src=\"/static/app.js\"></script>");
  s.server->stop();
  s.start({"--web-root", web.path().string()});
  auto anonymous = s.client();
  const std::vector<std::pair<std::string, std::function<ts::HttpResponse()>>> requests{
      {"API JSON", [&] { return s.admin->get("/api/v1/tests"); }},
      {"health", [&] { return anonymous->get("/healthz"); }},
      {"401", [&] { return anonymous->get("/api/v1/tests"); }},
      {"404 route", [&] { return anonymous->get("/no/such/page"); }},
      {"404 file", [&] { return anonymous->get("/static/missing.js"); }},
      {"405", [&] { return anonymous->request("PUT", "/api/v1/session"); }},
      {"400", [&] { return s.admin->post("/api/v1/tests", "{not json"); }},
      {"page", [&] { return anonymous->get("/"); }},
      {"bootstrap", [&] { return anonymous->get("/vendor/bootstrap/css/bootstrap.min.css"); }},
      {"chart.js", [&] { return anonymous->get("/vendor/chart.js/chart.min.js"); }},
      {"traversal", [&] { return anonymous->get("/static/%2e%2e/%2e%2e/etc/passwd"); }},
      {"malformed", [&] { return anonymous->raw("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: zz\r\n\r\n"); }},
  };
  for (const auto& [what, send] : requests) {
    const auto r = send();
    BOOST_TEST_MESSAGE(what << ": " << r.status);
    checkSecurityHeaders(r, what);
    if (!anonymous->connected()) anonymous = s.client();
  }
  const auto page = anonymous->get("/");
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(page.header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.body.find("StreamSwarm") != std::string::npos);
  const auto css = anonymous->get("/vendor/bootstrap/css/bootstrap.min.css");
  BOOST_TEST(css.status == 200u, "Debian's libjs-bootstrap5 is needed: " << css.body);
  BOOST_TEST(css.header("Content-Type") == "text/css; charset=utf-8");
  BOOST_TEST(css.body.size() > 10'000u);
  const auto js = anonymous->get("/vendor/chart.js/chart.min.js");
  BOOST_TEST(js.status == 200u, "Debian's libjs-chart.js is needed: " << js.body);
  BOOST_TEST(js.header("Content-Type") == "text/javascript; charset=utf-8");
  const auto traversal = anonymous->get("/static/%2e%2e/%2e%2e/etc/passwd");
  BOOST_TEST(traversal.status == 404u);
  BOOST_TEST(traversal.body.find("root:") == std::string::npos);
  BOOST_TEST(s.server->stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_connection_refused_for_the_limit_carries_the_security_headers_too) {
  Server s;
  s.server->stop();
  s.start({"--max-connections", "1"});
  BOOST_TEST(s.admin->get("/healthz").status == 200u);  // holds the one connection
  const auto r = s.client()->get("/healthz");
  BOOST_TEST(r.status == 503u);
  checkSecurityHeaders(r, "503");
  BOOST_TEST(s.server->stop() == 0);
}

BOOST_AUTO_TEST_CASE(over_tls_the_cookie_is_secure) {
  ts::TempDir pki;
  ts::TestPki ca(pki.path());
  const auto leaf = ca.issue("server", {"localhost"}, {"127.0.0.1"}, -1h, 24h);
  Server s;
  const auto password = firstAdminPassword(s.server->process().out());
  s.server->stop();
  ts::HttpClient::Options trust;
  trust.caFile = ca.rootFile();
  s.start({"--tls-cert", leaf.chainFile.string(), "--tls-key", leaf.keyFile.string()}, trust);
  ts::HttpClient browser(s.server->url(), trust);
  const auto session = signIn(browser, "admin", password);
  const auto attributes = cookieAttributes(session.setCookie);
  for (const auto* a : {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"})
    BOOST_TEST(has(attributes, a), a << " in " << session.setCookie);
  const auto settings = browser.get("/api/v1/settings", {{"Cookie", session.cookie}});
  BOOST_TEST(settings.status == 200u, settings.body);
  BOOST_TEST(parse(settings).at("tls").as_bool());
  checkSecurityHeaders(settings, "over TLS");
  // Signing out over TLS clears the cookie with the same attributes.
  const auto out = browser.del("/api/v1/session", {{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}});
  BOOST_TEST(out.status == 204u, out.body);
  const auto cleared = cookieAttributes(out.header("Set-Cookie"));
  BOOST_TEST(has(cleared, "Secure"));
  BOOST_TEST(has(cleared, "Max-Age=0"));
  BOOST_TEST(browser.get("/api/v1/session", {{"Cookie", session.cookie}}).status == 401u);
  BOOST_TEST(s.server->stop() == 0);
}

BOOST_FIXTURE_TEST_CASE(the_event_stream_says_hello_then_what_happens_and_ends_on_sigterm, Server) {
  const auto password = firstAdminPassword(server->process().out());
  auto browser = client();
  const auto session = signIn(*browser, "admin", password);

  // Without a session: a JSON 401, not a stream.
  const auto refused = client()->get("/api/v1/events");
  BOOST_TEST(refused.status == 401u);
  BOOST_TEST(parse(refused).contains("error"));

  EventStreamClient events(server->port(), session.cookie);
  BOOST_TEST_REQUIRE(events.status() == 200u);
  BOOST_TEST(events.response().header("Content-Type") == "text/event-stream");
  BOOST_TEST(events.response().header("Cache-Control") == "no-store");
  BOOST_TEST(events.response().header("Transfer-Encoding") == "chunked");
  checkSecurityHeaders(events.response(), "event stream");
  const auto hello = events.waitFor("hello");
  BOOST_TEST(hello.data.at("role").as_string() == "admin");
  BOOST_TEST(hello.data.at("username").as_string() == "admin");
  BOOST_TEST(events.text().starts_with("retry: "));

  // An agent enrolls and registers, a test is created for it with the admin API token, and it
  // sends results: each is announced.
  auto a = enroll();
  const auto enrolled =
      events.waitFor("agents", [&](const json::object& d) { return d.at("agent").as_string() == a.id; });
  BOOST_TEST(!enrolled.data.at("online").as_bool());  // enrolled, not yet registered
  registerAgent(a);
  events.waitFor("agents",
                 [&](const json::object& d) { return d.at("agent").as_string() == a.id && d.at("online").as_bool(); });
  const auto r = admin->post(
      "/api/v1/tests", R"({"plugin":"ping","targets":["127.0.0.1"],"agents":[")" + a.id + R"("],"interval_s":5})");
  BOOST_TEST_REQUIRE(r.status == 201u, r.body);
  const auto test = str(parse(r).at("id"));
  const auto created = events.waitFor("tests", [&](const json::object& d) { return d.at("test").as_string() == test; });
  BOOST_TEST(created.data.at("state").as_string() == "running");
  const auto posted = a.client->post(a.path("/results"), batch({result(1, test), result(2, test), result(3, "")}));
  BOOST_TEST_REQUIRE(posted.status == 200u, posted.body);
  const auto results = events.waitFor("results", [&](const json::object& d) { return d.at("test").is_string(); });
  BOOST_TEST(results.data.at("test").as_string() == test);
  BOOST_TEST(results.data.at("agent").as_string() == a.id);
  BOOST_TEST(results.data.at("count").as_int64() == 2);
  BOOST_TEST(results.data.at("latest").as_string() == "2026-11-21T23:41:53.100002Z");
  BOOST_TEST(admin->post("/api/v1/tests/" + test + "/stop").status == 200u);
  const auto stopped = events.waitFor("tests", [&](const json::object& d) { return d.at("test").as_string() == test; });
  BOOST_TEST(stopped.data.at("state").as_string() == "stopped");

  // SIGTERM with the stream open: the stream ends and the server exits 0 within its grace period.
  server->process().signal(SIGTERM);
  BOOST_TEST(events.waitForEnd(30s), "the event stream was not ended by the shutdown");
  BOOST_TEST(server->process().wait(60s) == 0);
  BOOST_TEST(server->process().err().find("after the grace period") == std::string::npos, server->process().err());
  BOOST_TEST(server->process().err().find("stopped") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(the_user_cli_creates_users_sets_passwords_and_lists_them, Server) {
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), ts::serverBinary().string());
    args.push_back("--data-dir");
    args.push_back(data.path().string());
    return ts::run(args, 60s);
  };
  // A random password, alone on stdout, while the server runs on the same database.
  auto r = cli({"user", "create", "bob", "--role", "operator"});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  auto out = ts::lines(r.out);
  BOOST_REQUIRE_MESSAGE(out.size() == 1u, r.out);
  const auto bobPassword = out[0];
  BOOST_TEST(bobPassword.size() == 20u);
  auto browser = client();
  const auto bob = signIn(*browser, "bob", bobPassword);
  BOOST_TEST(parse(browser->get("/api/v1/session", {{"Cookie", bob.cookie}})).at("user").at("role").as_string() ==
             "operator");

  // --password-file: nothing printed.
  ts::TempDir files;
  ts::writeFile(files / "carol.txt", "carol's long passphrase\n");
  r = cli({"user", "create", "carol", "--password-file", (files / "carol.txt").string()});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(ts::lines(r.out).empty(), r.out);
  BOOST_TEST(signInStatus(*client(), "carol", "carol's long passphrase") == 200u);

  // Mistakes: a bad role (usage, 2, naming --role), a taken name (1), a short password file (2).
  r = cli({"user", "create", "dave", "--role", "root"});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("--role") != std::string::npos, r.err);
  r = cli({"user", "create", "bob", "--role", "viewer"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err.find("bob") != std::string::npos, r.err);
  ts::writeFile(files / "short.txt", "short\n");
  r = cli({"user", "create", "erin", "--password-file", (files / "short.txt").string()});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.err.find("--password-file") != std::string::npos, r.err);
  r = cli({"user", "set-password", "nobody"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.err.find("nobody") != std::string::npos, r.err);

  // set-password: a new random one; the old one and bob's sessions stop working.
  r = cli({"user", "set-password", "bob"});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  out = ts::lines(r.out);
  BOOST_REQUIRE_MESSAGE(out.size() == 1u, r.out);
  BOOST_TEST(out[0] != bobPassword);
  BOOST_TEST(browser->get("/api/v1/session", {{"Cookie", bob.cookie}}).status == 401u);
  BOOST_TEST(signInStatus(*client(), "bob", bobPassword) == 401u);
  BOOST_TEST(signInStatus(*client(), "bob", out[0]) == 200u);

  r = cli({"user", "list"});
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  std::map<std::string, std::string> roles;
  for (const auto& line : ts::lines(r.out)) {
    std::istringstream fields(line);
    std::string id, name, role;
    fields >> id >> name >> role;
    if (id != "ID") roles[name] = role;
  }
  BOOST_TEST(roles.size() == 3u, r.out);
  BOOST_TEST(roles["admin"] == "admin");
  BOOST_TEST(roles["bob"] == "operator");
  BOOST_TEST(roles["carol"] == "viewer");
  BOOST_TEST(r.out.find(bobPassword) == std::string::npos);
}

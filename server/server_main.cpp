// streamswarm-server: the HTTP API over an embedded SQLite database (`serve`, the default), and
// the operator's commands for enrollment and admin tokens.
#include "core/log.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/agent_api.hpp"
#include "server/api/live_events.hpp"
#include "server/api/public_api.hpp"
#include "server/api/rfc3339.hpp"
#include "server/api/series_api.hpp"
#include "server/api/web_api.hpp"
#include "server/auth/login_throttle.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/auth/sessions.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/auth/web_access.hpp"
#include "server/http/http_server.hpp"
#include "server/http/router.hpp"
#include "server/scheduler/clock.hpp"
#include "server/scheduler/rollup_worker.hpp"
#include "server/scheduler/scheduler_timer.hpp"
#include "server/scheduler/test_scheduler.hpp"
#include "server/scheduler/tests_notifier.hpp"
#include "server/storage/store.hpp"
#include "server/web/static_files.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#ifndef STREAMSWARM_VERSION
#define STREAMSWARM_VERSION "0.0.0"
#endif
#ifndef STREAMSWARM_SOURCE_WEB_ROOT
#define STREAMSWARM_SOURCE_WEB_ROOT ""
#endif

namespace po = boost::program_options;
namespace asio = boost::asio;
namespace core = streamswarm::core;
using namespace streamswarm::server;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr std::chrono::seconds kShutdownGrace{10};  // in-flight requests get this long to finish
constexpr std::chrono::milliseconds kDrainPoll{50};
constexpr unsigned kMaxThreads = 64;

// A start-up or usage problem, reported as "streamswarm-server: <message>" with exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr const char* kUsage =
    "usage: streamswarm-server [serve] [--listen HOST:PORT] [--data-dir DIR] [--db FILE]\n"
    "                          [--tls-cert FILE --tls-key FILE] [--offline-after 30s] [--threads N]\n"
    "                          [--max-connections 512] [--web-root DIR] [--vendor-dir DIR]\n"
    "       streamswarm-server token create [--name N] [--ttl 24h] [--uses N] [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server token list [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server token revoke ID [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server admin-token create [--name N] [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server admin-token list|revoke ID [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server user create NAME [--role viewer|operator|admin] [--password-file F] [--data-dir DIR]\n"
    "       streamswarm-server user set-password NAME [--password-file F] [--data-dir DIR | --db FILE]\n"
    "       streamswarm-server user list [--data-dir DIR | --db FILE]\n";

po::options_description databaseOptions() {
  po::options_description d("database");
  d.add_options()("data-dir", po::value<std::string>()->default_value("./streamswarm-data"),
                  "directory for the database (created if missing)")(
      "db", po::value<std::string>(), "SQLite database file (default: DATA_DIR/streamswarm.db)");
  return d;
}

std::string databasePath(const po::variables_map& vm) {
  if (vm.count("db")) return vm["db"].as<std::string>();
  const std::filesystem::path dir = vm["data-dir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create data directory " + dir.string() + ": " + ec.message());
  return (dir / "streamswarm.db").string();
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& options,
                        const po::positional_options_description& positional = {}) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see --help)");
  }
  return vm;
}

TimeNs durationOption(const po::variables_map& vm, const char* name) {
  const auto text = vm[name].as<std::string>();
  const auto ns = streamswarm::values::parseDurationNs(text);
  if (!ns) throw UsageError("--" + std::string(name) + ": '" + text + "' is not a duration (e.g. 30s, 5m, 24h)");
  return *ns;
}

struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};

ListenAddress parseListen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw UsageError("--listen: '" + text + "' is not HOST:PORT");
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port = streamswarm::values::parseInt(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) throw UsageError("--listen: '" + text + "' has no valid port");
  return {host, static_cast<unsigned short>(*port)};
}

std::string orDash(const std::optional<TimeNs>& t) {
  return t ? formatRfc3339(*t) : "-";
}

// The dashboard's files: installed beside the binary (PREFIX/share/streamswarm/web), else the
// source tree this binary was built from.
std::filesystem::path defaultWebRoot() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "streamswarm" / "web";
    if (std::filesystem::exists(installed / "index.html", ec)) return installed;
  }
  return STREAMSWARM_SOURCE_WEB_ROOT;
}

// First start: an admin with a random password, shown once (the caller prints it). Never a fixed
// default.
std::optional<std::string> ensureAnAdmin(Store& store) {
  if (!store.listUsers().empty()) return std::nullopt;
  auto password = randomPassword();
  if (!store.createUser(newUserRecord("admin", password, "admin", systemNow())))
    return std::nullopt;  // another process created it at the same moment
  return password;
}

// ---- serve ----

int serve(const std::vector<std::string>& args) {
  po::options_description options("serve");
  options.add_options()("help,h", "show this help")("listen", po::value<std::string>()->default_value("127.0.0.1:8080"),
                                                    "address to listen on (port 0: any)")(
      "tls-cert", po::value<std::string>(), "PEM certificate chain: serve HTTPS")("tls-key", po::value<std::string>(),
                                                                                  "PEM private key for --tls-cert")(
      "offline-after", po::value<std::string>()->default_value("30s"), "mark agents offline when not seen this long")(
      "threads", po::value<unsigned>()->default_value(2), "I/O threads")(
      "max-connections", po::value<std::size_t>()->default_value(HttpLimits{}.maxConnections),
      "open connections beyond this are answered 503 and closed")(
      "web-root", po::value<std::string>()->default_value(defaultWebRoot().string()), "the dashboard's files")(
      "vendor-dir", po::value<std::string>()->default_value("/usr/share/javascript"),
      "Debian's JavaScript libraries (bootstrap5, chart.js)");
  options.add(databaseOptions());
  const auto vm = parse(args, options);
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << options;
    return 0;
  }
  const auto listen = parseListen(vm["listen"].as<std::string>());
  const auto offlineAfter = durationOption(vm, "offline-after");
  if (offlineAfter <= 0) throw UsageError("--offline-after must be positive");
  const auto threads = vm["threads"].as<unsigned>();
  if (threads == 0 || threads > kMaxThreads) throw UsageError("--threads must be 1.." + std::to_string(kMaxThreads));
  const auto maxConnections = vm["max-connections"].as<std::size_t>();
  if (maxConnections == 0) throw UsageError("--max-connections must be positive");
  std::optional<TlsFiles> tls;
  if (vm.count("tls-cert") != vm.count("tls-key")) throw UsageError("--tls-cert and --tls-key go together");
  if (vm.count("tls-cert")) tls = TlsFiles{vm["tls-cert"].as<std::string>(), vm["tls-key"].as<std::string>()};

  const auto dbPath = databasePath(vm);
  const auto sqliteStore = openSqliteStore(dbPath);
  const auto firstAdminPassword = ensureAnAdmin(*sqliteStore);
  const WebRoots webRoots{vm["web-root"].as<std::string>(),
                          std::filesystem::path(vm["vendor-dir"].as<std::string>()) / "bootstrap5",
                          std::filesystem::path(vm["vendor-dir"].as<std::string>()) / "chart.js"};
  for (const auto& required : {webRoots.pages / "index.html", webRoots.bootstrap / "css" / "bootstrap.min.css",
                               webRoots.chartJs / "chart.min.js"})
    if (!std::filesystem::exists(required))
      core::logLine(core::LogLevel::kWarning, "dashboard file " + required.string() +
                                                  " is missing: the web pages will not work (see --web-root, "
                                                  "--vendor-dir; Debian packages libjs-bootstrap5, libjs-chart.js)");

  {
    asio::io_context io(static_cast<int>(threads));
    LiveEvents events(io);
    PublishingStore publishing(*sqliteStore, events);
    Store* const store = &publishing;
    // Versions start from the clock so they keep growing across restarts.
    TestsNotifier notifier(io, static_cast<std::uint64_t>(systemNow() / 1'000'000));
    TestScheduler scheduler(*store, [&notifier] { notifier.bump(); });
    SchedulerTimer schedulerTimer(io, scheduler, systemNow, offlineAfter);
    auto testsChanged = [&notifier, &schedulerTimer] {
      notifier.bump();
      schedulerTimer.poke();
    };
    AgentApi agentApi(*store, notifier, systemNow, testsChanged);
    Sessions sessions(*store, systemNow);
    LoginThrottle throttle;
    WebAccess access(*store, sessions, systemNow);
    AdminApi adminApi(*store, access, systemNow, testsChanged);
    WebApi webApi(*store, access, sessions, throttle, systemNow,
                  ServerSettings{STREAMSWARM_VERSION, dbPath, tls.has_value(), offlineAfter});
    SeriesApi seriesApi(*store, access);
    Router router;
    addPublicRoutes(router);
    agentApi.addRoutes(router);
    adminApi.addRoutes(router);
    webApi.addRoutes(router);
    events.addRoutes(router, access);
    seriesApi.addRoutes(router);
    addWebRoutes(router, webRoots);
    // Inside this block, so it stops before the store closes.
    RollupWorker rollups(*store);

    HttpLimits limits;
    limits.maxConnections = maxConnections;
    HttpServer server(io, router, limits, tls);
    const auto port = server.listen(listen.host, listen.port);
    schedulerTimer.start();
    events.start();

    // SIGTERM/SIGINT: stop accepting, answer parked long polls, let in-flight requests finish
    // (bounded), then stop the threads; the database closes when the store goes.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer drainTimer(io);
    const auto deadline = std::make_shared<std::chrono::steady_clock::time_point>();
    std::function<void()> waitForDrain = [&] {
      if (server.connections() == 0 || std::chrono::steady_clock::now() >= *deadline) {
        if (server.connections() > 0)
          core::logLine(core::LogLevel::kWarning,
                        std::to_string(server.connections()) + " connection(s) still open after the grace period");
        io.stop();
        return;
      }
      drainTimer.expires_after(kDrainPoll);
      drainTimer.async_wait([&](const boost::system::error_code&) { waitForDrain(); });
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      core::logLine(core::LogLevel::kInfo,
                    std::string("signal ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + ": shutting down");
      *deadline = std::chrono::steady_clock::now() + kShutdownGrace;
      server.stop();
      notifier.shutdown();
      events.shutdown();
      schedulerTimer.stop();
      waitForDrain();
    });

    const auto host = listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
    std::printf("listening on %s://%s:%u\n", server.tls() ? "https" : "http", host.c_str(), port);
    if (firstAdminPassword)
      std::printf("streamswarm-server: created user 'admin' with password '%s' (shown once; change it under Profile)\n",
                  firstAdminPassword->c_str());
    std::fflush(stdout);
    core::logLine(core::LogLevel::kInfo, "streamswarm-server " STREAMSWARM_VERSION ", database " + dbPath + ", " +
                                             std::to_string(threads) + " I/O thread(s)");

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
  }
  core::logLine(core::LogLevel::kInfo, "stopped");
  return 0;
}

// ---- token / admin-token ----

int tokenCommand(TokenKind kind, const std::vector<std::string>& args) {
  const char* command = kind == TokenKind::kAdmin ? "admin-token" : "token";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : 0;
  }
  const auto action = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  po::options_description options(std::string(command) + " " + action);
  options.add_options()("name", po::value<std::string>()->default_value(""), "a name to recognise the token by");
  if (kind == TokenKind::kEnrollment)
    options.add_options()("ttl", po::value<std::string>()->default_value("24h"), "valid for this long (0: no expiry)")(
        "uses", po::value<std::int64_t>(), "number of enrollments allowed (default: unlimited)");
  options.add_options()("id", po::value<std::string>(), "token id (revoke)");
  options.add(databaseOptions());
  po::positional_options_description positional;
  positional.add("id", 1);
  const auto vm = parse(rest, options, positional);
  const auto now = systemNow();

  if (action == "create") {
    std::optional<TimeNs> ttl;
    std::optional<std::int64_t> uses;
    if (kind == TokenKind::kEnrollment) {
      if (const auto t = durationOption(vm, "ttl"); t > 0) ttl = t;
      if (vm.count("uses")) {
        uses = vm["uses"].as<std::int64_t>();
        if (*uses <= 0) throw UsageError("--uses must be positive");
      }
    }
    const auto store = openSqliteStore(databasePath(vm));
    auto issued = issueToken(kind, vm["name"].as<std::string>(), ttl, uses, now);
    store->createToken(issued.record);
    // The token alone on stdout (scripts read it); it is not stored and cannot be shown again.
    std::printf("%s\n", issued.token.c_str());
    std::fprintf(stderr, "%s token %s created%s; it is shown only once.\n",
                 kind == TokenKind::kAdmin ? "admin" : "enrollment", issued.record.id.c_str(),
                 ttl ? (", expires " + formatRfc3339(*issued.record.expiresAt)).c_str() : "");
    return 0;
  }
  if (action == "list") {
    const auto store = openSqliteStore(databasePath(vm));
    std::printf("%-14s %-20s %-28s %-28s %-9s %s\n", "ID", "NAME", "CREATED", "EXPIRES", "USES_LEFT", "REVOKED");
    for (const auto& t : store->listTokens(kind))
      std::printf("%-14s %-20s %-28s %-28s %-9s %s\n", t.id.c_str(), t.name.empty() ? "-" : t.name.c_str(),
                  formatRfc3339(t.createdAt).c_str(), orDash(t.expiresAt).c_str(),
                  t.usesLeft ? std::to_string(*t.usesLeft).c_str() : "-", t.revoked ? "yes" : "no");
    return 0;
  }
  if (action == "revoke") {
    if (!vm.count("id")) throw UsageError(std::string(command) + " revoke needs the token ID");
    const auto id = vm["id"].as<std::string>();
    const auto store = openSqliteStore(databasePath(vm));
    const auto token = store->findToken(id);
    if (!token || token->kind != kind || !store->revokeToken(id)) {
      std::fprintf(stderr, "streamswarm-server: no %s token %s\n", kind == TokenKind::kAdmin ? "admin" : "enrollment",
                   id.c_str());
      return kExitFailure;
    }
    std::fprintf(stderr, "token %s revoked\n", id.c_str());
    return 0;
  }
  throw UsageError("unknown action '" + action + "' for " + command + " (create, list, revoke)");
}

// ---- user ----

std::string passwordFrom(const po::variables_map& vm) {
  if (!vm.count("password-file")) return randomPassword();
  const auto path = vm["password-file"].as<std::string>();
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read --password-file " + path);
  std::string password;
  std::getline(in, password);
  if (const auto problem = passwordProblem(password)) throw UsageError("--password-file " + path + ": " + *problem);
  return password;
}

int userCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : 0;
  }
  const auto action = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  po::options_description options("user " + action);
  options.add_options()("name", po::value<std::string>(), "user name")(
      "role", po::value<std::string>()->default_value("viewer"), "viewer, operator or admin")(
      "password-file", po::value<std::string>(), "read the password from this file (default: a random one, printed)");
  options.add(databaseOptions());
  po::positional_options_description positional;
  positional.add("name", 1);
  const auto vm = parse(rest, options, positional);
  const auto store = openSqliteStore(databasePath(vm));
  const auto now = systemNow();
  if (action == "list") {
    std::printf("%-16s %-24s %-9s %-28s %s\n", "ID", "NAME", "ROLE", "CREATED", "DISABLED");
    for (const auto& u : store->listUsers())
      std::printf("%-16s %-24s %-9s %-28s %s\n", u.id.c_str(), u.username.c_str(), u.role.c_str(),
                  formatRfc3339(u.createdAt).c_str(), u.disabled ? "yes" : "no");
    return 0;
  }
  if (!vm.count("name")) throw UsageError("user " + action + " needs the user NAME");
  const auto name = vm["name"].as<std::string>();
  const bool printPassword = !vm.count("password-file");
  const auto password = passwordFrom(vm);
  if (action == "create") {
    const auto role = vm["role"].as<std::string>();
    if (!streamswarm::server::roleFromName(role)) throw UsageError("--role must be viewer, operator or admin");
    try {
      validUsername(name);
    } catch (const std::exception& e) {
      throw UsageError(std::string("user name: ") + e.what());
    }
    if (!store->createUser(newUserRecord(name, password, role, now))) {
      std::fprintf(stderr, "streamswarm-server: user '%s' exists\n", name.c_str());
      return kExitFailure;
    }
  } else if (action == "set-password") {
    auto user = store->findUserByName(name);
    if (!user) {
      std::fprintf(stderr, "streamswarm-server: no user '%s'\n", name.c_str());
      return kExitFailure;
    }
    user->passwordHash = hashPassword(password);
    user->passwordChangedAt = now;
    user->disabled = false;
    store->updateUser(*user);
    store->deleteUserSessions(user->id, "");
  } else {
    throw UsageError("unknown action '" + action + "' for user (create, set-password, list)");
  }
  // The password alone on stdout when we chose it (scripts read it); it is shown only once.
  if (printPassword) std::printf("%s\n", password.c_str());
  std::fprintf(stderr, "user '%s': %s\n", name.c_str(), action == "create" ? "created" : "password set");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && args[0] == "--version") args[0] = "version";
  if (!args.empty() && !args[0].starts_with("-")) {
    command = args[0];
    args.erase(args.begin());
  }
  try {
    if (command == "serve") return serve(args);
    if (command == "token") return tokenCommand(TokenKind::kEnrollment, args);
    if (command == "admin-token") return tokenCommand(TokenKind::kAdmin, args);
    if (command == "user") return userCommand(args);
    if (command == "version") {
      std::printf("streamswarm-server %s\n", STREAMSWARM_VERSION);
      return 0;
    }
    throw UsageError("unknown command '" + command + "'\n" + kUsage);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "streamswarm-server: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "streamswarm-server: %s\n", e.what());
    return kExitFailure;
  }
}

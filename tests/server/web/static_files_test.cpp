#define BOOST_TEST_MODULE server_static_files
// The dashboard's file server cannot be talked out of its directory: "..", hidden segments,
// escapes that decode to them, absolute paths, backslashes, NULs and symbolic links leading out
// are all 404s; regular files come with their content type. Requests go through the same router
// and percent-decoding the HTTP server uses.
#include "server/web/static_files.hpp"
#include "tests/server/api_error_of.hpp"
#include "tests/support/process.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

using namespace streamswarm::server;
namespace fs = std::filesystem;
namespace ts = streamswarm::testsupport;
namespace json = boost::json;
using streamswarm::server::testing::statusOf;

namespace {

// <tmp>/web holds the pages (index.html, app.js, css/site.css, a hidden file, a directory);
// <tmp>/secret.txt sits beside it, and <tmp>/vendor holds a "package" whose file is a link to
// <tmp>/real, as Debian's /usr/share/javascript does.
struct Tree {
  ts::TempDir dir;
  fs::path web = dir / "web";
  fs::path vendor = dir / "vendor";

  Tree() {
    fs::create_directories(web / "css");
    fs::create_directories(web / "empty-dir");
    fs::create_directories(dir / "real");
    fs::create_directories(vendor / "css");
    ts::writeFile(web / "index.html", "<!doctype html><title>StreamSwarm</title>");
    ts::writeFile(web / "app.js", "export const x = 1;\n");
    ts::writeFile(web / "app.mjs", "export const y = 2;\n");
    ts::writeFile(web / "css" / "site.css", "body{}\n");
    ts::writeFile(web / "data.json", "{}");
    ts::writeFile(web / "icon.svg", "<svg/>");
    ts::writeFile(web / "notes.unknownext", "?");
    ts::writeFile(web / ".hidden", "do not serve");
    ts::writeFile(dir / "secret.txt", "outside the root");
    ts::writeFile(dir / "real" / "bootstrap.min.css", ".btn{}");
    // Links inside the web root: one leading out, one to a directory outside, one staying inside.
    fs::create_symlink(dir / "secret.txt", web / "leak.txt");
    fs::create_symlink(dir / "real", web / "outside-dir");
    fs::create_symlink(web / "app.js", web / "alias.js");
    fs::create_symlink(fs::path("..") / ".." / "real" / "bootstrap.min.css", vendor / "css" / "bootstrap.min.css");
  }

  Router router() const {
    Router r;
    addWebRoutes(r, WebRoots{web, vendor, dir / "no-chart-js-here"});
    return r;
  }
};

// What the HTTP server does with a request target before routing: percent-decode the path.
ApiResponse get(const Router& router, const std::string& target) {
  const auto path = percentDecode(target, false);
  BOOST_REQUIRE_MESSAGE(path.has_value(), "the HTTP server would answer 400 to " << target);
  ApiRequest req;
  req.method = "GET";
  req.path = *path;
  std::optional<ApiResponse> answer;
  router.dispatch(std::move(req), [&](ApiResponse r) { answer = std::move(r); });
  BOOST_REQUIRE(answer.has_value());
  return *answer;
}

std::string errorOf(const ApiResponse& r) {
  return std::string(json::parse(r.body).at("error").as_string());
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(files_under_the_root_are_served_with_their_content_type, Tree) {
  const auto r = router();
  auto page = get(r, "/");
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(page.contentType == "text/html; charset=utf-8");
  BOOST_TEST(page.body == "<!doctype html><title>StreamSwarm</title>");
  const std::pair<const char*, const char*> expected[] = {{"/static/index.html", "text/html; charset=utf-8"},
                                                          {"/static/app.js", "text/javascript; charset=utf-8"},
                                                          {"/static/app.mjs", "text/javascript; charset=utf-8"},
                                                          {"/static/css/site.css", "text/css; charset=utf-8"},
                                                          {"/static/data.json", "application/json"},
                                                          {"/static/icon.svg", "image/svg+xml"},
                                                          {"/static/notes.unknownext", "application/octet-stream"}};
  for (const auto& [target, type] : expected) {
    const auto res = get(r, target);
    BOOST_TEST(res.status == 200u, target);
    BOOST_TEST(res.contentType == type, target);
  }
  BOOST_TEST(get(r, "/static/css/site.css").body == "body{}\n");
  // A link that stays inside the root is fine.
  BOOST_TEST(get(r, "/static/alias.js").body == "export const x = 1;\n");
  // Escaped plain names decode to the same file.
  BOOST_TEST(get(r, "/static/%61pp.js").body == "export const x = 1;\n");
  BOOST_TEST(get(r, "/static/css%2Fsite.css").body == "body{}\n");
}

BOOST_FIXTURE_TEST_CASE(traversal_attempts_are_404, Tree) {
  const auto r = router();
  for (const auto* target : {"/static/../secret.txt",
                             "/static/css/../../secret.txt",
                             "/static/%2e%2e/secret.txt",
                             "/static/%2E%2E/secret.txt",
                             "/static/css/%2e%2e%2f%2e%2e%2fsecret.txt",
                             "/static/..%2fsecret.txt",
                             "/static/.hidden",
                             "/static/%2ehidden",
                             "/static/./index.html",
                             "/static/css/./site.css",
                             "/static//etc/passwd",
                             "/static/%2fetc%2fpasswd",
                             "/static/..%5csecret.txt",
                             "/static/css%5c..%5c..%5csecret.txt",
                             "/static/index.html%00.js",
                             "/static/index.html%00",
                             "/static/css//site.css",
                             "/static/css/",
                             "/vendor/bootstrap/../../secret.txt",
                             "/vendor/bootstrap/%2e%2e/%2e%2e/secret.txt"}) {
    const auto res = get(r, target);
    BOOST_TEST(res.status == 404u, target << " -> " << res.status << " " << res.body);
    BOOST_TEST(res.body.find("outside the root") == std::string::npos, target);
    BOOST_TEST(res.body.find("do not serve") == std::string::npos, target);
  }
  // Straight at the file server, without the router in between.
  const StaticFiles files(web);
  for (const std::string& relative :
       std::vector<std::string>{"", "/", (dir / "secret.txt").string(), "../secret.txt", "css/../../secret.txt", "..",
                                ".", "a\\..\\..\\x", std::string("index.html\0.js", 14), "css/", "/index.html"})
    BOOST_TEST(statusOf([&] { files.serve(relative); }) == 404u, "'" << relative << "'");
}

BOOST_FIXTURE_TEST_CASE(links_leading_out_are_404_unless_the_root_trusts_its_links, Tree) {
  const StaticFiles inside(web, StaticFiles::Links::kStayInside);
  BOOST_TEST(statusOf([&] { inside.serve("leak.txt"); }) == 404u);
  BOOST_TEST(statusOf([&] { inside.serve("outside-dir/bootstrap.min.css"); }) == 404u);
  BOOST_TEST(inside.serve("alias.js").body == "export const x = 1;\n");
  BOOST_TEST(get(router(), "/static/leak.txt").status == 404u);

  const StaticFiles trusting(web, StaticFiles::Links::kTrustLinks);
  BOOST_TEST(trusting.serve("leak.txt").body == "outside the root");
  BOOST_TEST(trusting.serve("outside-dir/bootstrap.min.css").body == ".btn{}");
  // Trusting links does not let the request path climb out.
  BOOST_TEST(statusOf([&] { trusting.serve("../secret.txt"); }) == 404u);

  // The vendor routes trust links, as Debian's packages need.
  const auto css = get(router(), "/vendor/bootstrap/css/bootstrap.min.css");
  BOOST_TEST(css.status == 200u, css.body);
  BOOST_TEST(css.body == ".btn{}");
  BOOST_TEST(css.contentType == "text/css; charset=utf-8");
}

BOOST_FIXTURE_TEST_CASE(directories_are_404, Tree) {
  const auto r = router();
  for (const auto* target : {"/static/css", "/static/empty-dir", "/static/outside-dir", "/vendor/bootstrap/css"})
    BOOST_TEST(get(r, target).status == 404u, target);
}

BOOST_FIXTURE_TEST_CASE(a_missing_root_is_a_404_naming_the_file, Tree) {
  const auto r = router();
  const auto res = get(r, "/vendor/chart.js/chart.min.js");
  BOOST_TEST(res.status == 404u);
  BOOST_TEST(res.contentType == "application/json");
  BOOST_TEST(errorOf(res).find("chart.min.js") != std::string::npos, errorOf(res));
  const StaticFiles missing(dir / "nowhere");
  BOOST_TEST(statusOf([&] { missing.serve("index.html"); }) == 404u);
  // Unknown files under a root that exists are 404 JSON too.
  const auto unknown = get(r, "/static/nope.js");
  BOOST_TEST(unknown.status == 404u);
  BOOST_TEST(errorOf(unknown).find("nope.js") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(content_types_by_extension) {
  BOOST_TEST(std::string(contentTypeFor("a/b/index.html")) == "text/html; charset=utf-8");
  BOOST_TEST(std::string(contentTypeFor("chart.min.js")) == "text/javascript; charset=utf-8");
  BOOST_TEST(std::string(contentTypeFor("bootstrap.min.css.map")) == "application/json");
  BOOST_TEST(std::string(contentTypeFor("font.woff2")) == "font/woff2");
  BOOST_TEST(std::string(contentTypeFor("favicon.ico")) == "image/x-icon");
  BOOST_TEST(std::string(contentTypeFor("logo.png")) == "image/png");
  BOOST_TEST(std::string(contentTypeFor("README")) == "application/octet-stream");
  BOOST_TEST(std::string(contentTypeFor("archive.tar.gz")) == "application/octet-stream");
}

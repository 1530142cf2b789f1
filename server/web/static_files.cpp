#include "server/web/static_files.hpp"

#include "server/http/api_error.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace streamswarm::server {
namespace fs = std::filesystem;

namespace {

// Every segment a plain name: no empty, ".", ".." or hidden segments, no backslashes or NULs.
bool safeRelative(std::string_view relative) {
  if (relative.empty()) return false;
  std::size_t start = 0;
  while (start <= relative.size()) {
    const auto end = std::min(relative.find('/', start), relative.size());
    const auto segment = relative.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;
    if (segment.find('\\') != std::string_view::npos || segment.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

bool within(const fs::path& root, const fs::path& file) {
  const auto [rootEnd, fileIt] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return rootEnd == root.end();
}

}  // namespace

const char* contentTypeFor(const fs::path& file) {
  static const std::map<std::string, const char*> kTypes{{".html", "text/html; charset=utf-8"},
                                                         {".js", "text/javascript; charset=utf-8"},
                                                         {".mjs", "text/javascript; charset=utf-8"},
                                                         {".css", "text/css; charset=utf-8"},
                                                         {".json", "application/json"},
                                                         {".map", "application/json"},
                                                         {".svg", "image/svg+xml"},
                                                         {".png", "image/png"},
                                                         {".ico", "image/x-icon"},
                                                         {".woff2", "font/woff2"},
                                                         {".txt", "text/plain; charset=utf-8"}};
  const auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

StaticFiles::StaticFiles(fs::path root, Links links) : links_(links) {
  std::error_code ec;
  auto canonical = fs::canonical(root, ec);
  root_ = ec ? std::move(root) : std::move(canonical);
}

ApiResponse StaticFiles::serve(std::string_view relative) const {
  const std::string wanted(relative);
  if (!safeRelative(relative)) throw ApiError(404, "no file " + wanted);
  std::error_code ec;
  // canonical() resolves symbolic links, so a link pointing out of the root is caught here.
  const auto file = fs::canonical(root_ / fs::path(wanted), ec);
  if (ec || (links_ == Links::kStayInside && !within(root_, file)) || !fs::is_regular_file(file, ec))
    throw ApiError(404, "no file " + wanted);
  const auto size = fs::file_size(file, ec);
  if (ec || size > kMaxStaticFileBytes) throw ApiError(404, "no file " + wanted);
  std::ifstream in(file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in && !in.eof()) throw ApiError(500, "cannot read " + wanted);
  ApiResponse r;
  r.contentType = contentTypeFor(file);
  r.body = std::move(body).str();
  // Revalidate each time: a new server build must not run with a cached old page.
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

void addWebRoutes(Router& router, const WebRoots& roots) {
  auto pages = std::make_shared<StaticFiles>(roots.pages);
  auto bootstrap = std::make_shared<StaticFiles>(roots.bootstrap, StaticFiles::Links::kTrustLinks);
  auto chartJs = std::make_shared<StaticFiles>(roots.chartJs, StaticFiles::Links::kTrustLinks);
  router.add("GET", "/", [pages](const ApiRequest&) { return pages->serve("index.html"); });
  router.add("GET", "/static/{*path}", [pages](const ApiRequest& r) { return pages->serve(r.pathParams.at(0)); });
  router.add("GET", "/vendor/bootstrap/{*path}",
             [bootstrap](const ApiRequest& r) { return bootstrap->serve(r.pathParams.at(0)); });
  router.add("GET", "/vendor/chart.js/{*path}",
             [chartJs](const ApiRequest& r) { return chartJs->serve(r.pathParams.at(0)); });
}

}  // namespace streamswarm::server

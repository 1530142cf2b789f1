// Serves the dashboard's files from a directory: GET of a path under it, and nothing outside it
// (no "..", no symbolic link leading out, only regular files).
#pragma once

#include "server/http/api_message.hpp"
#include "server/http/router.hpp"

#include <filesystem>
#include <string_view>

namespace streamswarm::server {

inline constexpr std::uintmax_t kMaxStaticFileBytes = 16 * 1024 * 1024;

class StaticFiles {
 public:
  // kStayInside: a symbolic link leading out of the root is a 404 (our own pages). kTrustLinks:
  // links placed by the system's packages are followed (Debian links /usr/share/javascript files
  // to where the library is installed); the request path still cannot name anything outside.
  enum class Links { kStayInside, kTrustLinks };

  // `root` need not exist: every request is then a 404 that names it.
  explicit StaticFiles(std::filesystem::path root, Links links = Links::kStayInside);

  // The file at `relative` ("js/app.js"), or a 404 JSON error.
  ApiResponse serve(std::string_view relative) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  Links links_;
};

// "text/javascript; charset=utf-8" for "app.js"; application/octet-stream when unknown.
const char* contentTypeFor(const std::filesystem::path& file);

struct WebRoots {
  std::filesystem::path pages;      // server/web/static
  std::filesystem::path bootstrap;  // Debian's libjs-bootstrap5
  std::filesystem::path chartJs;    // Debian's libjs-chart.js
};

// GET / (the single page), /static/{*path}, /vendor/bootstrap/{*path}, /vendor/chart.js/{*path}.
void addWebRoutes(Router& router, const WebRoots& roots);

}  // namespace streamswarm::server

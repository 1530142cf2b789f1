#include "server/http/router.hpp"

#include "core/log.hpp"
#include "server/http/api_error.hpp"
#include "server/storage/store.hpp"

#include <atomic>
#include <memory>

namespace streamswarm::server {
namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    const auto end = path.find('/', start);
    segments.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

bool isParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool isRest(const std::string& segment) {
  return segment.size() >= 3 && segment.starts_with("{*") && segment.back() == '}';
}

bool matchSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   std::vector<std::string>* params) {
  // A trailing {*name} takes the rest of the path (at least one non-empty segment), joined by '/'.
  if (!pattern.empty() && isRest(pattern.back())) {
    const auto fixed = pattern.size() - 1;
    if (path.size() <= fixed) return false;
    if (!matchSegments({pattern.begin(), pattern.begin() + static_cast<std::ptrdiff_t>(fixed)},
                       {path.begin(), path.begin() + static_cast<std::ptrdiff_t>(fixed)}, params))
      return false;
    std::string rest;
    for (std::size_t i = fixed; i < path.size(); ++i) rest += (i == fixed ? "" : "/") + path[i];
    if (rest.empty()) return false;
    if (params) params->push_back(std::move(rest));
    return true;
  }
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (isParam(pattern[i])) {
      if (path[i].empty()) return false;
      if (params) params->push_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  addAsync(std::move(method), std::move(pattern),
           [h = std::move(handler)](ApiRequest& request, const Respond& respond) { respond(h(request)); });
}

void Router::addAsync(std::string method, std::string pattern, AsyncHandler handler) {
  auto segments = splitPath(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const auto segments = splitPath(path);
  Match m;
  for (const auto& route : routes_) {
    if (!matchSegments(route.segments, segments, nullptr)) continue;
    if (route.method == method) {
      m.kind = MatchKind::kFound;
      m.route = &route;
      m.params.clear();
      matchSegments(route.segments, segments, &m.params);
      return m;
    }
    if (m.allow.find(route.method) == std::string::npos) m.allow += (m.allow.empty() ? "" : ", ") + route.method;
  }
  m.kind = m.allow.empty() ? MatchKind::kNotFound : MatchKind::kMethodNotAllowed;
  return m;
}

void Router::dispatch(ApiRequest&& request, const Respond& respond) const {
  auto m = match(request.method, request.path);
  if (m.kind == MatchKind::kNotFound) return respond(errorResponse(404, "no route for " + request.path));
  if (m.kind == MatchKind::kMethodNotAllowed) {
    auto r = errorResponse(405, "method " + request.method + " is not allowed on " + request.path);
    r.headers.emplace_back("Allow", m.allow);
    return respond(std::move(r));
  }
  request.pathParams = std::move(m.params);
  // A handler may throw after it has answered; the request must still be answered exactly once.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  Respond once = [answered, respond](ApiResponse r) {
    if (!answered->exchange(true)) respond(std::move(r));
  };
  try {
    m.route->handler(request, once);
  } catch (const ApiError& e) {
    once(errorResponse(e));
  } catch (const StoreError& e) {
    core::logLine(core::LogLevel::kError, request.method + " " + request.path + ": storage: " + e.what());
    once(errorResponse(500, std::string("storage error: ") + e.what()));
  } catch (const std::exception& e) {
    core::logLine(core::LogLevel::kError, request.method + " " + request.path + ": " + e.what());
    once(errorResponse(500, std::string("internal error: ") + e.what()));
  }
}

}  // namespace streamswarm::server

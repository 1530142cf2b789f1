// Maps (method, path) to a handler. Patterns are literal segments, {name} segments and a final
// {*name} that takes the rest of the path (static files); a path
// that matches some pattern under another method is a 405 with Allow, otherwise a 404.
#pragma once

#include "server/http/api_message.hpp"

#include <functional>
#include <string>
#include <vector>

namespace streamswarm::server {

class Router {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  using AsyncHandler = std::function<void(ApiRequest&, Respond)>;

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    AsyncHandler handler;
  };

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;
    std::vector<std::string> params;
    std::string allow;  // for kMethodNotAllowed: "GET, POST"
  };

  void add(std::string method, std::string pattern, Handler handler);
  void addAsync(std::string method, std::string pattern, AsyncHandler handler);

  Match match(std::string_view method, std::string_view path) const;

  // Runs the matched handler; 404/405 and anything a handler throws (ApiError, StoreError, other
  // exceptions) become JSON error responses. `respond` is called exactly once.
  void dispatch(ApiRequest&& request, const Respond& respond) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace streamswarm::server

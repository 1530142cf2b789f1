// What handlers see of HTTP: a plain request and response, no Beast types, so the API layer
// compiles without Beast and can be tested without sockets.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamswarm::server {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, without the query
  std::string query;   // raw query string, without '?'
  std::string authorization;
  std::string contentType;
  std::string body;
  std::vector<std::string> pathParams;  // the {…} segments of the matched route, in order

  // The percent-decoded value of the first `name=` in the query; none when absent.
  std::optional<std::string> queryParam(std::string_view name) const;
};

struct ApiResponse {
  unsigned status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Completes a request. Called exactly once, from any thread (long polls complete from timers).
using Respond = std::function<void(ApiResponse)>;

// "%41b+c" -> "Ab c" when `plusIsSpace`; none when an escape is malformed.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace streamswarm::server

// What handlers see of HTTP: a plain request and response, no Beast types, so the API layer
// compiles without Beast and can be tested without sockets.
#pragma once

#include <functional>
#include <memory>
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
  std::string cookie;         // the raw Cookie header
  std::string csrfToken;      // X-CSRF-Token
  std::string origin;         // Origin, when the browser sent one
  std::string host;           // Host
  std::string remoteAddress;  // the peer's IP address
  bool secure = false;        // arrived over TLS
  std::string body;
  std::vector<std::string> pathParams;  // the {…} segments of the matched route, in order

  // The percent-decoded value of the first `name=` in the query; none when absent.
  std::optional<std::string> queryParam(std::string_view name) const;

  // The value of cookie `name`; none when absent.
  std::optional<std::string> cookieValue(std::string_view name) const;

  bool changesState() const { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }
};

// The body of a response that stays open (server-sent events): the connection writes each chunk
// as it comes, until the stream ends or the client goes away.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  using Deliver = std::function<void(std::optional<std::string> chunk)>;
  // Calls `deliver` once, from any thread, with the next chunk when there is one, or with none
  // when the stream has ended. Only one call is outstanding at a time.
  virtual void next(Deliver deliver) = 0;
  // The client went away or the server is stopping: a pending `next` completes with none.
  virtual void close() = 0;
};

struct ApiResponse {
  unsigned status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<ResponseStream> stream;  // set: `body` is ignored and the chunks follow the header
};

// Completes a request. Called exactly once, from any thread (long polls complete from timers).
using Respond = std::function<void(ApiResponse)>;

// "%41b+c" -> "Ab c" when `plusIsSpace`; none when an escape is malformed.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace streamswarm::server

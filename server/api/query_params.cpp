#include "server/api/query_params.hpp"

#include "server/api/rfc3339.hpp"
#include "server/http/api_error.hpp"

#include <charconv>
#include <string>

namespace streamswarm::server {

std::optional<TimeNs> timeParam(const ApiRequest& request, const char* name) {
  const auto text = request.queryParam(name);
  if (!text) return std::nullopt;
  const auto t = parseRfc3339(*text);
  if (!t) throw ApiError(400, std::string("query parameter '") + name + "' is not an RFC 3339 time");
  return t;
}

std::optional<std::size_t> countParam(const ApiRequest& request, const char* name, std::size_t max) {
  const auto text = request.queryParam(name);
  if (!text) return std::nullopt;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n == 0 || n > max)
    throw ApiError(400, std::string("query parameter '") + name + "' must be an integer in 1.." + std::to_string(max));
  return n;
}

}  // namespace streamswarm::server

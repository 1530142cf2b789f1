#include "server/http/api_error.hpp"

#include <boost/json/serialize.hpp>

namespace streamswarm::server {

ApiResponse errorResponse(unsigned status, const std::string& message, const boost::json::object& extra) {
  boost::json::object body;
  body["error"] = message;
  for (const auto& field : extra) body[field.key()] = field.value();
  ApiResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

ApiResponse errorResponse(const ApiError& e) {
  return errorResponse(e.status(), e.what(), e.extra());
}

}  // namespace streamswarm::server

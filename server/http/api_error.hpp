// A request that cannot be served: thrown by handlers and turned into a 4xx/5xx JSON body by the
// router, so handlers stay straight-line code.
#pragma once

#include "server/http/api_message.hpp"

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>

namespace streamswarm::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, const std::string& message, boost::json::object extra = {})
      : std::runtime_error(message), status_(status), extra_(std::move(extra)) {}
  unsigned status() const { return status_; }
  const boost::json::object& extra() const { return extra_; }

 private:
  unsigned status_;
  boost::json::object extra_;
};

// {"error": message, ...extra} with `status`.
ApiResponse errorResponse(unsigned status, const std::string& message, const boost::json::object& extra = {});
ApiResponse errorResponse(const ApiError& e);

}  // namespace streamswarm::server

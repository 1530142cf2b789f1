#include "server/api/public_api.hpp"

#include "server/api/openapi_document.hpp"

namespace streamswarm::server {

void addPublicRoutes(Router& router) {
  router.add("GET", "/healthz", [](const ApiRequest&) {
    ApiResponse r;
    r.body = R"({"status":"ok"})";
    return r;
  });
  router.add("GET", "/api/v1/openapi.yaml", [](const ApiRequest&) {
    ApiResponse r;
    r.contentType = "application/yaml";
    r.body = std::string(openApiDocument());
    return r;
  });
}

}  // namespace streamswarm::server

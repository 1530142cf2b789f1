#pragma once

#include <string_view>

namespace streamswarm::server {

// server/api/openapi.yaml, embedded into the binary at build time (see server/CMakeLists.txt).
std::string_view openApiDocument();

}  // namespace streamswarm::server

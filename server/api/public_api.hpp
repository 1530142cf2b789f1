// Routes that need no credential: the health check and the API description.
#pragma once

#include "server/http/router.hpp"

namespace streamswarm::server {

void addPublicRoutes(Router& router);

}  // namespace streamswarm::server

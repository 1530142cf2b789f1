// Access for the operator-facing API: a bearer API token (ssk_…) or a dashboard session cookie.
#pragma once

#include "server/auth/access.hpp"
#include "server/auth/authenticator.hpp"
#include "server/scheduler/clock.hpp"
#include "server/storage/store.hpp"

namespace streamswarm::server {

class WebAccess final : public Access {
 public:
  WebAccess(Store& store, Clock clock) : store_(store), clock_(std::move(clock)), tokens_(store) {}

  Principal require(const ApiRequest& request, Role needed) override;

 private:
  Store& store_;
  Clock clock_;
  Authenticator tokens_;
};

}  // namespace streamswarm::server

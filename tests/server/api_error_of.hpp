// What a call that should fail with an ApiError failed with, for tests of code that throws one.
#pragma once

#include "server/http/api_error.hpp"

#include <string>

namespace streamswarm::server::testing {

// The status of the ApiError `f` throws (0 if none).
template <class F>
unsigned statusOf(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.status();
  }
  return 0;
}

// The message of the ApiError `f` throws (empty if none).
template <class F>
std::string messageOf(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.what();
  }
  return {};
}

}  // namespace streamswarm::server::testing

// The server's notion of "now", injectable so schedules can be tested without waiting.
#pragma once

#include "server/storage/records.hpp"

#include <chrono>
#include <functional>

namespace streamswarm::server {

using Clock = std::function<TimeNs()>;

inline TimeNs systemNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace streamswarm::server

// Charts of a test's results for the dashboard (viewer and up): which metrics and series a test
// has, and one metric over time downsampled to a number of points per series.
#pragma once

#include "server/auth/access.hpp"
#include "server/http/api_message.hpp"
#include "server/http/router.hpp"
#include "server/storage/store.hpp"

#include <cstddef>

namespace streamswarm::server {

inline constexpr std::size_t kDefaultSeriesPoints = 1'000;
inline constexpr std::size_t kMaxSeriesPoints = 10'000;

class SeriesApi {
 public:
  SeriesApi(Store& store, Access& access) : store_(store), access_(access) {}

  void addRoutes(Router& router);

  // GET /api/v1/tests/{id}/metrics
  ApiResponse metrics(const ApiRequest& request);
  // GET /api/v1/tests/{id}/series?metric=M[&agent=A][&target=T][&from=..][&to=..][&points=N]
  ApiResponse series(const ApiRequest& request);

 private:
  Store& store_;
  Access& access_;
};

}  // namespace streamswarm::server

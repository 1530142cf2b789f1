// Runs curl against a URL and reads its -w timings, for comparison with the probe's phases. curl's
// figures are cumulative from the start of the transfer; phaseSums() turns a probe result into the
// same form.
#pragma once

#include "probe_run.hpp"

#include "tests/support/process.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace http_timing_test {

// Milliseconds from the start, as curl's -w variables name them.
struct CumulativeTimings {
  double namelookup = 0;     // name resolved
  double connect = 0;        // TCP connected
  double appconnect = 0;     // TLS done (curl reports 0 for plain http; so do we)
  double starttransfer = 0;  // first response byte
  double total = 0;
};

inline CumulativeTimings curlTimings(const std::string& url, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"curl",
                                "--silent",
                                "--show-error",
                                "--output",
                                "/dev/null",
                                "--write-out",
                                "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} "
                                "%{time_total}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  const auto out = streamswarm::testsupport::run(argv, std::chrono::seconds(30));
  if (out.status != 0) throw std::runtime_error("curl failed (" + std::to_string(out.status) + "): " + out.err);
  std::istringstream in(out.out);
  CumulativeTimings t;
  in >> t.namelookup >> t.connect >> t.appconnect >> t.starttransfer >> t.total;
  if (!in) throw std::runtime_error("cannot read curl's timings from '" + out.out + "'");
  for (double* v : {&t.namelookup, &t.connect, &t.appconnect, &t.starttransfer, &t.total}) *v *= 1000;
  return t;
}

inline CumulativeTimings phaseSums(const ProbeResult& r) {
  const auto get = [&](const char* name) { return r.has(name) ? r.m(name) : 0.0; };
  CumulativeTimings t;
  t.namelookup = get("dns_ms");
  t.connect = t.namelookup + get("connect_ms");
  t.appconnect = r.has("tls_ms") ? t.connect + get("tls_ms") : 0.0;
  t.starttransfer = t.connect + get("tls_ms") + get("request_ms") + get("ttfb_ms");
  t.total = get("total_ms");
  return t;
}

inline std::string describe(const CumulativeTimings& t) {
  std::ostringstream out;
  out << "namelookup " << t.namelookup << " connect " << t.connect << " appconnect " << t.appconnect
      << " starttransfer " << t.starttransfer << " total " << t.total << " (ms)";
  return out.str();
}

}  // namespace http_timing_test

#pragma once

// The agent's side of the server API (contract v1) as pure functions: URLs, request bodies,
// response parsing, the retry back-off and the run schedule of a server test. No I/O here; the
// parsers throw std::invalid_argument naming the field when a body is not what the contract says.

#include "core/plugin_schema.hpp"
#include "core/probe_result.hpp"
#include "core/result_spool.hpp"
#include "core/system_info.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::core {

// http[s]://host[:port][/base/path]; IPv6 literals in brackets.
struct ServerUrl {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string basePath;  // "" or "/prefix" without a trailing slash

  std::string hostHeader() const;  // host[:port] as the Host header wants it
  std::string describe() const;    // for log lines: http://host:port
};

// Empty `error` on success; otherwise the reason (for a config message).
std::optional<ServerUrl> parseServerUrl(std::string_view text, std::string& error);

// RFC 3339 with 'Z' or a numeric offset, fractional seconds to nanoseconds.
std::optional<std::int64_t> parseRfc3339(std::string_view text);

// Enrollment.
std::string enrollBody(const std::string& token, const std::string& name, const std::vector<std::string>& labels);
struct Enrollment {
  std::string agentId;
  std::string credential;
};
Enrollment parseEnrollment(std::string_view body);
// "ssa_<agentid>_<secret>" -> agentid; nullopt when the text is not an agent credential.
std::optional<std::string> agentIdOfCredential(std::string_view credential);

// Registration and heartbeats.
std::string registerBody(const std::string& name, const std::string& version, const std::vector<std::string>& labels,
                         const SystemInfo& system, std::span<const PluginSchema> plugins);
struct Registration {
  std::chrono::seconds heartbeatInterval{0};  // 0: the server did not say
  std::optional<std::int64_t> lastSeq;        // the highest seq the server has stored, when it says
};
Registration parseRegistration(std::string_view body);
std::string heartbeatBody(std::uint64_t pending, std::uint64_t dropped);

// The desired test set (long poll).
struct ServerTest {
  std::string id;
  std::string plugin;
  std::map<std::string, std::string> options;  // normalised by the server
  std::int64_t intervalNs = 0;
  std::int64_t jitterNs = 0;
  std::int64_t startNs = 0;
  std::optional<std::int64_t> endNs;

  bool sameInstance(const ServerTest& o) const { return plugin == o.plugin && options == o.options; }
  bool operator==(const ServerTest&) const = default;
};
struct TestSet {
  std::int64_t version = 0;
  std::vector<ServerTest> tests;
};
TestSet parseTestSet(std::string_view body);
// Without `since` (no version known yet, or after a failure) the server answers at once.
std::string testsTarget(const ServerUrl& url, const std::string& agentId, std::optional<std::int64_t> since,
                        std::chrono::seconds wait);
std::string agentTarget(const ServerUrl& url, const std::string& agentId, std::string_view action);

// Results. A spool payload is the result as posted, without its seq; test_id is always present.
std::string spoolPayload(const ProbeResult& result);
// {"seq":N,...payload}: one posted result, also what --print-results shows.
std::string withSeq(std::int64_t seq, std::string_view payload);
std::string resultsBody(std::span<const SpoolEntry> batch, std::uint64_t dropped);
struct BatchAck {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::int64_t ackedSeq = 0;
};
BatchAck parseBatchAck(std::string_view body);

// An error response: {"error": "...", "seq"?: N}. Tolerates a body that is not JSON.
struct ApiError {
  std::string message;
  std::optional<std::int64_t> seq;
};
ApiError parseApiError(std::string_view body);

// Retry delays: 0.5 s doubling to 30 s, back to the start after a success.
class Backoff {
 public:
  static constexpr std::chrono::milliseconds kInitial{500};
  static constexpr std::chrono::milliseconds kMax{30'000};
  std::chrono::milliseconds next() {
    const auto d = current_;
    current_ = std::min(current_ * 2, kMax);
    return d;
  }
  void reset() { current_ = kInitial; }

 private:
  std::chrono::milliseconds current_ = kInitial;
};

// The first run slot of a server test at or after notBeforeNs: start + jitter + k * interval, k >= 0.
// nullopt when that slot is at or past the test's end.
std::optional<std::int64_t> nextSlotNs(const ServerTest& test, std::int64_t notBeforeNs);

// A server test's options for the plugin instance: the server's normalised values, with the
// schema's defaults for keys it left out. Unknown keys and missing required keys give an error.
struct TestOptions {
  std::map<std::string, std::string> options;
  std::string error;  // empty when usable
};
TestOptions testOptions(const PluginSchema& schema, const std::map<std::string, std::string>& given);

}  // namespace streamswarm::core

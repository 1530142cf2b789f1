#include "hello_probe.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace hello {
namespace {

using streamswarm::choice;
using streamswarm::metric;
using streamswarm::option;

// The agent validates a [plugin.hello] section against these before the probe sees it: unknown
// keys, out-of-range numbers and unknown choices never reach the constructor.
constexpr ss_config_key kConfigKeys[] = {
    option("greeting", SS_TYPE_STRING, "hello", "a word copied into every result document"),
    option("targets", SS_TYPE_LIST, "localhost", "host names or addresses to look up; one result each"),
    option("attempts", SS_TYPE_INT, "3", "lookups per target; the result reports their mean and minimum", 1, 10),
    choice("family", "any", "any|ipv4|ipv6", "address family to ask the resolver for"),
};

// "{family}" is a label segment: the probe emits hello.addresses.ipv4 and hello.addresses.ipv6.
constexpr ss_metric_def kMetrics[] = {
    metric("hello.lookup_ms", "ms", SS_METRIC_GAUGE, "mean time of the successful lookups"),
    metric("hello.lookup_min_ms", "ms", SS_METRIC_GAUGE, "fastest successful lookup"),
    metric("hello.lookups_failed", "count", SS_METRIC_COUNTER, "lookups of this target that failed in this run"),
    metric("hello.addresses.{family}", "count", SS_METRIC_GAUGE, "addresses of one family in the last answer"),
};

std::vector<AddressFamily> familiesFor(AddressFamily asked) {
  if (asked == AddressFamily::kAny) return {AddressFamily::kIpv4, AddressFamily::kIpv6};
  return {asked};
}

}  // namespace

std::span<const ss_config_key> HelloProbe::configKeys() {
  return kConfigKeys;
}
std::span<const ss_metric_def> HelloProbe::metrics() {
  return kMetrics;
}

HelloProbe::HelloProbe(const streamswarm::Options& options) : HelloProbe(options, &resolveHost) {}

HelloProbe::HelloProbe(const streamswarm::Options& options, Resolver resolver)
    : greeting_(options.text("greeting")),
      targets_(options.list("targets")),
      attempts_(options.integer("attempts")),
      family_(parseAddressFamily(options.text("family")).value_or(AddressFamily::kAny)),
      resolver_(std::move(resolver)) {
  // What the declared schema cannot express is checked here; ConfigError makes the agent refuse
  // to start with a message that names the option.
  if (targets_.empty()) throw streamswarm::ConfigError("option 'targets': name at least one host");
  if (greeting_.size() > kMaxGreetingChars)
    throw streamswarm::ConfigError("option 'greeting': longer than " + std::to_string(kMaxGreetingChars) +
                                   " characters");
}

void HelloProbe::run(streamswarm::Host& host) {
  for (const auto& target : targets_) {
    auto result = measure(host, target);
    if (!result) return;  // cancelled: the host already knows, and half a measurement is not a result
    host.emit(*result);
  }
}

std::optional<streamswarm::Result> HelloProbe::measure(const streamswarm::Host& host, const std::string& target) const {
  std::vector<double> lookupMs;
  Resolution last;
  std::string lastError;
  for (std::int64_t attempt = 0; attempt < attempts_; ++attempt) {
    // The host's clock and sleep, never std::this_thread: the agent can then cancel a slow run,
    // and a test runs it on a fake clock.
    if (attempt > 0 ? !host.sleepFor(kPauseBetweenLookups) : host.cancelled()) return std::nullopt;
    const auto start = host.monotonic();
    auto resolution = resolver_(target, family_);
    const auto took = host.monotonic() - start;
    if (!resolution.error.empty()) {
      lastError = std::move(resolution.error);
      continue;
    }
    lookupMs.push_back(std::chrono::duration<double, std::milli>(took).count());
    last = std::move(resolution);
  }

  streamswarm::Result r;
  r.target = target;
  r.metric("hello.lookups_failed", static_cast<double>(attempts_ - static_cast<std::int64_t>(lookupMs.size())));
  if (lookupMs.empty()) {
    // A name that does not resolve is a measurement, not a plugin failure: report it as data.
    r.error = lastError;
    return r;
  }
  const double mean = std::accumulate(lookupMs.begin(), lookupMs.end(), 0.0) / static_cast<double>(lookupMs.size());
  r.metric("hello.lookup_ms", mean).metric("hello.lookup_min_ms", *std::min_element(lookupMs.begin(), lookupMs.end()));
  for (const auto family : familiesFor(family_)) {
    const auto count = std::count_if(last.addresses.begin(), last.addresses.end(),
                                     [&](const std::string& a) { return familyOf(a) == family; });
    r.metric(std::string("hello.addresses.") + addressFamilyName(family), static_cast<double>(count));
  }
  r.document = document(target, lookupMs, last, lastError);
  return r;
}

// Schema 1: {"greeting", "target", "family", "attempts", "lookup_ms": [per successful lookup],
// "addresses": [numeric, from the last answer], "last_error"?: only when some lookup failed}.
std::string HelloProbe::document(const std::string& target, const std::vector<double>& lookupMs, const Resolution& last,
                                 const std::string& lastError) const {
  streamswarm::JsonWriter w;
  w.beginObject()
      .field("greeting", greeting_)
      .field("target", target)
      .field("family", addressFamilyName(family_))
      .field("attempts", attempts_);
  w.key("lookup_ms").beginArray();
  for (const double ms : lookupMs) w.value(ms);
  w.endArray();
  w.key("addresses").beginArray();
  for (const auto& address : last.addresses) w.value(address);
  w.endArray();
  if (!lastError.empty()) w.field("last_error", lastError);
  return w.endObject().str();
}

}  // namespace hello

// Unit test of the hello probe with the SDK's fakes: no agent, no network, a clock the test moves.
// A tiny harness instead of a test framework so the example builds with the SDK alone; checks stay
// active in release builds (unlike assert) and any failed check makes the program exit 1.
#include "hello_probe.hpp"

#include <streamswarm/testing/fake_host.hpp>

#include <cstdio>
#include <exception>
#include <map>
#include <string>

namespace {

using hello::AddressFamily;
using hello::HelloProbe;
using hello::Resolution;
using streamswarm::testing::FakeHost;
using Given = std::map<std::string, std::string>;

int failedChecks = 0;

void check(bool ok, const char* what, int line) {
  if (ok) return;
  ++failedChecks;
  std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, line, what);
}
#define CHECK(...) check(static_cast<bool>(__VA_ARGS__), #__VA_ARGS__, __LINE__)

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Options the way the agent hands them over: validated against the declared keys, defaults filled in.
streamswarm::Options options(const Given& given) {
  return streamswarm::Options::validated(HelloProbe::configKeys(), given);
}

// The ConfigError message that building the probe from `given` raises, or "" when it builds.
std::string configError(const Given& given) {
  try {
    HelloProbe probe(options(given), [](const std::string&, AddressFamily) { return Resolution{}; });
    return "";
  } catch (const streamswarm::ConfigError& e) {
    return e.what();
  }
}

// A resolver that answers at once but moves the fake clock, so lookup times are exact: the n-th
// lookup (from 1) takes 2n ms.
struct TimedResolver {
  explicit TimedResolver(FakeHost& h, int failing = 0) : host(&h), failFirst(failing) {}

  FakeHost* host;
  int failFirst;  // lookups that fail before the rest succeed
  int calls = 0;
  std::vector<AddressFamily> families;

  Resolution operator()(const std::string& name, AddressFamily family) {
    ++calls;
    families.push_back(family);
    host->clock().advance(std::chrono::milliseconds(2 * calls));
    if (calls <= failFirst) return {{}, "cannot resolve '" + name + "': Temporary failure in name resolution"};
    return {{"192.0.2.1", "2001:db8::1", "192.0.2.2"}, ""};
  }
};

void oneResultPerTargetTimedOnTheHostClock() {
  FakeHost host;
  TimedResolver resolver(host);
  HelloProbe probe(options({{"greeting", "hi"}, {"targets", "a.example, b.example"}}), std::ref(resolver));
  auto h = host.host();
  probe.run(h);

  CHECK(host.results().size() == 2);
  if (host.results().size() != 2) return;
  const auto& a = host.results()[0];
  const auto& b = host.results()[1];
  CHECK(a.target == "a.example");
  CHECK(b.target == "b.example");
  CHECK(a.error.empty());
  CHECK(a.metric("hello.lookup_ms") == 4.0);  // lookups of 2, 4 and 6 ms
  CHECK(a.metric("hello.lookup_min_ms") == 2.0);
  CHECK(b.metric("hello.lookup_ms") == 10.0);  // 8, 10 and 12 ms
  CHECK(b.metric("hello.lookup_min_ms") == 8.0);
  CHECK(a.metric("hello.lookups_failed") == 0.0);
  CHECK(a.metric("hello.addresses.ipv4") == 2.0);
  CHECK(a.metric("hello.addresses.ipv6") == 1.0);
  CHECK(a.document == R"({"greeting":"hi","target":"a.example","family":"any","attempts":3,"lookup_ms":[2,4,6],)"
                      R"("addresses":["192.0.2.1","2001:db8::1","192.0.2.2"]})");
  CHECK(resolver.calls == 6);
  CHECK(host.slept() == 4 * HelloProbe::kPauseBetweenLookups);  // between lookups, not after the last
  CHECK(host.undeclaredMetrics(HelloProbe::metrics()).empty());
}

void failedLookupIsDataNotAnException() {
  FakeHost host;
  TimedResolver resolver(host, 99);
  HelloProbe probe(options({{"targets", "nowhere.invalid"}}), std::ref(resolver));
  auto h = host.host();
  probe.run(h);

  CHECK(host.results().size() == 1);
  if (host.results().empty()) return;
  const auto& r = host.results()[0];
  CHECK(r.error == "cannot resolve 'nowhere.invalid': Temporary failure in name resolution");
  CHECK(r.metric("hello.lookups_failed") == 3.0);
  CHECK(!r.find("hello.lookup_ms"));
  CHECK(r.document.empty());
}

void partialFailureStillMeasures() {
  FakeHost host;
  TimedResolver resolver(host, 1);
  HelloProbe probe(options({{"targets", "flaky.example"}}), std::ref(resolver));
  auto h = host.host();
  probe.run(h);

  CHECK(host.results().size() == 1);
  if (host.results().empty()) return;
  const auto& r = host.results()[0];
  CHECK(r.error.empty());
  CHECK(r.metric("hello.lookups_failed") == 1.0);
  CHECK(r.metric("hello.lookup_ms") == 5.0);  // the failed 2 ms lookup does not count; 4 and 6 do
  CHECK(contains(r.document, R"("last_error":"cannot resolve 'flaky.example')"));
}

void familyNarrowsTheQueryAndTheMetrics() {
  FakeHost host;
  TimedResolver resolver(host);
  HelloProbe probe(options({{"family", "ipv6"}, {"attempts", "1"}}), std::ref(resolver));
  auto h = host.host();
  probe.run(h);

  CHECK(resolver.families == std::vector<AddressFamily>{AddressFamily::kIpv6});
  CHECK(host.results().size() == 1);
  if (host.results().empty()) return;
  const auto& r = host.results()[0];
  CHECK(r.target == "localhost");  // the default target
  CHECK(r.metric("hello.addresses.ipv6") == 1.0);
  CHECK(!r.find("hello.addresses.ipv4"));
  CHECK(contains(r.document, R"("family":"ipv6")"));
}

void cancellationStopsTheRunPromptly() {
  FakeHost host;
  int calls = 0;
  HelloProbe probe(options({{"targets", "a.example, b.example"}}), [&](const std::string&, AddressFamily) {
    ++calls;
    host.cancel();  // the agent gives up while the first lookup is in flight
    return Resolution{{"192.0.2.1"}, ""};
  });
  auto h = host.host();
  probe.run(h);

  CHECK(calls == 1);
  CHECK(host.results().empty());  // no half-measured target, and nothing for the next one
}

void optionsAreCheckedBeforeTheProbeRuns() {
  CHECK(configError({}).empty());
  CHECK(contains(configError({{"attempts", "0"}}), "'attempts'"));
  CHECK(contains(configError({{"attempts", "11"}}), "outside 1..10"));
  CHECK(contains(configError({{"family", "ipv5"}}), "any, ipv4, ipv6"));
  CHECK(contains(configError({{"greting", "hi"}}), "unknown option 'greting'"));
  CHECK(contains(configError({{"targets", " , "}}), "'targets'"));
  CHECK(contains(configError({{"greeting", std::string(HelloProbe::kMaxGreetingChars + 1, 'x')}}), "'greeting'"));
}

// The real resolver, on an address that needs no lookup and so sends nothing anywhere.
void realResolverParsesNumericAddressesLocally() {
  FakeHost host;
  auto probe = streamswarm::testing::makeProbe<HelloProbe>({{"targets", "127.0.0.1"}, {"family", "ipv4"}});
  auto h = host.host();
  probe.run(h);

  CHECK(host.results().size() == 1);
  if (host.results().empty()) return;
  const auto& r = host.results()[0];
  CHECK(r.error.empty());
  CHECK(r.metric("hello.addresses.ipv4") == 1.0);
  CHECK(contains(r.document, R"("addresses":["127.0.0.1"])"));
}

struct TestCase {
  const char* name;
  void (*body)();
};

constexpr TestCase kTests[] = {
    {"oneResultPerTargetTimedOnTheHostClock", &oneResultPerTargetTimedOnTheHostClock},
    {"failedLookupIsDataNotAnException", &failedLookupIsDataNotAnException},
    {"partialFailureStillMeasures", &partialFailureStillMeasures},
    {"familyNarrowsTheQueryAndTheMetrics", &familyNarrowsTheQueryAndTheMetrics},
    {"cancellationStopsTheRunPromptly", &cancellationStopsTheRunPromptly},
    {"optionsAreCheckedBeforeTheProbeRuns", &optionsAreCheckedBeforeTheProbeRuns},
    {"realResolverParsesNumericAddressesLocally", &realResolverParsesNumericAddressesLocally},
};

}  // namespace

int main() {
  for (const auto& test : kTests) {
    const int before = failedChecks;
    try {
      test.body();
    } catch (const std::exception& e) {
      ++failedChecks;
      std::fprintf(stderr, "%s threw: %s\n", test.name, e.what());
    }
    std::printf("%s %s\n", failedChecks == before ? "ok  " : "FAIL", test.name);
  }
  std::printf("%d check(s) failed\n", failedChecks);
  return failedChecks == 0 ? 0 : 1;
}

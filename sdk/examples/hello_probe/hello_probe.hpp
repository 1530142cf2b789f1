// The "hello" example probe: looks each configured host name up a few times and reports how long
// the lookups took and which addresses came back. Real but harmless: "localhost" and numeric
// addresses are answered on this machine, without network traffic.
#pragma once

#include "resolver.hpp"

#include <streamswarm/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hello {

class HelloProbe {
 public:
  // Bump when a field of the result document changes meaning or goes away; adding one is fine.
  static constexpr std::uint32_t kDocumentSchema = 1;
  static constexpr std::size_t kMaxGreetingChars = 64;
  // Back-to-back lookups would mostly measure the resolver's cache warming up once.
  static constexpr std::chrono::milliseconds kPauseBetweenLookups{10};

  static std::span<const ss_config_key> configKeys();
  static std::span<const ss_metric_def> metrics();

  // The agent's constructor: looks names up with the system resolver.
  explicit HelloProbe(const streamswarm::Options& options);
  // Tests pass a fake resolver.
  HelloProbe(const streamswarm::Options& options, Resolver resolver);

  // One result per target, in the configured order.
  void run(streamswarm::Host& host);

 private:
  // Empty when the run was cancelled before this target was done.
  std::optional<streamswarm::Result> measure(const streamswarm::Host& host, const std::string& target) const;
  std::string document(const std::string& target, const std::vector<double>& lookupMs, const Resolution& last,
                       const std::string& lastError) const;

  std::string greeting_;
  std::vector<std::string> targets_;
  std::int64_t attempts_;
  AddressFamily family_;
  Resolver resolver_;
};

}  // namespace hello

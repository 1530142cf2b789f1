// Resolves probe targets once per run, timing each resolution so it is reported apart from the
// round trips. Numeric addresses skip the resolver; names resolve in parallel.
#pragma once

#include "common/ip_address.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace streamswarm::netprobe {

// Resolutions in flight at once: getaddrinfo() blocks, and one slow name must not hold up the rest.
constexpr std::size_t kMaxResolverThreads = 16;

enum class FamilyChoice : std::uint8_t { Any, V4, V6 };

// "auto" / "ipv4" / "ipv6", the spelling of the `family` options.
std::optional<FamilyChoice> familyChoiceFromName(const std::string& name);

struct Resolved {
  std::optional<IpAddress> address;
  std::string error;                    // when there is no address
  std::chrono::nanoseconds duration{};  // 0 for numeric addresses
  bool numeric = false;
};

// One result per name, in order. With FamilyChoice::Any a name takes the resolver's first
// address (RFC 6724 order).
std::vector<Resolved> resolveAll(std::span<const std::string> names, FamilyChoice family);

// The source address the kernel would use toward `destination` (a connected UDP socket's local
// address: no packet is sent), honouring a bound interface. Empty with `error` set when there is
// no route.
std::optional<IpAddress> localAddressToward(const IpAddress& destination, const std::string& device,
                                            std::string& error);

}  // namespace streamswarm::netprobe

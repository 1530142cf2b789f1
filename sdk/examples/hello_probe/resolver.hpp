// The probe's I/O: one host-name lookup through the system resolver. Kept apart from the probe so
// the unit test can replace it with a fake that answers instantly and predictably.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hello {

enum class AddressFamily { kAny, kIpv4, kIpv6 };

std::optional<AddressFamily> parseAddressFamily(std::string_view name);  // "any", "ipv4", "ipv6"
const char* addressFamilyName(AddressFamily family);

// The family of one numeric address as the resolver printed it.
AddressFamily familyOf(std::string_view address);

struct Resolution {
  std::vector<std::string> addresses;  // numeric ("127.0.0.1", "::1"), in the resolver's order, no duplicates
  std::string error;                   // why the lookup failed; empty when it succeeded
};

using Resolver = std::function<Resolution(const std::string& host, AddressFamily family)>;

// Blocking getaddrinfo(). "localhost" and numeric addresses are answered locally; any other name
// may ask the configured DNS servers.
Resolution resolveHost(const std::string& host, AddressFamily family);

}  // namespace hello

#include "resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>

namespace hello {

std::optional<AddressFamily> parseAddressFamily(std::string_view name) {
  if (name == "any") return AddressFamily::kAny;
  if (name == "ipv4") return AddressFamily::kIpv4;
  if (name == "ipv6") return AddressFamily::kIpv6;
  return std::nullopt;
}

const char* addressFamilyName(AddressFamily family) {
  switch (family) {
    case AddressFamily::kIpv4: return "ipv4";
    case AddressFamily::kIpv6: return "ipv6";
    case AddressFamily::kAny: break;
  }
  return "any";
}

AddressFamily familyOf(std::string_view address) {
  return address.find(':') == std::string_view::npos ? AddressFamily::kIpv4 : AddressFamily::kIpv6;
}

Resolution resolveHost(const std::string& host, AddressFamily family) {
  addrinfo hints{};
  hints.ai_family = family == AddressFamily::kIpv4 ? AF_INET : family == AddressFamily::kIpv6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address instead of one per socket type
  addrinfo* list = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list); rc != 0)
    return {{}, "cannot resolve '" + host + "': " + ::gai_strerror(rc)};
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);

  Resolution out;
  for (const auto* ai = list; ai; ai = ai->ai_next) {
    char text[NI_MAXHOST] = {};
    if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) continue;
    if (std::find(out.addresses.begin(), out.addresses.end(), text) == out.addresses.end())
      out.addresses.emplace_back(text);
  }
  if (out.addresses.empty()) out.error = "'" + host + "' resolved to no printable address";
  return out;
}

}  // namespace hello

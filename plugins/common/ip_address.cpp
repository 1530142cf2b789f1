#include "common/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace streamswarm::netprobe {

const char* familyName(Family family) {
  return family == Family::V4 ? "ipv4" : "ipv6";
}

int addressFamily(Family family) {
  return family == Family::V4 ? AF_INET : AF_INET6;
}

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = Family::V4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::V6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::fromBytes(Family family, Bytes bytes) {
  if (bytes.size() != (family == Family::V4 ? 4u : 16u)) return std::nullopt;
  IpAddress a;
  a.family_ = family;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; longer text cannot be an address anyway.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress a;
  if (inet_pton(AF_INET, buffer, a.bytes_.data()) == 1) {
    a.family_ = Family::V4;
    return a;
  }
  if (inet_pton(AF_INET6, buffer, a.bytes_.data()) == 1) {
    a.family_ = Family::V6;
    return a;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::fromSockaddr(const sockaddr* address, std::size_t length) {
  if (!address) return std::nullopt;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    return fromBytes(Family::V4, Bytes(reinterpret_cast<const std::uint8_t*>(&in.sin_addr), 4));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    return fromBytes(Family::V6, Bytes(in6.sin6_addr.s6_addr, 16));
  }
  return std::nullopt;
}

std::string IpAddress::toString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(addressFamily(family_), bytes_.data(), buffer, sizeof buffer);
  return buffer;
}

bool IpAddress::isUnspecified() const {
  const auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

socklen_t IpAddress::toSockaddr(sockaddr_storage& out, std::uint16_t port) const {
  std::memset(&out, 0, sizeof out);
  if (family_ == Family::V4) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, bytes_.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(in6.sin6_addr.s6_addr, bytes_.data(), 16);
  std::memcpy(&out, &in6, sizeof in6);
  return sizeof in6;
}

}  // namespace streamswarm::netprobe

// An IPv4 or IPv6 address as a plain value: parsed from text or a sockaddr, compared, printed,
// and turned back into a sockaddr for a socket call.
#pragma once

#include "common/packet_bytes.hpp"

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::netprobe {

enum class Family : std::uint8_t { V4, V6 };

// "ipv4" / "ipv6", as documents and messages spell them.
const char* familyName(Family family);
int addressFamily(Family family);  // AF_INET / AF_INET6

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0

  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // `bytes` must hold exactly 4 (IPv4) or 16 (IPv6) bytes.
  static std::optional<IpAddress> fromBytes(Family family, Bytes bytes);
  // Numeric text only ("192.0.2.1", "2001:db8::1"); names go through the resolver.
  static std::optional<IpAddress> parse(std::string_view text);
  static std::optional<IpAddress> fromSockaddr(const sockaddr* address, std::size_t length);

  Family family() const { return family_; }
  Bytes bytes() const { return Bytes(bytes_.data(), family_ == Family::V4 ? 4 : 16); }
  std::string toString() const;
  bool isUnspecified() const;

  // Fills `out` with this address and `port`; returns the length to pass to the socket call.
  socklen_t toSockaddr(sockaddr_storage& out, std::uint16_t port = 0) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first four
};

}  // namespace streamswarm::netprobe

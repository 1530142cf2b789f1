// The message an operator gets when no ICMP socket can be opened: which privilege is missing and
// how to grant it. Built from plain inputs so its wording is tested without changing privileges.
#pragma once

#include "common/ip_address.hpp"

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace streamswarm::netprobe {

// net.ipv4.ping_group_range: the gids allowed to open ping sockets ("1 0", the default, is none).
struct GroupRange {
  long long first = 1;
  long long last = 0;
  bool admits(long long gid) const { return gid >= first && gid <= last; }
};

std::optional<GroupRange> parseGroupRange(std::string_view text);

struct SocketAttempt {
  bool tried = false;
  int error = 0;  // errno of socket()
};

std::string icmpPrivilegeError(Family family, SocketAttempt raw, SocketAttempt datagram,
                               const std::optional<GroupRange>& range, std::span<const gid_t> groups);

// The same, with the range read from /proc and the groups of this process.
std::string currentIcmpPrivilegeError(Family family, SocketAttempt raw, SocketAttempt datagram);

}  // namespace streamswarm::netprobe

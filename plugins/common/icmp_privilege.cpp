#include "common/icmp_privilege.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

namespace streamswarm::netprobe {
namespace {

constexpr const char* kPingGroupRangePath = "/proc/sys/net/ipv4/ping_group_range";
// getgroups() beyond this many supplementary groups is not worth listing in a message.
constexpr int kMaxGroupsListed = 64;

std::string reason(int error) {
  return error ? std::strerror(error) : "unknown error";
}

bool deniedByPrivilege(int error) {
  return error == EPERM || error == EACCES;
}

}  // namespace

std::optional<GroupRange> parseGroupRange(std::string_view text) {
  GroupRange r;
  auto skipBlanks = [&] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n'))
      text.remove_prefix(1);
  };
  skipBlanks();
  auto [end1, ec1] = std::from_chars(text.data(), text.data() + text.size(), r.first);
  if (ec1 != std::errc()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end1 - text.data()));
  skipBlanks();
  auto [end2, ec2] = std::from_chars(text.data(), text.data() + text.size(), r.last);
  if (ec2 != std::errc()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end2 - text.data()));
  skipBlanks();
  if (!text.empty()) return std::nullopt;
  return r;
}

std::string icmpPrivilegeError(Family family, SocketAttempt raw, SocketAttempt datagram,
                               const std::optional<GroupRange>& range, std::span<const gid_t> groups) {
  std::string text = std::string("cannot open an ") + (family == Family::V4 ? "ICMP" : "ICMPv6") + " socket: ";
  std::string remedies;
  if (raw.tried) {
    if (deniedByPrivilege(raw.error)) {
      text += "a raw socket needs CAP_NET_RAW (" + reason(raw.error) + ")";
      remedies +=
          "run the agent as root or with CAP_NET_RAW (setcap cap_net_raw+ep on streamswarm-plugin-host, "
          "or AmbientCapabilities=CAP_NET_RAW)";
    } else {
      text += "raw socket: " + reason(raw.error);
    }
  }
  if (datagram.tried) {
    if (raw.tried) text += "; ";
    if (deniedByPrivilege(datagram.error)) {
      std::string gids;
      for (const auto g : groups) gids += (gids.empty() ? "" : ",") + std::to_string(g);
      text += "an unprivileged ping socket needs one of this process's groups (" + gids +
              ") in net.ipv4.ping_group_range, which is ";
      text += range ? "\"" + std::to_string(range->first) + " " + std::to_string(range->last) + "\"" : "unreadable";
      text += " (" + reason(datagram.error) + ")";
      remedies += std::string(remedies.empty() ? "" : ", or ") +
                  "add a group of the agent's user to net.ipv4.ping_group_range (sysctl)";
    } else {
      text += "ping socket: " + reason(datagram.error);
    }
  }
  if (!remedies.empty()) text += "; " + remedies;
  return text;
}

std::string currentIcmpPrivilegeError(Family family, SocketAttempt raw, SocketAttempt datagram) {
  std::optional<GroupRange> range;
  if (std::ifstream in(kPingGroupRangePath); in) {
    std::string line;
    std::getline(in, line);
    range = parseGroupRange(line);
  }
  std::set<gid_t> unique{getegid()};
  std::vector<gid_t> supplementary(kMaxGroupsListed);
  const int n = getgroups(kMaxGroupsListed, supplementary.data());
  for (int i = 0; i < n; ++i) unique.insert(supplementary[static_cast<std::size_t>(i)]);
  const std::vector<gid_t> groups(unique.begin(), unique.end());
  return icmpPrivilegeError(family, raw, datagram, range, groups);
}

}  // namespace streamswarm::netprobe

#include "common/name_resolver.hpp"

#include "common/probe_socket.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace streamswarm::netprobe {
namespace {

bool admits(FamilyChoice choice, Family family) {
  return choice == FamilyChoice::Any || (choice == FamilyChoice::V4) == (family == Family::V4);
}

Resolved resolveOne(const std::string& name, FamilyChoice family) {
  Resolved r;
  if (const auto numeric = IpAddress::parse(name)) {
    r.numeric = true;
    if (admits(family, numeric->family()))
      r.address = numeric;
    else
      r.error = name + " is not an " + std::string(family == FamilyChoice::V4 ? "IPv4" : "IPv6") + " address";
    return r;
  }
  addrinfo hints{};
  hints.ai_family = family == FamilyChoice::Any ? AF_UNSPEC : family == FamilyChoice::V4 ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address instead of one per socket type
  addrinfo* list = nullptr;
  const auto start = std::chrono::steady_clock::now();
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &list);
  r.duration = std::chrono::steady_clock::now() - start;
  if (rc != 0) {
    r.error = "cannot resolve '" + name + "': " + (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    return r;
  }
  for (const addrinfo* a = list; a && !r.address; a = a->ai_next)
    r.address = IpAddress::fromSockaddr(a->ai_addr, a->ai_addrlen);
  ::freeaddrinfo(list);
  if (!r.address) r.error = "cannot resolve '" + name + "': no usable address";
  return r;
}

}  // namespace

std::optional<FamilyChoice> familyChoiceFromName(const std::string& name) {
  if (name == "auto") return FamilyChoice::Any;
  if (name == "ipv4") return FamilyChoice::V4;
  if (name == "ipv6") return FamilyChoice::V6;
  return std::nullopt;
}

std::vector<Resolved> resolveAll(std::span<const std::string> names, FamilyChoice family) {
  std::vector<Resolved> out(names.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (IpAddress::parse(names[i]))
      out[i] = resolveOne(names[i], family);
    else
      pending.push_back(i);
  }
  if (pending.empty()) return out;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t k = next++; k < pending.size(); k = next++)
      out[pending[k]] = resolveOne(names[pending[k]], family);
  };
  const std::size_t threads = std::min(pending.size(), kMaxResolverThreads);
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

std::optional<IpAddress> localAddressToward(const IpAddress& destination, const std::string& device,
                                            std::string& error) {
  auto opened = ProbeSocket::open(destination.family(), SOCK_DGRAM, IPPROTO_UDP, 64);
  if (!opened.socket) {
    error = "UDP socket: " + errnoText(opened.error);
    return std::nullopt;
  }
  if (!device.empty()) {
    if (auto problem = opened.socket->bindToDevice(device); !problem.empty()) {
      error = problem;
      return std::nullopt;
    }
  }
  sockaddr_storage storage{};
  // Any port will do: connect() on a UDP socket only picks the route and source address.
  const auto length = destination.toSockaddr(storage, 9);
  if (::connect(opened.socket->fd(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    error = "no route to " + destination.toString() + ": " + errnoText(errno);
    return std::nullopt;
  }
  auto local = opened.socket->localAddress();
  if (!local) error = "getsockname: " + errnoText(errno);
  return local;
}

}  // namespace streamswarm::netprobe

#define BOOST_TEST_MODULE netprobe_socket
// The probe socket against the real kernel: raw and ping sockets, kernel receive and transmit
// timestamps, queued ICMP errors, the missing-privilege message. Loopback and namespaces only.
#include "common/icmp_codec.hpp"
#include "common/probe_socket.hpp"
#include "tests/support/netns_topology.hpp"

#include <boost/test/unit_test.hpp>

#include <linux/capability.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <thread>

using namespace streamswarm::netprobe;
using streamswarm::testsupport::namespacesUnavailable;
using streamswarm::testsupport::NetnsTopology;

namespace {

struct Collected : ReceiveSink {
  struct Packet {
    ReceivedDatagram meta;
    std::vector<std::uint8_t> bytes;
  };
  struct Error {
    ReceivedError meta;
    std::vector<std::uint8_t> original;
  };
  std::vector<Packet> packets;
  std::vector<Error> errors;
  std::vector<TxTimestamp> stamps;
  void datagram(const ReceivedDatagram& d) override { packets.push_back({d, {d.bytes.begin(), d.bytes.end()}}); }
  void error(const ReceivedError& e) override { errors.push_back({e, {e.original.begin(), e.original.end()}}); }
  void txTimestamp(const TxTimestamp& t) override { stamps.push_back(t); }
};

// Reads from `socket` until `done` holds or a second passes.
template <class Done>
void collect(ProbeSocket& socket, Collected& sink, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{socket.fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    socket.drain(sink, 1000);
  }
}

const Collected::Packet* findReply(const Collected& sink, Family family, std::uint16_t id, std::uint16_t seq) {
  for (const auto& p : sink.packets) {
    const auto m = parseIcmp(family, p.bytes, p.meta.withIpHeader).message;
    if (m && m->kind == IcmpKind::EchoReply && m->identifier == id && m->sequence == seq) return &p;
  }
  return nullptr;
}

bool hasIpv6Loopback() {
  std::ifstream in("/proc/net/if_inet6");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("00000000000000000000000000000001", 0) == 0) return true;
  return false;
}

// Drops CAP_NET_RAW from this thread's effective set (capabilities are per thread).
void dropNetRawOnThisThread() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) throw std::runtime_error("capget failed");
  data[0].effective &= ~(1u << CAP_NET_RAW);
  if (::syscall(SYS_capset, &header, data) != 0) throw std::runtime_error("capset failed");
}

}  // namespace

BOOST_AUTO_TEST_CASE(raw_echo_on_loopback_has_kernel_timestamps_and_ttl) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: raw sockets need root");
    return;
  }
  for (const auto family : {Family::V4, Family::V6}) {
    if (family == Family::V6 && !hasIpv6Loopback()) continue;
    auto choice = openIcmpSocket(family, IcmpSocketPreference::Auto, 2048);
    BOOST_TEST_REQUIRE(choice.socket != nullptr, choice.error);
    auto& s = *choice.socket;
    BOOST_TEST((s.kind() == SocketKind::Raw));
    BOOST_TEST(s.enableKernelTimestamps(true) == "");
    BOOST_TEST(s.receiveTtl() == "");
    const std::uint8_t accepted[] = {family == Family::V4 ? icmp4::kEchoReply : icmp6::kEchoReply};
    BOOST_TEST(s.acceptIcmpTypes(accepted) == "");
    BOOST_TEST(awaitReceiveTimestamps());
    std::vector<std::uint8_t> packet;
    const std::vector<std::uint8_t> payload(16, 0x5a);
    buildEchoRequest(family, 0x4242, 7, payload, packet);
    const auto target = *IpAddress::parse(family == Family::V4 ? "127.0.0.1" : "::1");
    const auto sent = s.sendTo(target, packet);
    BOOST_TEST_REQUIRE(sent.error == 0);
    BOOST_TEST_REQUIRE(sent.txKey.has_value());
    BOOST_TEST(*sent.txKey == 0u);
    Collected sink;
    collect(s, sink, [&] { return findReply(sink, family, 0x4242, 7) && !sink.stamps.empty(); });
    const auto* reply = findReply(sink, family, 0x4242, 7);
    BOOST_TEST_REQUIRE(reply != nullptr);
    // The filter let only echo replies through: our own request, looped back, is not there.
    for (const auto& p : sink.packets)
      BOOST_TEST((parseIcmp(family, p.bytes, p.meta.withIpHeader).message->kind == IcmpKind::EchoReply));
    BOOST_TEST_REQUIRE(reply->meta.kernelTime.has_value());
    BOOST_TEST(reply->meta.ttl.value_or(0) == 64);
    BOOST_TEST((reply->meta.from == target));
    BOOST_TEST_REQUIRE(sink.stamps.size() == 1u);
    BOOST_TEST(sink.stamps[0].key == 0u);
    // Kernel transmit and receive times bracket the round trip; user time is taken before sending.
    BOOST_TEST((sent.userTime <= sink.stamps[0].kernelTime));
    BOOST_TEST((sink.stamps[0].kernelTime <= *reply->meta.kernelTime));
    BOOST_TEST((*reply->meta.kernelTime - sink.stamps[0].kernelTime < std::chrono::milliseconds(100)));
  }
}

BOOST_AUTO_TEST_CASE(ping_socket_replies_and_queued_time_exceeded) {
  if (const auto why = namespacesUnavailable(); !why.empty()) {
    BOOST_TEST_MESSAGE("skipped: " << why);
    return;
  }
  NetnsTopology net("sock");
  const auto chain = net.buildChain(1, 231);
  net.sysctl("src", "net.ipv4.ping_group_range", "0 2147483647");
  for (const auto family : {Family::V4, Family::V6}) {
    const auto f = family == Family::V4 ? NetnsTopology::Family::V4 : NetnsTopology::Family::V6;
    const auto target = *IpAddress::parse(chain.destination(f));
    net.runIn("src", [&] {
      auto choice = openIcmpSocket(family, IcmpSocketPreference::Datagram, 2048);
      BOOST_TEST_REQUIRE(choice.socket != nullptr, choice.error);
      auto& s = *choice.socket;
      BOOST_TEST((s.kind() == SocketKind::Datagram));
      BOOST_TEST(s.receiveErrors() == "");
      BOOST_TEST(s.receiveTtl() == "");
      BOOST_TEST(s.enableKernelTimestamps(true) == "");
      BOOST_TEST(s.bindTo(family == Family::V4 ? IpAddress() : *IpAddress::parse("::")) == "");
      const auto id = s.localPort();  // the kernel's identifier for this ping socket
      BOOST_TEST(awaitReceiveTimestamps());
      std::vector<std::uint8_t> packet;
      const std::vector<std::uint8_t> payload(8, 1);
      buildEchoRequest(family, id, 1, payload, packet);
      BOOST_TEST_REQUIRE(s.sendTo(target, packet).error == 0);
      Collected sink;
      collect(s, sink, [&] { return findReply(sink, family, id, 1) != nullptr; });
      const auto* reply = findReply(sink, family, id, 1);
      BOOST_TEST_REQUIRE(reply != nullptr);
      BOOST_TEST(!reply->meta.withIpHeader);
      BOOST_TEST(reply->meta.kernelTime.has_value());
      BOOST_TEST(reply->meta.ttl.value_or(0) == 63);  // one router on the way back

      BOOST_TEST(s.setTtl(1) == "");
      buildEchoRequest(family, id, 2, payload, packet);
      BOOST_TEST_REQUIRE(s.sendTo(target, packet).error == 0);
      collect(s, sink, [&] { return !sink.errors.empty(); });
      BOOST_TEST_REQUIRE(sink.errors.size() == 1u);
      const auto& e = sink.errors[0];
      BOOST_TEST(e.meta.type == (family == Family::V4 ? icmp4::kTimeExceeded : icmp6::kTimeExceeded));
      BOOST_TEST_REQUIRE(e.meta.offender.has_value());
      BOOST_TEST(e.meta.offender->toString() == chain.hopAddress(1, f));
      BOOST_TEST((e.meta.destination == target));
      const auto original = parseIcmp(family, e.original, false).message;
      BOOST_TEST_REQUIRE(original.has_value());
      BOOST_TEST(original->sequence == 2);
    });
  }
}

BOOST_AUTO_TEST_CASE(without_privilege_the_error_names_what_is_missing) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: dropping a capability needs to have it first");
    return;
  }
  std::string message;
  std::thread([&] {
    dropNetRawOnThisThread();
    std::ifstream range("/proc/sys/net/ipv4/ping_group_range");
    std::string first;
    range >> first;
    const auto choice = openIcmpSocket(Family::V4, IcmpSocketPreference::Auto, 2048);
    // Where ping_group_range admits root's group, the ping socket opens and there is no error.
    message = choice.socket ? std::string("opened") : choice.error;
  }).join();
  if (message == "opened") {
    BOOST_TEST_MESSAGE("skipped: net.ipv4.ping_group_range admits this process");
    return;
  }
  BOOST_TEST(message.find("CAP_NET_RAW") != std::string::npos, message);
  BOOST_TEST(message.find("ping_group_range") != std::string::npos, message);
}

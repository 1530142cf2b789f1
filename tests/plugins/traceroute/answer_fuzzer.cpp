// libFuzzer target for traceroute's answer classifiers: whatever arrives on the ICMP and TCP
// sockets (and the errors a ping socket queues) is parsed and matched against a flow. The first
// input byte picks the mode and family; the rest is the packet. Built with clang on the side (see
// CMakeLists.txt); traceroute_core_test runs the same property on mutated captures.
#include "common/icmp_codec.hpp"
#include "traceroute/trace_probe_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace streamswarm;
using namespace streamswarm::traceroute;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  FlowMatch match;
  match.mode = static_cast<TraceMode>(data[0] % 3);
  match.sourcePort = 61234;
  match.destinationPort = match.mode == TraceMode::Tcp ? 80 : 33434;
  match.icmpIdentifier[0] = match.icmpIdentifier[1] = 0x7001;
  match.tcpSequenceBase = 0x10000000;
  match.maxIndex = probeIndex(99, 255);
  const auto family = (data[0] & 0x80) ? Family::V6 : Family::V4;
  const Bytes packet(data + 1, size - 1);
  const auto from = *IpAddress::parse(family == Family::V4 ? "10.0.0.1" : "fd00::1");
  auto check = [&](const std::optional<ProbeAnswer>& a) {
    if (a && a->index > match.maxIndex) std::abort();
  };
  for (const bool withIp : {false, true})
    if (const auto parsed = netprobe::parseIcmp(family, packet, withIp); parsed.message)
      check(classifyIcmp(match, *parsed.message, from));
  check(classifyTcp(match, packet, from));
  check(classifyQueuedError(match, family, from, from, 11, 0, packet));
  return 0;
}

// libFuzzer target for the parsers that read bytes off the network: ICMP/ICMPv6 messages with and
// without an IPv4 header, the datagrams they quote, and UDP/TCP headers. Built with clang on the
// side (see CMakeLists.txt); the unit suite runs the same property on a fixed seed.
#include "common/icmp_codec.hpp"
#include "common/ip_header.hpp"
#include "common/transport_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace streamswarm::netprobe;

namespace {

void checkInside(Bytes outer, Bytes inner) {
  if (inner.empty()) return;
  if (inner.data() < outer.data() || inner.data() + inner.size() > outer.data() + outer.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes bytes(data, size);
  for (const auto family : {Family::V4, Family::V6})
    for (const bool withIp : {false, true}) {
      const auto parsed = parseIcmp(family, bytes, withIp);
      if (!parsed.message) continue;
      checkInside(bytes, parsed.message->payload);
      if (!parsed.message->quoted) continue;
      const auto transport = parsed.message->quoted->transport;
      checkInside(bytes, transport);
      (void)parseUdpHeader(transport);
      (void)parseTcpHeader(transport);
      (void)parseIcmp(family, transport, false);
    }
  if (const auto ip = parseIpHeader(bytes)) {
    if (ip->headerLength > size) std::abort();
    (void)parseTcpHeader(bytes.subspan(ip->headerLength));
  }
  return 0;
}

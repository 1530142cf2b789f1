// The data of our echo requests: a magic, the run's nonce and the packet's number, then a byte
// pattern up to the configured size. A reply echoes it back, so a raw socket (which sees every
// echo reply on the host) can tell our replies from other programs' and which request each answers,
// whatever happened to the 16-bit sequence number.
#pragma once

#include "common/packet_bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace streamswarm::ping {

using netprobe::Bytes;

constexpr std::array<std::uint8_t, 4> kPayloadMagic = {'S', 'S', 'w', 'p'};
constexpr std::size_t kPayloadStampBytes = 12;  // magic, nonce, packet number

void writePayload(std::uint32_t nonce, std::uint32_t packet, std::size_t size, std::vector<std::uint8_t>& out);

enum class PayloadMatch : std::uint8_t {
  Ours,     // carries our magic, nonce and a packet number
  Foreign,  // someone else's request
  Short     // too short to hold the number (size < 12) but consistent with ours: match by sequence
};

struct PayloadReading {
  PayloadMatch match = PayloadMatch::Foreign;
  std::uint32_t packet = 0;  // when Ours
};

// `size`: the payload size of this run's requests; a reply with any other size is not ours.
PayloadReading readPayload(Bytes payload, std::uint32_t nonce, std::size_t size);

// The same for the start of a payload that an ICMP error quoted, which may be cut anywhere.
PayloadReading readQuotedPayload(Bytes prefix, std::uint32_t nonce, std::size_t size);

}  // namespace streamswarm::ping

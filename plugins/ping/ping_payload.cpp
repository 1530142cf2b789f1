#include "ping/ping_payload.hpp"

#include <algorithm>

namespace streamswarm::ping {
namespace {

std::array<std::uint8_t, kPayloadStampBytes> stamp(std::uint32_t nonce, std::uint32_t packet) {
  std::array<std::uint8_t, kPayloadStampBytes> s{};
  std::copy(kPayloadMagic.begin(), kPayloadMagic.end(), s.begin());
  netprobe::store32(s, 4, nonce);
  netprobe::store32(s, 8, packet);
  return s;
}

}  // namespace

void writePayload(std::uint32_t nonce, std::uint32_t packet, std::size_t size, std::vector<std::uint8_t>& out) {
  out.resize(size);
  const auto s = stamp(nonce, packet);
  for (std::size_t i = 0; i < size; ++i) out[i] = i < s.size() ? s[i] : static_cast<std::uint8_t>(i);
}

PayloadReading readQuotedPayload(Bytes prefix, std::uint32_t nonce, std::size_t size) {
  // RFC 4884 errors pad the quote with zeros; what is beyond our size is not ours to check.
  prefix = prefix.first(std::min(prefix.size(), size));
  // The magic and nonce come first, so even a short prefix can be checked as far as it goes.
  const auto expected = stamp(nonce, 0);
  const std::size_t checked = std::min<std::size_t>(prefix.size(), 8);
  if (!std::equal(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(checked), prefix.begin())) return {};
  if (prefix.size() >= kPayloadStampBytes) return {PayloadMatch::Ours, netprobe::load32(prefix, 8)};
  return {PayloadMatch::Short, 0};
}

PayloadReading readPayload(Bytes payload, std::uint32_t nonce, std::size_t size) {
  if (payload.size() != size) return {};
  return readQuotedPayload(payload, nonce, size);
}

}  // namespace streamswarm::ping

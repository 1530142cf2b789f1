// Big-endian loads and stores on byte spans, the wire order of every header these probes read and
// write. Callers check lengths first; these only index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace streamswarm::netprobe {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

inline std::uint16_t load16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned>(b[at]) << 8 | b[at + 1]);
}

inline std::uint32_t load32(Bytes b, std::size_t at) {
  return static_cast<std::uint32_t>(load16(b, at)) << 16 | load16(b, at + 2);
}

inline void store16(MutableBytes b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

inline void store32(MutableBytes b, std::size_t at, std::uint32_t v) {
  store16(b, at, static_cast<std::uint16_t>(v >> 16));
  store16(b, at + 2, static_cast<std::uint16_t>(v & 0xffff));
}

}  // namespace streamswarm::netprobe

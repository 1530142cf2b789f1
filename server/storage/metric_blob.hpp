// The packed form of a result's metrics, stored in one BLOB per result row instead of one row
// (and one index entry) per metric. Pure functions, no SQLite.
//
// Layout: one format byte (kMetricBlobFormat), then per metric its dictionary id as an unsigned
// LEB128 varint (1 byte for the first 128 names, 2 up to 16,383) and its value as 8 bytes of
// IEEE-754 binary64, little-endian, so values round-trip bit for bit (NaN payloads and -0 too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace streamswarm::server {

inline constexpr std::uint8_t kMetricBlobFormat = 1;
inline constexpr std::size_t kMaxPackedMetricBytes = 10 + 8;  // the longest varint, the value

struct PackedMetric {
  std::uint64_t id = 0;
  double value = 0;
};

// Writes one metric at `out`, which has room for kMaxPackedMetricBytes; returns the end of what it
// wrote. Ingest packs into a reused buffer this way, without a capacity check per byte.
std::uint8_t* packMetric(std::uint8_t* out, std::uint64_t id, double value);

// Clears `out` and writes the format byte.
void beginMetricBlob(std::vector<std::uint8_t>& out);
void appendMetric(std::vector<std::uint8_t>& out, std::uint64_t id, double value);

// Walks a blob. next() returns false at the end and on malformed input; ok() tells them apart.
class MetricBlobReader {
 public:
  explicit MetricBlobReader(std::span<const std::uint8_t> blob);

  bool next(PackedMetric& out);
  bool ok() const { return ok_; }

 private:
  std::span<const std::uint8_t> blob_;
  std::size_t pos_ = 1;
  bool ok_ = true;
};

// The value of metric `id` in a blob; none when it is absent. `ok` turns false on a malformed blob.
std::optional<double> findMetric(std::span<const std::uint8_t> blob, std::uint64_t id, bool& ok);

}  // namespace streamswarm::server

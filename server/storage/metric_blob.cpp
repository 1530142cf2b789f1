#include "server/storage/metric_blob.hpp"

#include <array>
#include <bit>

namespace streamswarm::server {

namespace {

constexpr std::size_t kValueBytes = 8;
constexpr std::size_t kMaxVarintBytes = 10;  // enough for any 64-bit value
static_assert(kMaxPackedMetricBytes == kMaxVarintBytes + kValueBytes);

}  // namespace

void beginMetricBlob(std::vector<std::uint8_t>& out) {
  out.clear();
  out.push_back(kMetricBlobFormat);
}

std::uint8_t* packMetric(std::uint8_t* out, std::uint64_t id, double value) {
  while (id >= 0x80) {
    *out++ = static_cast<std::uint8_t>(id | 0x80);
    id >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(id);
  const auto bits = std::bit_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < kValueBytes; ++i) *out++ = static_cast<std::uint8_t>(bits >> (8 * i));
  return out;
}

void appendMetric(std::vector<std::uint8_t>& out, std::uint64_t id, double value) {
  std::array<std::uint8_t, kMaxPackedMetricBytes> buf;
  std::uint8_t* end = packMetric(buf.data(), id, value);
  out.insert(out.end(), buf.data(), end);
}

MetricBlobReader::MetricBlobReader(std::span<const std::uint8_t> blob) : blob_(blob) {
  ok_ = !blob_.empty() && blob_[0] == kMetricBlobFormat;
}

bool MetricBlobReader::next(PackedMetric& out) {
  if (!ok_ || pos_ >= blob_.size()) return false;
  std::uint64_t id = 0;
  for (std::size_t i = 0;; ++i) {
    if (i == kMaxVarintBytes || pos_ >= blob_.size()) {
      ok_ = false;
      return false;
    }
    const std::uint8_t byte = blob_[pos_++];
    id |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if (!(byte & 0x80)) break;
  }
  if (blob_.size() - pos_ < kValueBytes) {
    ok_ = false;
    return false;
  }
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < kValueBytes; ++i) bits |= static_cast<std::uint64_t>(blob_[pos_ + i]) << (8 * i);
  pos_ += kValueBytes;
  out.id = id;
  out.value = std::bit_cast<double>(bits);
  return true;
}

std::optional<double> findMetric(std::span<const std::uint8_t> blob, std::uint64_t id, bool& ok) {
  MetricBlobReader reader(blob);
  for (PackedMetric m; reader.next(m);)
    if (m.id == id) return m.value;
  ok = reader.ok();
  return std::nullopt;
}

}  // namespace streamswarm::server

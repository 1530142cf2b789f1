#define BOOST_TEST_MODULE storage_metric_blob
#include <boost/test/unit_test.hpp>

#include "server/storage/metric_blob.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace streamswarm::server;

namespace {

std::vector<PackedMetric> unpack(const std::vector<std::uint8_t>& blob, bool& ok) {
  std::vector<PackedMetric> out;
  MetricBlobReader reader(blob);
  for (PackedMetric m; reader.next(m);) out.push_back(m);
  ok = reader.ok();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_blob_is_just_the_format_byte) {
  std::vector<std::uint8_t> blob{9, 9, 9};
  beginMetricBlob(blob);
  BOOST_TEST(blob == std::vector<std::uint8_t>{kMetricBlobFormat});
  bool ok = false;
  BOOST_TEST(unpack(blob, ok).empty());
  BOOST_TEST(ok);
}

BOOST_AUTO_TEST_CASE(ids_and_values_round_trip_bit_for_bit) {
  const std::uint64_t ids[] = {0, 1, 127, 128, 16'383, 16'384, 1ull << 35, std::numeric_limits<std::uint64_t>::max()};
  const double values[] = {0.0,
                           -0.0,
                           0.1,
                           -123.456,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::bit_cast<double>(0x7ff8'0000'dead'beefull),  // NaN with a payload
                           9'007'199'254'740'993.0};
  std::vector<std::uint8_t> blob;
  beginMetricBlob(blob);
  for (auto id : ids)
    for (auto v : values) appendMetric(blob, id, v);
  bool ok = false;
  const auto got = unpack(blob, ok);
  BOOST_TEST(ok);
  BOOST_TEST_REQUIRE(got.size() == std::size(ids) * std::size(values));
  std::size_t i = 0;
  for (auto id : ids)
    for (auto v : values) {
      BOOST_TEST(got[i].id == id);
      BOOST_TEST(std::bit_cast<std::uint64_t>(got[i].value) == std::bit_cast<std::uint64_t>(v));
      ++i;
    }
}

BOOST_AUTO_TEST_CASE(small_ids_take_one_byte) {
  std::vector<std::uint8_t> blob;
  beginMetricBlob(blob);
  appendMetric(blob, 127, 1.0);
  BOOST_TEST(blob.size() == 1u + 1u + 8u);
  appendMetric(blob, 128, 1.0);
  BOOST_TEST(blob.size() == 1u + 9u + 2u + 8u);
}

BOOST_AUTO_TEST_CASE(the_largest_id_fits_the_stated_room) {
  std::array<std::uint8_t, kMaxPackedMetricBytes + 1> buf{};
  const auto* end = packMetric(buf.data(), std::numeric_limits<std::uint64_t>::max(), 1.0);
  BOOST_TEST(static_cast<std::size_t>(end - buf.data()) == kMaxPackedMetricBytes);
}

BOOST_AUTO_TEST_CASE(malformed_blobs_are_reported) {
  std::vector<std::uint8_t> good;
  beginMetricBlob(good);
  appendMetric(good, 300, 2.5);  // 2-byte id

  bool ok = true;
  unpack({}, ok);
  BOOST_TEST(!ok);  // no format byte

  unpack({2}, ok);
  BOOST_TEST(!ok);  // unknown format

  std::vector<std::uint8_t> truncatedValue(good.begin(), good.end() - 1);
  unpack(truncatedValue, ok);
  BOOST_TEST(!ok);

  std::vector<std::uint8_t> truncatedId(good.begin(), good.begin() + 2);  // continuation bit, then nothing
  unpack(truncatedId, ok);
  BOOST_TEST(!ok);

  std::vector<std::uint8_t> endlessId{kMetricBlobFormat};
  endlessId.insert(endlessId.end(), 11, 0x80);
  unpack(endlessId, ok);
  BOOST_TEST(!ok);
}

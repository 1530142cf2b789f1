// zlib compression for the tests' response bodies: windowBits 15 = zlib-wrapped deflate, -15 =
// raw deflate, 31 = gzip.
#pragma once

#include <zlib.h>

#include <stdexcept>
#include <string>

namespace http_timing_test {

inline std::string compress(const std::string& data, int windowBits) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

inline std::string gzip(const std::string& data) {
  return compress(data, 31);
}

}  // namespace http_timing_test

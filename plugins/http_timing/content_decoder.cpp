#include "content_decoder.hpp"

#include <zlib.h>

#include <array>

namespace streamswarm::http_timing {
namespace {

// zlib's window: 2^15 bytes. +16 selects the gzip wrapper, a negative value raw deflate.
constexpr int kWindowBits = 15;
constexpr int kGzipWindowBits = kWindowBits + 16;
constexpr std::size_t kOutputChunk = 16 * 1024;

std::string lowered(std::string_view s) {
  std::string out;
  for (const char c : s)
    if (c != ' ' && c != '\t') out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// RFC 1950: the first two bytes of a zlib stream. Servers that answer "deflate" with raw RFC 1951
// data are common, so the decoder looks before choosing.
bool zlibHeader(unsigned char cmf, unsigned char flg) {
  return (cmf & 0x0f) == 8 && ((cmf << 8) | flg) % 31 == 0;
}

}  // namespace

ContentEncoding contentEncodingOf(std::string_view header) {
  const auto v = lowered(header);
  if (v.empty() || v == "identity") return ContentEncoding::kIdentity;
  if (v == "gzip" || v == "x-gzip") return ContentEncoding::kGzip;
  if (v == "deflate") return ContentEncoding::kDeflate;
  return ContentEncoding::kUnsupported;
}

std::string_view encodingName(ContentEncoding encoding) {
  switch (encoding) {
    case ContentEncoding::kIdentity: return "identity";
    case ContentEncoding::kGzip: return "gzip";
    case ContentEncoding::kDeflate: return "deflate";
    case ContentEncoding::kUnsupported: return "unsupported";
  }
  return "unsupported";
}

struct ContentDecoder::Stream {
  z_stream z{};
  bool initialised = false;
  ~Stream() {
    if (initialised) inflateEnd(&z);
  }
};

ContentDecoder::ContentDecoder(ContentEncoding encoding, std::uint64_t outputLimit, Sink sink)
    : encoding_(encoding), limit_(outputLimit), sink_(std::move(sink)), stream_(std::make_unique<Stream>()) {}

ContentDecoder::~ContentDecoder() = default;

std::optional<std::string> ContentDecoder::write(std::string_view encoded) {
  if (error_) return error_;
  if (encoding_ == ContentEncoding::kIdentity || encoding_ == ContentEncoding::kUnsupported) {
    if (decoded_ + encoded.size() > limit_) return error_ = "body exceeds " + std::to_string(limit_) + " bytes";
    decoded_ += encoded.size();
    if (!encoded.empty()) sink_(encoded);
    return std::nullopt;
  }
  if (!stream_->initialised) {
    int bits = kGzipWindowBits;
    if (encoding_ == ContentEncoding::kDeflate) {
      header_.append(encoded);
      if (header_.size() < 2) return std::nullopt;
      const auto* h = reinterpret_cast<const unsigned char*>(header_.data());
      bits = zlibHeader(h[0], h[1]) ? kWindowBits : -kWindowBits;
    }
    if (inflateInit2(&stream_->z, bits) != Z_OK) return error_ = "cannot initialise zlib";
    stream_->initialised = true;
    if (!header_.empty()) {
      const std::string pending = std::move(header_);
      header_.clear();
      return inflateSome(pending);
    }
  }
  return inflateSome(encoded);
}

std::optional<std::string> ContentDecoder::inflateSome(std::string_view encoded) {
  auto& z = stream_->z;
  std::array<unsigned char, kOutputChunk> out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(encoded.data()));
  z.avail_in = static_cast<uInt>(encoded.size());
  while (z.avail_in > 0) {
    if (ended_) {
      // Another gzip member may follow (RFC 1952 allows several); anything else is trailing junk
      // that decoders ignore.
      if (encoding_ != ContentEncoding::kGzip || z.next_in[0] != 0x1f) return std::nullopt;
      if (inflateReset(&z) != Z_OK) return error_ = "cannot reset zlib";
      ended_ = false;
    }
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const auto produced = out.size() - z.avail_out;
    if (produced > 0) {
      if (decoded_ + produced > limit_) return error_ = "decoded body exceeds " + std::to_string(limit_) + " bytes";
      decoded_ += produced;
      sink_(std::string_view(reinterpret_cast<const char*>(out.data()), produced));
    }
    if (rc == Z_STREAM_END) {
      ended_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR && produced == 0) break;  // needs more input
    if (rc != Z_OK) {
      const std::string why = z.msg ? z.msg : "error " + std::to_string(rc);
      return error_ = std::string(encodingName(encoding_)) + " data is corrupt: " + why;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ContentDecoder::finish() {
  if (error_) return error_;
  if (encoding_ == ContentEncoding::kIdentity || encoding_ == ContentEncoding::kUnsupported) return std::nullopt;
  if (!stream_->initialised && header_.empty()) return std::nullopt;  // an empty body
  if (!ended_) return error_ = std::string(encodingName(encoding_)) + " data ends early";
  return std::nullopt;
}

}  // namespace streamswarm::http_timing

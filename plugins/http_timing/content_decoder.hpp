// Decodes a gzip or deflate response body as it arrives (Beast has no decoder; zlib is what curl
// and the browsers use). Bounded: decoding stops with an error past `outputLimit` bytes, so a small
// compressed body cannot expand without limit ("zip bomb").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::http_timing {

enum class ContentEncoding { kIdentity, kGzip, kDeflate, kUnsupported };

// From a Content-Encoding value: "", "identity", "gzip", "x-gzip", "deflate"; anything else
// (br, zstd, several codings) is unsupported and left undecoded.
ContentEncoding contentEncodingOf(std::string_view header);
std::string_view encodingName(ContentEncoding encoding);

class ContentDecoder {
 public:
  using Sink = std::function<void(std::string_view decoded)>;

  ContentDecoder(ContentEncoding encoding, std::uint64_t outputLimit, Sink sink);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Decodes the next piece of the body, passing decoded bytes to the sink. Returns why it failed
  // (corrupt data, output limit); later calls fail the same way.
  std::optional<std::string> write(std::string_view encoded);
  // The body ended: fails if the compressed stream was cut short.
  std::optional<std::string> finish();

  std::uint64_t decodedBytes() const { return decoded_; }

 private:
  struct Stream;
  std::optional<std::string> inflateSome(std::string_view encoded);

  ContentEncoding encoding_;
  std::uint64_t limit_;
  Sink sink_;
  std::unique_ptr<Stream> stream_;
  std::string header_;  // deflate: the first bytes, until they show zlib-wrapped or raw data
  std::uint64_t decoded_ = 0;
  bool ended_ = false;  // the compressed stream reached its end
  std::optional<std::string> error_;
};

}  // namespace streamswarm::http_timing

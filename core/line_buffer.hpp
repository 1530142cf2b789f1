#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace streamswarm::core {

// Splits a byte stream into '\n'-terminated lines, with a bound on a line's length so that a
// misbehaving peer cannot make us buffer without limit.
class LineBuffer {
 public:
  explicit LineBuffer(std::size_t maxLine) : maxLine_(maxLine) {}

  // False when the pending (unterminated) line exceeds the bound.
  bool append(std::string_view bytes) {
    data_.append(bytes);
    const auto end = data_.find('\n', start_);
    const auto pending = (end == std::string::npos ? data_.size() : end) - start_;
    return pending <= maxLine_;
  }

  std::optional<std::string> next() {
    const auto end = data_.find('\n', start_);
    if (end == std::string::npos) {
      compact();
      return std::nullopt;
    }
    std::string line = data_.substr(start_, end - start_);
    start_ = end + 1;
    return line;
  }

 private:
  void compact() {
    data_.erase(0, start_);
    start_ = 0;
  }

  std::size_t maxLine_;
  std::string data_;
  std::size_t start_ = 0;
};

// Bounds of the agent <-> plugin-host protocol.
inline constexpr std::size_t kMaxProtocolLine = 32u * 1024 * 1024;  // one result with its document
inline constexpr std::size_t kErrorBufferSize = 4096;               // a plugin's error message

}  // namespace streamswarm::core

// A small streaming JSON writer for a plugin's result document. Header-only on purpose: the SDK
// must build with any C++20 standard library (libstdc++ or libc++) and pull no library in.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm {

class JsonWriter {
 public:
  JsonWriter& beginObject() { return open('{'); }
  JsonWriter& endObject() { return close('{', '}'); }
  JsonWriter& beginArray() { return open('['); }
  JsonWriter& endArray() { return close('[', ']'); }

  JsonWriter& key(std::string_view name) {
    if (stack_.empty() || stack_.back().bracket != '{' || stack_.back().expectValue)
      throw std::logic_error("JsonWriter: key outside an object");
    comma();
    appendString(name);
    out_ += ':';
    stack_.back().expectValue = true;
    return *this;
  }

  JsonWriter& value(std::string_view s) {
    return raw([&] { appendString(s); });
  }
  JsonWriter& value(const char* s) { return s ? value(std::string_view(s)) : null(); }
  JsonWriter& value(bool b) {
    return raw([&] { out_ += b ? "true" : "false"; });
  }
  JsonWriter& value(double d) {
    return raw([&] {
      if (!std::isfinite(d)) {
        out_ += "null";  // JSON has no NaN/Inf
        return;
      }
      char buffer[32];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
      out_.append(buffer, ec == std::errc() ? end : buffer);
    });
  }
  JsonWriter& value(std::int64_t i) {
    return raw([&] { appendInteger(i); });
  }
  JsonWriter& value(int i) { return value(static_cast<std::int64_t>(i)); }
  JsonWriter& value(std::uint64_t u) {
    return raw([&] { appendInteger(u); });
  }
  JsonWriter& null() {
    return raw([&] { out_ += "null"; });
  }
  // Inserts already-serialised JSON (a document built elsewhere) as one value; not checked.
  JsonWriter& rawValue(std::string_view json) {
    return raw([&] { out_ += json; });
  }

  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  // The finished document; throws if an object or array is still open.
  const std::string& str() const {
    if (!stack_.empty()) throw std::logic_error("JsonWriter: unclosed object or array");
    return out_;
  }

 private:
  struct Level {
    char bracket;
    bool first = true;
    bool expectValue = false;
  };

  void comma() {
    if (stack_.empty()) return;
    auto& top = stack_.back();
    if (top.expectValue) return;  // value right after its key
    if (!top.first) out_ += ',';
    top.first = false;
  }

  template <class F>
  JsonWriter& raw(F&& write) {
    if (!stack_.empty() && stack_.back().bracket == '{' && !stack_.back().expectValue)
      throw std::logic_error("JsonWriter: value in an object needs a key");
    comma();
    write();
    if (!stack_.empty()) stack_.back().expectValue = false;
    return *this;
  }

  JsonWriter& open(char bracket) {
    raw([&] { out_ += bracket; });
    stack_.push_back({bracket});
    return *this;
  }

  JsonWriter& close(char bracket, char closing) {
    if (stack_.empty() || stack_.back().bracket != bracket || stack_.back().expectValue)
      throw std::logic_error("JsonWriter: mismatched close");
    stack_.pop_back();
    out_ += closing;
    return *this;
  }

  // Characters that need no escape are copied in runs, not one at a time.
  void appendString(std::string_view s) {
    out_ += '"';
    std::size_t plain = 0;  // the first character not copied yet
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          out_.append(escaped, sizeof escaped);
        }
      }
    }
    out_.append(s.data() + plain, s.size() - plain);
    out_ += '"';
  }

  template <class Integer>
  void appendInteger(Integer i) {
    char buffer[24];  // the longest 64-bit integer has 20 digits and a sign
    out_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, i).ptr);
  }

  std::string out_;
  std::vector<Level> stack_;
};

}  // namespace streamswarm

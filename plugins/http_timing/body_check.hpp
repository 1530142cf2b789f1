// expect_body and expect_regex: what the final response body must contain. Matched against the
// decoded body (after gzip/deflate), at most max_body_bytes of it.
#pragma once

#include "parsed.hpp"

#include <boost/regex.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace streamswarm::http_timing {

class BodyCheck {
 public:
  BodyCheck() = default;
  // Either may be empty. The regex is Perl syntax (Boost.Regex), compiled once here.
  static Parsed<BodyCheck> make(std::string substring, std::string regex);

  bool enabled() const { return !substring_.empty() || regex_ != nullptr; }

  struct Outcome {
    bool ok = true;
    std::string reason;  // why not, when !ok
  };
  Outcome check(std::string_view body) const;

  const std::string& substring() const { return substring_; }
  const std::string& regexText() const { return regexText_; }

 private:
  std::string substring_;
  std::string regexText_;
  std::shared_ptr<const boost::regex> regex_;  // shared: a BodyCheck is copied with its config
};

}  // namespace streamswarm::http_timing

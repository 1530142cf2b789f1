#include "body_check.hpp"

namespace streamswarm::http_timing {
namespace {

// How much of an expected substring an error text quotes.
constexpr std::size_t kQuoteBytes = 64;

std::string quoted(std::string_view s) {
  return "'" + std::string(s.substr(0, kQuoteBytes)) + (s.size() > kQuoteBytes ? "...'" : "'");
}

}  // namespace

Parsed<BodyCheck> BodyCheck::make(std::string substring, std::string regex) {
  BodyCheck out;
  out.substring_ = std::move(substring);
  if (!regex.empty()) {
    try {
      out.regex_ = std::make_shared<const boost::regex>(regex, boost::regex::perl);
    } catch (const boost::regex_error& e) {
      return Parsed<BodyCheck>::fail("'" + regex + "' is not a valid regular expression: " + e.what());
    }
    out.regexText_ = std::move(regex);
  }
  return Parsed<BodyCheck>::ok(std::move(out));
}

BodyCheck::Outcome BodyCheck::check(std::string_view body) const {
  if (!substring_.empty() && body.find(substring_) == std::string_view::npos)
    return {false, "expected text " + quoted(substring_) + " not found"};
  if (regex_) {
    try {
      if (!boost::regex_search(body.begin(), body.end(), *regex_))
        return {false, "regex " + quoted(regexText_) + " does not match"};
    } catch (const std::runtime_error& e) {
      // Boost.Regex gives up on pathological backtracking instead of running for minutes.
      return {false, "regex " + quoted(regexText_) + " could not be matched: " + e.what()};
    }
  }
  return {};
}

}  // namespace streamswarm::http_timing

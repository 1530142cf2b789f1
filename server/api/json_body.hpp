// Reading request bodies and writing responses as JSON. Every failure is an ApiError(400) whose
// message names the field, so clients learn exactly what to fix.
#pragma once

#include "server/http/api_error.hpp"
#include "server/http/api_message.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamswarm::server {

// Parses the whole body. Malformed JSON: 400 "malformed JSON at line L, column C (offset N):
// <reason>". The content type is not checked: a body that parses is accepted.
boost::json::value parseJsonBody(std::string_view body);

// That 400 for a parse of `body` that failed with `ec` after `consumed` bytes.
[[noreturn]] void throwMalformedJson(std::string_view body, std::size_t consumed, const boost::json::error_code& ec);

// The body as an object (400 "request body must be a JSON object" otherwise).
boost::json::object parseJsonObject(std::string_view body);

// Field accessors; `where` prefixes the field name in messages ("results[3].").
const boost::json::value* field(const boost::json::object& o, std::string_view key);  // null if absent or null
std::string requireString(const boost::json::object& o, std::string_view key, std::string_view where = {});
std::optional<std::string> optionalString(const boost::json::object& o, std::string_view key,
                                          std::string_view where = {});
std::optional<double> optionalNumber(const boost::json::object& o, std::string_view key, std::string_view where = {});
std::optional<std::int64_t> optionalInteger(const boost::json::object& o, std::string_view key,
                                            std::string_view where = {});
std::optional<bool> optionalBool(const boost::json::object& o, std::string_view key, std::string_view where = {});
std::vector<std::string> stringArray(const boost::json::object& o, std::string_view key, std::string_view where = {});
const boost::json::object* optionalObject(const boost::json::object& o, std::string_view key,
                                          std::string_view where = {});

// Rejects fields not in `known` (400 naming the field), the way config files reject unknown keys.
void rejectUnknownFields(const boost::json::object& o, std::initializer_list<std::string_view> known,
                         std::string_view where = {});

// A number read as a double that is an integer, where doubles still hold integers exactly (below
// kMaxIntegralDouble); none otherwise. What optionalInteger accepts besides int64 values.
inline constexpr double kMaxIntegralDouble = 9e15;
std::optional<std::int64_t> integralDouble(double d);

ApiResponse jsonResponse(unsigned status, const boost::json::value& body);

// The shortest text that reads back as `value` (std::to_chars): "0.1", "1e+300". JSON has no
// NaN or infinity; callers writing JSON pass finite values only.
void appendShortest(std::string& out, double value);

// Seconds as a JSON number from nanoseconds, and back (rounded to the nanosecond).
double secondsFromNs(std::int64_t ns);
std::int64_t nsFromSeconds(double seconds);

}  // namespace streamswarm::server

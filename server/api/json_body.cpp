#include "server/api/json_body.hpp"

#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

std::string name(std::string_view where, std::string_view key) {
  return "'" + std::string(where) + std::string(key) + "'";
}

[[noreturn]] void bad(std::string_view where, std::string_view key, std::string_view what) {
  throw ApiError(400, "field " + name(where, key) + " " + std::string(what));
}

}  // namespace

void throwMalformedJson(std::string_view body, std::size_t consumed, const json::error_code& ec) {
  // The parser stops at the offending byte; report it as a line and column too.
  if (consumed > body.size()) consumed = body.size();
  const auto head = body.substr(0, consumed);
  const auto line = 1 + std::count(head.begin(), head.end(), '\n');
  const auto lastNewline = head.rfind('\n');
  const auto column = consumed - (lastNewline == std::string_view::npos ? 0 : lastNewline + 1) + 1;
  throw ApiError(400, "malformed JSON at line " + std::to_string(line) + ", column " + std::to_string(column) +
                          " (offset " + std::to_string(consumed) + "): " + ec.message());
}

json::value parseJsonBody(std::string_view body) {
  json::stream_parser parser;
  json::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) throwMalformedJson(body, consumed, ec);
  return parser.release();
}

json::object parseJsonObject(std::string_view body) {
  auto v = parseJsonBody(body);
  if (!v.is_object()) throw ApiError(400, "request body must be a JSON object");
  return std::move(v.as_object());
}

const json::value* field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

std::string requireString(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) bad(where, key, "is required");
  if (!v->is_string()) bad(where, key, "must be a string");
  return std::string(v->get_string());
}

std::optional<std::string> optionalString(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) bad(where, key, "must be a string");
  return std::string(v->get_string());
}

std::optional<double> optionalNumber(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) bad(where, key, "must be a number");
  return v->to_number<double>();
}

std::optional<std::int64_t> optionalInteger(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double())
    if (const auto i = integralDouble(v->get_double())) return i;
  bad(where, key, "must be an integer");
}

std::optional<bool> optionalBool(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) return std::nullopt;
  if (!v->is_bool()) bad(where, key, "must be true or false");
  return v->get_bool();
}

std::optional<std::int64_t> integralDouble(double d) {
  if (std::trunc(d) != d || std::abs(d) >= kMaxIntegralDouble) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

std::vector<std::string> stringArray(const json::object& o, std::string_view key, std::string_view where) {
  std::vector<std::string> out;
  const auto* v = field(o, key);
  if (!v) return out;
  if (!v->is_array()) bad(where, key, "must be an array of strings");
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) bad(where, key, "must be an array of strings");
    out.emplace_back(item.get_string());
  }
  return out;
}

const json::object* optionalObject(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = field(o, key);
  if (!v) return nullptr;
  if (!v->is_object()) bad(where, key, "must be an object");
  return &v->get_object();
}

void rejectUnknownFields(const json::object& o, std::initializer_list<std::string_view> known, std::string_view where) {
  for (const auto& kv : o) {
    if (std::find(known.begin(), known.end(), kv.key()) != known.end()) continue;
    std::string list;
    for (const auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    throw ApiError(400, "unknown field " + name(where, kv.key()) + " (known: " + list + ")");
  }
}

ApiResponse jsonResponse(unsigned status, const json::value& body) {
  ApiResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

void appendShortest(std::string& out, double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec == std::errc()) out.append(buffer, end);
}

double secondsFromNs(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

std::int64_t nsFromSeconds(double seconds) {
  return static_cast<std::int64_t>(std::llround(seconds * 1e9));
}

}  // namespace streamswarm::server

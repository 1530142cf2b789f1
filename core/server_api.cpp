#include "core/server_api.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/json.hpp>

#include <cmath>

namespace streamswarm::core {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxErrorText = 300;  // of a non-JSON error body, in a log line

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument(what);
}

const json::object& asObject(const json::value& v, const char* what) {
  if (!v.is_object()) bad(std::string(what) + " is not a JSON object");
  return v.as_object();
}

json::value parseBody(std::string_view body, const char* what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) bad(std::string(what) + " is not JSON: " + ec.message());
  return v;
}

const json::value& field(const json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  if (!v) bad(std::string("missing field '") + name + "'");
  return *v;
}

std::string stringField(const json::object& o, const char* name) {
  const auto& v = field(o, name);
  if (!v.is_string()) bad(std::string("field '") + name + "' is not a string");
  return std::string(v.as_string());
}

std::int64_t intValue(const json::value& v, const char* name) {
  boost::system::error_code ec;
  const auto n = v.to_number<std::int64_t>(ec);
  if (ec) bad(std::string("field '") + name + "' is not an integer");
  return n;
}

double numberValue(const json::value& v, const char* name) {
  boost::system::error_code ec;
  const auto n = v.to_number<double>(ec);
  if (ec || !std::isfinite(n)) bad(std::string("field '") + name + "' is not a number");
  return n;
}

std::int64_t secondsToNs(double s) {
  return static_cast<std::int64_t>(std::llround(s * 1e9));
}

std::int64_t timeField(const json::object& o, const char* name) {
  const auto text = stringField(o, name);
  const auto ns = parseRfc3339(text);
  if (!ns) bad(std::string("field '") + name + "' is not an RFC 3339 time: '" + text + "'");
  return *ns;
}

json::array stringArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

bool isDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

int digits(std::string_view s) {
  int v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::string ServerUrl::hostHeader() const {
  const bool v6 = host.find(':') != std::string::npos;
  const auto h = v6 ? "[" + host + "]" : host;
  const bool defaultPort = port == (tls ? 443 : 80);
  return defaultPort ? h : h + ":" + std::to_string(port);
}

std::string ServerUrl::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) +
         basePath;
}

std::optional<ServerUrl> parseServerUrl(std::string_view text, std::string& error) {
  error.clear();
  ServerUrl url;
  auto s = values::trim(text);
  if (s.substr(0, 7) == "http://") {
    s.remove_prefix(7);
  } else if (s.substr(0, 8) == "https://") {
    url.tls = true;
    s.remove_prefix(8);
  } else {
    error = "'" + std::string(text) + "' is not an http:// or https:// URL";
    return std::nullopt;
  }
  const auto slash = s.find('/');
  auto authority = s.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  if (authority.find('@') != std::string_view::npos || s.find_first_of("?#") != std::string_view::npos) {
    error = "'" + std::string(text) + "': user info, query and fragment are not supported in the server URL";
    return std::nullopt;
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "'" + std::string(text) + "': unclosed '[' in the host";
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "'" + std::string(text) + "': unexpected text after the host";
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    error = "'" + std::string(text) + "' has no host";
    return std::nullopt;
  }
  if (port.empty()) {
    url.port = url.tls ? 443 : 80;
  } else {
    const auto n = values::parseInt(port);
    if (!n || *n < 1 || *n > 65535 || !isDigits(port)) {
      error = "'" + std::string(text) + "': port '" + std::string(port) + "' is not a number in 1..65535";
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(*n);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.basePath = std::string(path);
  return url;
}

std::optional<std::int64_t> parseRfc3339(std::string_view t) {
  // 2026-11-21T23:41:53[.660623]Z | +hh:mm | -hh:mm
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' ||
      t[16] != ':')
    return std::nullopt;
  constexpr std::pair<std::size_t, std::size_t> kNumbers[] = {{0, 4}, {5, 2}, {8, 2}, {11, 2}, {14, 2}, {17, 2}};
  for (const auto& [pos, len] : kNumbers)
    if (!isDigits(t.substr(pos, len))) return std::nullopt;
  const int year = digits(t.substr(0, 4));
  const int month = digits(t.substr(5, 2));
  const int day = digits(t.substr(8, 2));
  const int hour = digits(t.substr(11, 2));
  const int minute = digits(t.substr(14, 2));
  const int second = digits(t.substr(17, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t fraction = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int n = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (n < 9) {
        fraction = fraction * 10 + (t[i] - '0');
        ++n;
      }
      ++i;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) fraction *= 10;
  }
  std::int64_t offsetSeconds = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':' && isDigits(t.substr(i + 1, 2)) &&
             isDigits(t.substr(i + 4, 2))) {
    offsetSeconds = (digits(t.substr(i + 1, 2)) * 60 + digits(t.substr(i + 4, 2))) * 60;
    if (t[i] == '-') offsetSeconds = -offsetSeconds;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  const auto days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const auto seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return seconds * 1'000'000'000 + fraction;
}

std::string enrollBody(const std::string& token, const std::string& name, const std::vector<std::string>& labels) {
  return json::serialize(json::object{{"token", token}, {"name", name}, {"labels", stringArray(labels)}});
}

Enrollment parseEnrollment(std::string_view body) {
  const auto v = parseBody(body, "enrollment response");
  const auto& o = asObject(v, "enrollment response");
  Enrollment e{stringField(o, "agent_id"), stringField(o, "credential")};
  if (e.agentId.empty()) bad("field 'agent_id' is empty");
  if (agentIdOfCredential(e.credential) != e.agentId)
    bad("field 'credential' is not an agent credential for " + e.agentId);
  return e;
}

std::optional<std::string> agentIdOfCredential(std::string_view credential) {
  constexpr std::string_view kPrefix = "ssa_";
  if (credential.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const auto rest = credential.substr(kPrefix.size());
  const auto split = rest.rfind('_');
  if (split == std::string_view::npos || split == 0 || split + 1 == rest.size()) return std::nullopt;
  for (const char c : rest)
    if (c <= ' ' || c > '~') return std::nullopt;  // it travels in a header and a file line
  return std::string(rest.substr(0, split));
}

std::string registerBody(const std::string& name, const std::string& version, const std::vector<std::string>& labels,
                         const SystemInfo& s, std::span<const PluginSchema> plugins) {
  json::object system{{"hostname", s.hostname}, {"os", s.os},     {"kernel", s.kernel},
                      {"arch", s.arch},         {"cpus", s.cpus}, {"memory_bytes", s.memoryBytes}};
  if (s.bootTimeNs) system["boot_time"] = rfc3339(s.bootTimeNs);
  json::array schemas;
  for (const auto& p : plugins) schemas.push_back(toJson(p));
  return json::serialize(json::object{{"name", name},
                                      {"version", version},
                                      {"labels", stringArray(labels)},
                                      {"system", std::move(system)},
                                      {"plugins", std::move(schemas)}});
}

Registration parseRegistration(std::string_view body) {
  const auto v = parseBody(body, "registration response");
  const auto& o = asObject(v, "registration response");
  Registration r;
  if (const auto* h = o.if_contains("heartbeat_interval_s"); h && !h->is_null()) {
    const auto s = numberValue(*h, "heartbeat_interval_s");
    if (s >= 1) r.heartbeatInterval = std::chrono::seconds(static_cast<std::int64_t>(s));
  }
  if (const auto* last = o.if_contains("last_seq"); last && !last->is_null()) r.lastSeq = intValue(*last, "last_seq");
  return r;
}

std::string heartbeatBody(std::uint64_t pending, std::uint64_t dropped) {
  return json::serialize(json::object{{"spool", json::object{{"pending", pending}, {"dropped", dropped}}}});
}

TestSet parseTestSet(std::string_view body) {
  const auto v = parseBody(body, "test set");
  const auto& o = asObject(v, "test set");
  TestSet set;
  set.version = intValue(field(o, "version"), "version");
  const auto& tests = field(o, "tests");
  if (!tests.is_array()) bad("field 'tests' is not an array");
  for (const auto& tv : tests.as_array()) {
    const auto& t = asObject(tv, "a test");
    ServerTest test;
    test.id = stringField(t, "id");
    try {
      test.plugin = stringField(t, "plugin");
      if (const auto* options = t.if_contains("options"); options && !options->is_null()) {
        for (const auto& [key, value] : asObject(*options, "field 'options'"))
          test.options[std::string(key)] =
              value.is_string() ? std::string(value.as_string()) : json::serialize(value);  // be lenient
      }
      test.intervalNs = secondsToNs(numberValue(field(t, "interval_s"), "interval_s"));
      if (test.intervalNs <= 0) bad("field 'interval_s' is not positive");
      if (const auto* j = t.if_contains("jitter_s"); j && !j->is_null())
        test.jitterNs = secondsToNs(numberValue(*j, "jitter_s"));
      if (test.jitterNs < 0) bad("field 'jitter_s' is negative");
      test.startNs = timeField(t, "start");
      if (const auto* end = t.if_contains("end"); end && !end->is_null()) test.endNs = timeField(t, "end");
    } catch (const std::invalid_argument& e) {
      bad("test " + test.id + ": " + e.what());
    }
    set.tests.push_back(std::move(test));
  }
  return set;
}

std::string agentTarget(const ServerUrl& url, const std::string& agentId, std::string_view action) {
  return url.basePath + "/api/v1/agents/" + agentId + "/" + std::string(action);
}

std::string testsTarget(const ServerUrl& url, const std::string& agentId, std::optional<std::int64_t> since,
                        std::chrono::seconds wait) {
  auto target = agentTarget(url, agentId, "tests") + "?wait=" + std::to_string(wait.count());
  if (since) target += "&since=" + std::to_string(*since);
  return target;
}

std::string spoolPayload(const ProbeResult& result) {
  auto line = toJsonLine(result);
  if (result.testId.empty()) line.insert(1, "\"test_id\":null,");
  return line;
}

std::string withSeq(std::int64_t seq, std::string_view payload) {
  std::string out = "{\"seq\":" + std::to_string(seq);
  if (payload.size() > 2) out += ',';  // payloads are non-empty objects; "{}" would need no comma
  out.append(payload.substr(1));
  return out;
}

std::string resultsBody(std::span<const SpoolEntry> batch, std::uint64_t dropped) {
  std::size_t size = 48;
  for (const auto& e : batch) size += e.payload.size() + 32;
  std::string out;
  out.reserve(size);
  out += "{\"dropped\":" + std::to_string(dropped) + ",\"results\":[";
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i) out += ',';
    out += withSeq(batch[i].seq, batch[i].payload);
  }
  out += "]}";
  return out;
}

BatchAck parseBatchAck(std::string_view body) {
  const auto v = parseBody(body, "results response");
  const auto& o = asObject(v, "results response");
  BatchAck a;
  a.ackedSeq = intValue(field(o, "acked_seq"), "acked_seq");
  if (const auto* n = o.if_contains("accepted")) a.accepted = intValue(*n, "accepted");
  if (const auto* n = o.if_contains("duplicates")) a.duplicates = intValue(*n, "duplicates");
  return a;
}

ApiError parseApiError(std::string_view body) {
  ApiError e;
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (const auto* m = o.if_contains("error"); m && m->is_string()) e.message = std::string(m->as_string());
    if (const auto* s = o.if_contains("seq"); s && s->is_number()) {
      boost::system::error_code numberError;
      const auto seq = s->to_number<std::int64_t>(numberError);
      if (!numberError) e.seq = seq;
    }
    if (!e.message.empty()) return e;
  }
  e.message = body.empty() ? "(empty body)" : std::string(body.substr(0, kMaxErrorText));
  return e;
}

std::optional<std::int64_t> nextSlotNs(const ServerTest& test, std::int64_t notBeforeNs) {
  const auto first = test.startNs + test.jitterNs;
  auto slot = first;
  if (notBeforeNs > first) {
    const auto k = (notBeforeNs - first + test.intervalNs - 1) / test.intervalNs;
    slot = first + k * test.intervalNs;
  }
  if (test.endNs && slot >= *test.endNs) return std::nullopt;
  return slot;
}

TestOptions testOptions(const PluginSchema& schema, const std::map<std::string, std::string>& given) {
  TestOptions out;
  for (const auto& [key, value] : given) {
    if (!schema.findKey(key)) {
      out.error =
          "option '" + key + "' is unknown to plugin '" + schema.name + "' " + schema.version + " on this agent";
      return out;
    }
  }
  for (const auto& key : schema.configKeys) {
    const auto it = given.find(key.name);
    if (it == given.end() && !key.defaultValue) {
      out.error = "option '" + key.name + "' is required by plugin '" + schema.name + "' and missing";
      return out;
    }
    const bool unset = it == given.end() || values::trim(it->second).empty();
    if (unset && key.defaultValue && key.defaultValue->empty()) {  // an empty default means "not set"
      out.options[key.name] = "";
      continue;
    }
    // Normalising is idempotent, so the server's values are checked again against this agent's
    // plugin, which may be another version than the one the server validated against.
    const auto checked = values::check(key.view(), it != given.end() ? it->second : *key.defaultValue);
    if (!checked.value) {
      out.error = "option '" + key.name + "': " + checked.error;
      return out;
    }
    out.options[key.name] = *checked.value;
  }
  return out;
}

}  // namespace streamswarm::core

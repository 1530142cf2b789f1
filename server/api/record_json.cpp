#include "server/api/record_json.hpp"

#include "server/api/json_body.hpp"
#include "server/api/rfc3339.hpp"

#include <boost/json/parse.hpp>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

json::array stringsJson(const std::vector<std::string>& items) {
  json::array a;
  a.reserve(items.size());
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

json::value optionalTime(const std::optional<TimeNs>& t) {
  return t ? json::value(formatRfc3339(*t)) : json::value(nullptr);
}

// Whole seconds as integers: Boost.JSON 1.81 writes every double with an exponent ("1E1").
json::value seconds(TimeNs ns) {
  if (ns % 1'000'000'000 == 0) return json::value(ns / 1'000'000'000);
  return json::value(secondsFromNs(ns));
}

json::value optionalSeconds(const std::optional<TimeNs>& ns) {
  return ns ? seconds(*ns) : json::value(nullptr);
}

// Stored JSON text back into a value; a damaged row degrades to null rather than failing a list.
json::value storedJson(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

}  // namespace

json::object testJson(const TestRecord& t) {
  json::object options;
  for (const auto& [k, v] : t.options) options[k] = v;
  return json::object{{"id", t.id},
                      {"name", t.name},
                      {"plugin", t.plugin},
                      {"targets", stringsJson(t.targets)},
                      {"options", std::move(options)},
                      {"agents", stringsJson(t.agentIds)},
                      {"labels", stringsJson(t.labels)},
                      {"start", formatRfc3339(t.startAt)},
                      {"duration_s", optionalSeconds(t.durationNs)},
                      {"interval_s", seconds(t.intervalNs)},
                      {"recurring_every_s", optionalSeconds(t.recurEveryNs)},
                      {"jitter_s", seconds(t.jitterNs)},
                      {"state", testStateName(t.state)},
                      {"created", formatRfc3339(t.createdAt)},
                      {"updated", formatRfc3339(t.updatedAt)}};
}

json::object agentTestJson(const TestRecord& t, const ScheduleDecision& d) {
  json::object options;
  for (const auto& [k, v] : t.options) options[k] = v;
  return json::object{{"id", t.id},
                      {"plugin", t.plugin},
                      {"options", std::move(options)},
                      {"interval_s", seconds(t.intervalNs)},
                      {"jitter_s", seconds(t.jitterNs)},
                      {"start", formatRfc3339(d.windowStart.value_or(t.startAt))},
                      {"end", optionalTime(d.windowEnd)}};
}

json::object agentJson(const AgentRecord& a) {
  json::array plugins;
  if (const auto v = storedJson(a.pluginsJson); v.is_array())
    for (const auto& p : v.get_array())
      if (const auto* o = p.if_object(); o && o->contains("name") && o->contains("version"))
        plugins.push_back(json::object{{"name", o->at("name")}, {"version", o->at("version")}});
  return json::object{{"id", a.id},
                      {"name", a.name},
                      {"labels", stringsJson(a.labels)},
                      {"version", a.version},
                      {"online", a.online},
                      {"revoked", a.revoked},
                      {"enrolled", formatRfc3339(a.enrolledAt)},
                      {"last_seen", optionalTime(a.lastSeen)},
                      {"system", storedJson(a.systemJson)},
                      {"plugins", std::move(plugins)},
                      {"last_seq", a.lastSeq},
                      {"spool_dropped", a.droppedTotal}};
}

json::object tokenJson(const TokenRecord& t) {
  json::object o{{"id", t.id},
                 {"kind", t.kind == TokenKind::kAdmin ? "admin" : "enrollment"},
                 {"name", t.name},
                 {"created", formatRfc3339(t.createdAt)},
                 {"expires", optionalTime(t.expiresAt)},
                 {"uses_left", t.usesLeft ? json::value(*t.usesLeft) : json::value(nullptr)},
                 {"revoked", t.revoked}};
  if (t.kind == TokenKind::kAdmin) o["role"] = t.role;
  return o;
}

json::object resultJson(const ResultRecord& r) {
  json::object metrics;
  metrics.reserve(r.metrics.size());
  for (const auto& [name, value] : r.metrics) metrics[name] = value;
  json::object o{{"agent_id", r.agentId},
                 {"seq", r.seq},
                 {"test_id", r.testId ? json::value(*r.testId) : json::value(nullptr)},
                 {"plugin", r.plugin},
                 {"timestamp", formatRfc3339(r.timestamp)},
                 {"metrics", std::move(metrics)}};
  if (!r.instance.empty()) o["instance"] = r.instance;
  if (!r.target.empty()) o["target"] = r.target;
  if (r.documentJson) {
    o["document"] = storedJson(*r.documentJson);
    o["document_schema"] = r.documentSchema;
  }
  if (!r.error.empty()) o["error"] = r.error;
  return o;
}

}  // namespace streamswarm::server

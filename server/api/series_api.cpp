#include "server/api/series_api.hpp"

#include "server/api/json_body.hpp"
#include "server/api/query_params.hpp"
#include "server/api/rfc3339.hpp"
#include "server/storage/series_plan.hpp"

#include <streamswarm/config_values.hpp>
#include <streamswarm/document.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

struct MetricInfo {
  std::string name;
  std::string unit;
  std::string type;
};

// The metrics `plugin` declares, from the schemas agents reported at registration; the first
// agent (in enrollment order) to declare a name describes it.
std::vector<MetricInfo> declaredMetrics(Store& store, const std::string& plugin) {
  std::vector<MetricInfo> out;
  const auto text = [](const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  for (const auto& agent : store.listAgents()) {
    json::error_code ec;
    const auto plugins = json::parse(agent.pluginsJson, ec);
    if (ec || !plugins.is_array()) continue;
    for (const auto& p : plugins.get_array()) {
      const auto* o = p.if_object();
      if (!o || text(*o, "name") != plugin) continue;
      const auto* metrics = o->if_contains("metrics");
      if (!metrics || !metrics->is_array()) continue;
      for (const auto& m : metrics->get_array()) {
        const auto* mo = m.if_object();
        if (!mo) continue;
        auto name = text(*mo, "name");
        if (name.empty() || std::any_of(out.begin(), out.end(), [&](const auto& d) { return d.name == name; }))
          continue;
        out.push_back({std::move(name), text(*mo, "unit"), text(*mo, "kind")});
      }
    }
  }
  return out;
}

void writeSeconds(JsonWriter& w, TimeNs ns) {
  if (ns % kNsPerSecond == 0)
    w.value(static_cast<std::int64_t>(ns / kNsPerSecond));
  else
    w.value(secondsFromNs(ns));
}

void writeTime(JsonWriter& w, const std::optional<TimeNs>& t) {
  if (t)
    w.value(formatRfc3339(*t));
  else
    w.null();
}

// [[t_ms,min,avg,max,count],...] straight into text: up to 10,000 points a series, five numbers
// each, are most of a response's cost.
void appendPoints(std::string& out, const std::vector<SeriesPoint>& points) {
  out += '[';
  for (const auto& p : points) {
    if (&p != &points.front()) out += ',';
    out += '[';
    out += std::to_string(floorTo(p.start, kNsPerMs) / kNsPerMs);
    for (const double v : {p.min, p.avg, p.max}) {
      out += ',';
      appendShortest(out, v);
    }
    out += ',';
    out += std::to_string(p.count);
    out += ']';
  }
  out += ']';
}

void requireKnownMetric(Store& store, const std::string& testId, const std::string& metric) {
  const auto test = store.findTest(testId);
  const auto stored = test ? store.describeTestSeries(testId) : std::nullopt;
  if (!stored) throw ApiError(404, "unknown test " + testId);
  if (std::binary_search(stored->metrics.begin(), stored->metrics.end(), metric)) return;
  const auto declared = declaredMetrics(store, test->plugin);
  if (std::none_of(declared.begin(), declared.end(),
                   [&](const auto& d) { return values::metricMatches(d.name, metric); }))
    throw ApiError(400, "unknown metric '" + metric + "' for test " + testId + " (plugin " + test->plugin +
                            "; GET /api/v1/tests/" + testId + "/metrics lists them)");
}

}  // namespace

void SeriesApi::addRoutes(Router& router) {
  router.add("GET", "/api/v1/tests/{id}/metrics", [this](const ApiRequest& r) {
    access_.require(r, Role::kViewer);
    return metrics(r);
  });
  router.add("GET", "/api/v1/tests/{id}/series", [this](const ApiRequest& r) {
    access_.require(r, Role::kViewer);
    return series(r);
  });
}

ApiResponse SeriesApi::metrics(const ApiRequest& request) {
  const auto& id = request.pathParams.at(0);
  const auto test = store_.findTest(id);
  const auto stored = test ? store_.describeTestSeries(id) : std::nullopt;
  if (!stored) throw ApiError(404, "unknown test " + id);
  const auto declared = declaredMetrics(store_, test->plugin);
  // The names a chart can ask for: those declared outright, then those stored (a labelled
  // family such as hop.{ttl}.rtt_ms only by its members), described by what they match.
  std::vector<MetricInfo> infos;
  for (const auto& d : declared)
    if (d.name.find('{') == std::string::npos) infos.push_back(d);
  for (const auto& name : stored->metrics) {
    if (std::any_of(infos.begin(), infos.end(), [&](const auto& m) { return m.name == name; })) continue;
    const auto family = std::find_if(declared.begin(), declared.end(),
                                     [&](const auto& d) { return values::metricMatches(d.name, name); });
    infos.push_back(family == declared.end() ? MetricInfo{name, "", "unknown"}
                                             : MetricInfo{name, family->unit, family->type});
  }
  json::array metrics;
  for (const auto& m : infos) metrics.push_back(json::object{{"name", m.name}, {"unit", m.unit}, {"type", m.type}});
  json::array series;
  for (const auto& [agent, target] : stored->series)
    series.push_back(json::object{{"agent", agent}, {"target", target}});
  return jsonResponse(200, json::object{{"metrics", std::move(metrics)}, {"series", std::move(series)}});
}

ApiResponse SeriesApi::series(const ApiRequest& request) {
  SeriesQuery q;
  q.testId = request.pathParams.at(0);
  const auto metric = request.queryParam("metric");
  if (!metric || metric->empty()) throw ApiError(400, "query parameter 'metric' is required");
  q.metric = *metric;
  q.agentId = request.queryParam("agent");
  q.target = request.queryParam("target");
  q.from = timeParam(request, "from");
  q.to = timeParam(request, "to");
  if (q.from && q.to && *q.from >= *q.to) throw ApiError(400, "query parameter 'from' must be before 'to'");
  q.points = countParam(request, "points", kMaxSeriesPoints).value_or(kDefaultSeriesPoints);

  const auto data = store_.querySeries(q);
  if (!data) throw ApiError(404, "unknown test " + q.testId);
  // Nothing to chart may be a misspelt metric: only then is the name looked up.
  if (data->series.empty()) requireKnownMetric(store_, q.testId, q.metric);

  JsonWriter w;
  w.beginObject().field("test", q.testId).field("metric", q.metric).key("from");
  writeTime(w, data->from);
  w.key("to");
  writeTime(w, data->to);
  w.key("bucket_s");
  writeSeconds(w, data->bucketNs);
  w.field("downsampled", data->downsampled).key("series").beginArray();
  std::string points;
  for (const auto& s : data->series) {
    points.clear();
    appendPoints(points, s.points);
    w.beginObject().field("agent", s.agentId).field("target", s.target).key("points").rawValue(points).endObject();
  }
  w.endArray().endObject();
  ApiResponse response;
  response.body = w.str();
  return response;
}

}  // namespace streamswarm::server

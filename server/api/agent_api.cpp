#include "server/api/agent_api.hpp"

#include "core/plugin_schema.hpp"
#include "server/api/json_body.hpp"
#include "server/api/record_json.hpp"
#include "server/api/result_batch.hpp"
#include "server/api/rfc3339.hpp"
#include "server/api/test_validation.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/scheduler/test_schedule.hpp"
#include "server/scheduler/tests_notifier.hpp"

#include <streamswarm/config_values.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_set>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kMaxLabelLength = 64;
constexpr std::size_t kMaxNameLength = 253;
// Metric names already found declared, per plugin; bounded because labelled families
// ("hop.{ttl}.rtt") could otherwise grow it without end.
constexpr std::size_t kMaxCachedMetricNames = 16'384;

std::vector<std::string> checkedLabels(const json::object& body) {
  auto labels = stringArray(body, "labels");
  if (labels.size() > kMaxLabels) throw ApiError(400, "field 'labels' has more than 64 entries");
  for (const auto& l : labels)
    if (l.empty() || l.size() > kMaxLabelLength || l.find_first_of(", \t\r\n") != std::string::npos)
      throw ApiError(400, "field 'labels': '" + l.substr(0, kMaxLabelLength) +
                              "' is not a label (1-64 characters, no commas or whitespace)");
  return labels;
}

std::string checkedName(const json::object& body, bool required, const std::string& fallback) {
  auto name = required ? requireString(body, "name") : optionalString(body, "name").value_or(fallback);
  if (name.empty() || name.size() > kMaxNameLength) throw ApiError(400, "field 'name' must be 1-253 characters");
  return name;
}

std::optional<std::uint64_t> parseUnsigned(const std::optional<std::string>& text, const char* name) {
  if (!text) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size())
    throw ApiError(400, std::string("query parameter '") + name + "' must be a non-negative integer");
  return v;
}

}  // namespace

// Plugin schemas of one agent as last registered, and the metric names found declared so far.
struct AgentApi::PluginCache {
  struct Plugin {
    core::PluginSchema schema;
    std::unordered_set<std::string> declared;
  };
  std::mutex mutex;
  std::string pluginsJson;  // the registration this cache was built from
  std::unordered_map<std::string, Plugin> byName;

  // Null when the metric is declared; otherwise the reason.
  std::optional<std::string> undeclared(const std::string& plugin, const std::string& metric,
                                        const std::string& agentId) {
    const auto it = byName.find(plugin);
    if (it == byName.end()) return "plugin '" + plugin + "' was not registered by agent " + agentId;
    auto& p = it->second;
    if (p.declared.count(metric)) return std::nullopt;
    if (!p.schema.declaresMetric(metric)) return "metric '" + metric + "' is not declared by plugin '" + plugin + "'";
    if (p.declared.size() < kMaxCachedMetricNames) p.declared.insert(metric);
    return std::nullopt;
  }
};

struct AgentApi::RunningTests {
  std::uint64_t version = 0;
  std::vector<TestRecord> tests;  // state running
};

AgentApi::AgentApi(Store& store, TestsNotifier& notifier, Clock clock, std::function<void()> testsChanged,
                   AgentApiOptions options)
    : store_(store),
      notifier_(notifier),
      clock_(std::move(clock)),
      testsChanged_(std::move(testsChanged)),
      options_(options),
      auth_(store) {}

AgentApi::~AgentApi() = default;

void AgentApi::addRoutes(Router& router) {
  router.add("POST", "/api/v1/enroll", [this](const ApiRequest& r) { return enroll(r); });
  router.add("POST", "/api/v1/agents/{id}/register", [this](const ApiRequest& r) { return registerAgent(r); });
  router.add("POST", "/api/v1/agents/{id}/heartbeat", [this](const ApiRequest& r) { return heartbeat(r); });
  router.addAsync("GET", "/api/v1/agents/{id}/tests",
                  [this](ApiRequest& r, const Respond& respond) { tests(r, respond); });
  router.add("POST", "/api/v1/agents/{id}/results", [this](const ApiRequest& r) { return results(r); });
}

ApiResponse AgentApi::enroll(const ApiRequest& request) {
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"token", "name", "labels"});
  const auto token = requireString(body, "token");
  const auto name = checkedName(body, true, {});
  const auto labels = checkedLabels(body);
  const auto now = clock_();
  auth_.consumeEnrollment(token, now);

  const auto issued = issueAgentCredential();
  AgentRecord agent;
  agent.id = issued.agentId;
  agent.credentialHash = issued.credentialHash;
  agent.name = name;
  agent.labels = labels;
  agent.enrolledAt = now;
  store_.createAgent(agent);
  return jsonResponse(201, json::object{{"agent_id", issued.agentId}, {"credential", issued.credential}});
}

ApiResponse AgentApi::registerAgent(const ApiRequest& request) {
  const auto agent = auth_.agent(request.authorization, request.pathParams.at(0));
  const auto body = parseJsonObject(request.body);
  rejectUnknownFields(body, {"name", "version", "labels", "system", "plugins"});
  const auto name = checkedName(body, false, agent.name);
  const auto version = requireString(body, "version");
  if (version.empty()) throw ApiError(400, "field 'version' is empty");
  const auto labels = field(body, "labels") ? checkedLabels(body) : agent.labels;
  const auto* system = optionalObject(body, "system");
  if (system)
    if (const auto* boot = field(*system, "boot_time");
        boot && (!boot->is_string() || !parseRfc3339(boot->get_string())))
      throw ApiError(400, "field 'system.boot_time' is not an RFC 3339 time");
  const auto* plugins = field(body, "plugins");
  if (!plugins || !plugins->is_array()) throw ApiError(400, "field 'plugins' is required and must be an array");
  // Stored in the canonical form, so every reader parses what core::schemaFromJson accepts.
  json::array canonical;
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < plugins->get_array().size(); ++i) {
    core::PluginSchema schema;
    try {
      schema = core::schemaFromJson(plugins->get_array()[i]);
    } catch (const std::exception& e) {
      throw ApiError(400, "field 'plugins[" + std::to_string(i) + "]' is not a plugin schema: " + e.what());
    }
    if (!names.insert(schema.name).second)
      throw ApiError(400, "field 'plugins[" + std::to_string(i) + "]': plugin '" + schema.name + "' is listed twice");
    canonical.push_back(core::toJson(schema));
  }
  const auto now = clock_();
  store_.updateRegistration(agent.id, name, labels, system ? json::serialize(*system) : "{}",
                            json::serialize(canonical), version, now);
  store_.touchAgent(agent.id, now);
  if (labels != agent.labels && testsChanged_) testsChanged_();
  return jsonResponse(200, json::object{{"agent_id", agent.id},
                                        {"heartbeat_interval_s", options_.heartbeatInterval.count()},
                                        {"server_time", formatRfc3339(now)},
                                        {"tests_version", notifier_.version()}});
}

ApiResponse AgentApi::heartbeat(const ApiRequest& request) {
  const auto agent = auth_.agent(request.authorization, request.pathParams.at(0));
  const auto body = request.body.empty() ? json::object() : parseJsonObject(request.body);
  rejectUnknownFields(body, {"spool"});
  std::optional<std::int64_t> dropped;
  if (const auto* spool = optionalObject(body, "spool")) {
    rejectUnknownFields(*spool, {"pending", "dropped"}, "spool.");
    optionalInteger(*spool, "pending", "spool.");
    dropped = optionalInteger(*spool, "dropped", "spool.");
    if (dropped && *dropped < 0) throw ApiError(400, "field 'spool.dropped' must not be negative");
  }
  const auto now = clock_();
  store_.touchAgent(agent.id, now);
  // The dropped counter lives with the agent's results; an empty batch records it.
  if (dropped && *dropped != agent.droppedTotal) store_.ingest(agent.id, {}, *dropped);
  return jsonResponse(200, json::object{{"server_time", formatRfc3339(now)}, {"tests_version", notifier_.version()}});
}

std::shared_ptr<const AgentApi::RunningTests> AgentApi::runningTests(std::uint64_t version) {
  {
    std::lock_guard lock(mutex_);
    if (running_ && running_->version == version) return running_;
  }
  // Every change is stored before the version is bumped, so a load after reading `version`
  // reflects at least that version.
  auto fresh = std::make_shared<RunningTests>();
  fresh->version = version;
  for (auto& t : store_.listTests())
    if (t.state == TestState::kRunning) fresh->tests.push_back(std::move(t));
  std::lock_guard lock(mutex_);
  if (!running_ || running_->version <= version) running_ = fresh;
  return fresh;
}

std::string AgentApi::testsBody(const AgentRecord& agent, std::uint64_t version) {
  const auto running = runningTests(version);
  const auto now = clock_();
  json::array tests;
  for (const auto& t : running->tests)
    if (isAssigned(t, agent)) tests.push_back(agentTestJson(t, decideSchedule(t, now)));
  return json::serialize(json::object{{"version", version}, {"tests", std::move(tests)}});
}

void AgentApi::tests(ApiRequest& request, const Respond& respond) {
  const auto agent = auth_.agent(request.authorization, request.pathParams.at(0));
  const auto since = parseUnsigned(request.queryParam("since"), "since");
  double waitS = 0;
  if (const auto wait = request.queryParam("wait")) {
    const auto parsed = values::parseDouble(*wait);
    if (!parsed || *parsed < 0) throw ApiError(400, "query parameter 'wait' must be a non-negative number of seconds");
    waitS = std::min<double>(*parsed, static_cast<double>(options_.maxWait.count()));
  }
  // Without `since` the agent has no version yet: answer at once.
  const auto waitFor =
      since ? std::chrono::milliseconds(static_cast<std::int64_t>(waitS * 1000)) : std::chrono::milliseconds(0);
  notifier_.wait(since.value_or(0), waitFor, [this, agent, respond](std::uint64_t version) {
    try {
      ApiResponse r;
      r.body = testsBody(agent, version);
      respond(std::move(r));
    } catch (const std::exception& e) {
      respond(errorResponse(500, std::string("storage error: ") + e.what()));
    }
  });
}

std::shared_ptr<AgentApi::PluginCache> AgentApi::pluginCache(const AgentRecord& agent) {
  std::shared_ptr<PluginCache> cache;
  {
    std::lock_guard lock(mutex_);
    auto& slot = plugins_[agent.id];
    if (!slot) slot = std::make_shared<PluginCache>();
    cache = slot;
  }
  std::lock_guard lock(cache->mutex);
  if (cache->pluginsJson != agent.pluginsJson || cache->byName.empty()) {
    cache->byName.clear();
    try {
      for (auto& schema : registeredPlugins(agent)) {
        auto name = schema.name;
        cache->byName[name].schema = std::move(schema);
      }
    } catch (const std::exception& e) {
      throw ApiError(500, "agent " + agent.id + " has an unreadable plugin registration: " + e.what());
    }
    cache->pluginsJson = agent.pluginsJson;
  }
  return cache;
}

ApiResponse AgentApi::results(const ApiRequest& request) {
  const auto agent = auth_.agent(request.authorization, request.pathParams.at(0));
  auto batch = resultReader_.read(request.body, agent.id);

  // A result naming an unknown test or an undeclared metric rejects the whole batch, so a
  // rejected batch stores nothing and the agent can act on the one seq named.
  {
    const auto cache = pluginCache(agent);
    std::lock_guard lock(cache->mutex);
    // A plugin sends the same metric names run after run: a result naming exactly what the one
    // before it named (already checked) needs no lookups.
    const ResultRecord* checked = nullptr;
    const auto sameNames = [](const ResultRecord& a, const ResultRecord& b) {
      return a.plugin == b.plugin && std::equal(a.metrics.begin(), a.metrics.end(), b.metrics.begin(), b.metrics.end(),
                                                [](const auto& x, const auto& y) { return x.first == y.first; });
    };
    for (const auto& r : batch.results) {
      if (r.seq <= agent.lastSeq) continue;  // already stored: a retry, judged when first sent
      if (checked && sameNames(r, *checked)) continue;
      for (const auto& [metric, value] : r.metrics)
        if (auto why = cache->undeclared(r.plugin, metric, agent.id)) throw ApiError(422, *why, {{"seq", r.seq}});
      checked = &r;
      if (r.metrics.empty() && !cache->byName.count(r.plugin))
        throw ApiError(422, "plugin '" + r.plugin + "' was not registered by agent " + agent.id, {{"seq", r.seq}});
    }
  }
  std::vector<std::string> knownTests;
  for (const auto& r : batch.results) {
    if (!r.testId || r.seq <= agent.lastSeq) continue;
    if (std::find(knownTests.begin(), knownTests.end(), *r.testId) != knownTests.end()) continue;
    if (!store_.findTest(*r.testId)) throw ApiError(422, "unknown test " + *r.testId, {{"seq", r.seq}});
    knownTests.push_back(*r.testId);
  }

  const auto outcome = store_.ingest(agent.id, batch.results, batch.dropped.value_or(agent.droppedTotal));
  resultReader_.recycle(std::move(batch));  // its records, names and all, serve the next batch
  return jsonResponse(
      200, json::object{
               {"accepted", outcome.accepted}, {"duplicates", outcome.duplicates}, {"acked_seq", outcome.ackedSeq}});
}

}  // namespace streamswarm::server

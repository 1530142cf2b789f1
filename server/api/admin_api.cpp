#include "server/api/admin_api.hpp"

#include "server/api/json_body.hpp"
#include "server/api/query_params.hpp"
#include "server/api/record_json.hpp"
#include "server/api/result_export.hpp"
#include "server/api/test_validation.hpp"
#include "server/auth/credential_format.hpp"
#include "server/auth/secrets.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/scheduler/test_scheduler.hpp"

#include <boost/json/serialize.hpp>

namespace streamswarm::server {
namespace json = boost::json;

namespace {

TestRecord requireTest(Store& store, const std::string& id) {
  auto test = store.findTest(id);
  if (!test) throw ApiError(404, "unknown test " + id);
  return std::move(*test);
}

ApiResponse noContent() {
  ApiResponse r;
  r.status = 204;
  r.contentType.clear();
  return r;
}

}  // namespace

AdminApi::AdminApi(Store& store, Access& access, Clock clock, std::function<void()> testsChanged)
    : store_(store), access_(access), clock_(std::move(clock)), testsChanged_(std::move(testsChanged)) {}

void AdminApi::addRoutes(Router& router) {
  auto add = [&](const char* method, const char* pattern, Role needed,
                 ApiResponse (AdminApi::*handler)(const ApiRequest&)) {
    router.add(method, pattern, [this, handler, needed](const ApiRequest& r) {
      access_.require(r, needed);
      return (this->*handler)(r);
    });
  };
  add("POST", "/api/v1/tests", Role::kOperator, &AdminApi::createTest);
  add("GET", "/api/v1/tests", Role::kViewer, &AdminApi::listTests);
  add("GET", "/api/v1/tests/{id}", Role::kViewer, &AdminApi::getTest);
  add("POST", "/api/v1/tests/{id}/stop", Role::kOperator, &AdminApi::stopTest);
  add("DELETE", "/api/v1/tests/{id}", Role::kOperator, &AdminApi::deleteTest);
  add("GET", "/api/v1/results", Role::kViewer, &AdminApi::queryResults);
  add("GET", "/api/v1/agents", Role::kViewer, &AdminApi::listAgents);
  add("POST", "/api/v1/agents/{id}/revoke", Role::kOperator, &AdminApi::revokeAgent);
  add("POST", "/api/v1/enrollment-tokens", Role::kAdmin, &AdminApi::createEnrollmentToken);
  add("GET", "/api/v1/enrollment-tokens", Role::kAdmin, &AdminApi::listEnrollmentTokens);
  add("DELETE", "/api/v1/enrollment-tokens/{id}", Role::kAdmin, &AdminApi::revokeEnrollmentToken);
}

ApiResponse AdminApi::createTest(const ApiRequest& request) {
  const auto body = parseJsonObject(request.body);
  const auto now = clock_();
  auto test = validateTestRequest(body, store_.listAgents(), now);
  test.id = newTestId();
  test.jitterNs = jitterFromRandom(randomU64(), test.intervalNs);
  test.state = TestScheduler::initialState(test, now);
  test.createdAt = now;
  test.updatedAt = now;
  store_.createTest(test);
  changed();
  return jsonResponse(201, testJson(test));
}

ApiResponse AdminApi::listTests(const ApiRequest&) {
  json::array tests;
  for (const auto& t : store_.listTests()) tests.push_back(testJson(t));
  return jsonResponse(200, json::object{{"tests", std::move(tests)}});
}

ApiResponse AdminApi::getTest(const ApiRequest& request) {
  return jsonResponse(200, testJson(requireTest(store_, request.pathParams.at(0))));
}

ApiResponse AdminApi::stopTest(const ApiRequest& request) {
  const auto test = requireTest(store_, request.pathParams.at(0));
  // A recurring test between windows is "completed" but not finished: it can still be stopped.
  const bool finished = test.state == TestState::kStopped || test.state == TestState::kFailed ||
                        (test.state == TestState::kCompleted && !test.recurEveryNs);
  if (finished)
    throw ApiError(409, "test " + test.id + " is already " + testStateName(test.state),
                   {{"state", testStateName(test.state)}});
  if (!store_.setTestState(test.id, TestState::kStopped, clock_())) throw ApiError(404, "unknown test " + test.id);
  changed();
  return jsonResponse(200, testJson(requireTest(store_, test.id)));
}

ApiResponse AdminApi::deleteTest(const ApiRequest& request) {
  const auto& id = request.pathParams.at(0);
  if (!store_.deleteTest(id)) throw ApiError(404, "unknown test " + id);
  changed();
  return noContent();
}

ApiResponse AdminApi::queryResults(const ApiRequest& request) {
  ResultQuery q;
  q.testId = request.queryParam("test");
  q.agentId = request.queryParam("agent");
  q.metric = request.queryParam("metric");
  q.from = timeParam(request, "from");
  q.to = timeParam(request, "to");
  std::optional<ExportFormat> exportAs;
  if (const auto format = request.queryParam("format"); format && !(exportAs = exportFormatFromName(*format)))
    throw ApiError(400, "query parameter 'format' must be csv or json");
  // An export is a file to download: all matching results by default, more of them at most.
  const std::size_t maxLimit = exportAs ? kMaxExportResults : kMaxQueryLimit;
  q.limit = countParam(request, "limit", maxLimit).value_or(exportAs ? kMaxExportResults : q.limit);
  if (exportAs) return exportResults(store_, q, *exportAs);
  const auto records = store_.queryResults(q);
  json::array results;
  results.reserve(records.size());
  for (const auto& r : records) results.push_back(resultJson(r));
  return jsonResponse(200, json::object{{"results", std::move(results)}});
}

ApiResponse AdminApi::listAgents(const ApiRequest&) {
  json::array agents;
  for (const auto& a : store_.listAgents()) agents.push_back(agentJson(a));
  return jsonResponse(200, json::object{{"agents", std::move(agents)}});
}

ApiResponse AdminApi::revokeAgent(const ApiRequest& request) {
  const auto& id = request.pathParams.at(0);
  if (!store_.revokeAgent(id)) throw ApiError(404, "unknown agent " + id);
  changed();  // tests assigned only to it fail
  const auto agent = store_.findAgent(id);
  if (!agent) throw ApiError(404, "unknown agent " + id);
  return jsonResponse(200, agentJson(*agent));
}

ApiResponse AdminApi::createEnrollmentToken(const ApiRequest& request) {
  const auto body = request.body.empty() ? json::object() : parseJsonObject(request.body);
  rejectUnknownFields(body, {"name", "ttl_s", "uses"});
  const auto name = optionalString(body, "name").value_or("");
  std::optional<TimeNs> ttl = kDefaultEnrollmentTtlNs;
  if (const auto ttlS = optionalNumber(body, "ttl_s")) {
    if (!(*ttlS > 0) || *ttlS > 10.0 * 365 * 86400)
      throw ApiError(400, "field 'ttl_s' must be a positive number of seconds (at most ten years)");
    ttl = nsFromSeconds(*ttlS);
  }
  const auto uses = optionalInteger(body, "uses");
  if (uses && *uses <= 0) throw ApiError(400, "field 'uses' must be a positive integer");
  auto issued = issueToken(TokenKind::kEnrollment, name, ttl, uses, clock_());
  store_.createToken(issued.record);
  auto out = tokenJson(issued.record);
  out["token"] = issued.token;
  return jsonResponse(201, out);
}

ApiResponse AdminApi::listEnrollmentTokens(const ApiRequest&) {
  json::array tokens;
  for (const auto& t : store_.listTokens(TokenKind::kEnrollment)) tokens.push_back(tokenJson(t));
  return jsonResponse(200, json::object{{"tokens", std::move(tokens)}});
}

ApiResponse AdminApi::revokeEnrollmentToken(const ApiRequest& request) {
  const auto& id = request.pathParams.at(0);
  const auto token = store_.findToken(id);
  if (!token || token->kind != TokenKind::kEnrollment) throw ApiError(404, "unknown enrollment token " + id);
  store_.revokeToken(id);
  return noContent();
}

}  // namespace streamswarm::server

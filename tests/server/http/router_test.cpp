#define BOOST_TEST_MODULE server_router
// Route matching (literal and {param} segments), 404/405 with Allow, and the router turning
// whatever a handler throws into a JSON error answered exactly once.
#include "server/http/router.hpp"
#include "server/http/api_error.hpp"
#include "server/storage/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace streamswarm::server;
namespace json = boost::json;

namespace {

Router sampleRouter() {
  Router r;
  auto echo = [](const std::string& name) {
    return [name](const ApiRequest& req) {
      ApiResponse res;
      res.body = name;
      for (const auto& p : req.pathParams) res.body += " " + p;
      return res;
    };
  };
  r.add("GET", "/api/v1/tests", echo("list"));
  r.add("POST", "/api/v1/tests", echo("create"));
  r.add("GET", "/api/v1/tests/{id}", echo("get"));
  r.add("DELETE", "/api/v1/tests/{id}", echo("delete"));
  r.add("POST", "/api/v1/tests/{id}/stop", echo("stop"));
  r.add("POST", "/api/v1/agents/{id}/results", echo("results"));
  return r;
}

std::vector<ApiResponse> dispatch(const Router& router, std::string method, std::string path) {
  std::vector<ApiResponse> answers;
  ApiRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  router.dispatch(std::move(req), [&](ApiResponse r) { answers.push_back(std::move(r)); });
  return answers;
}

std::string errorOf(const ApiResponse& r) {
  return std::string(json::parse(r.body).at("error").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(literal_and_parameter_segments_match) {
  const auto router = sampleRouter();
  auto m = router.match("GET", "/api/v1/tests");
  BOOST_TEST((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.route->pattern == "/api/v1/tests");

  m = router.match("POST", "/api/v1/tests/t-1/stop");
  BOOST_REQUIRE((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.route->pattern == "/api/v1/tests/{id}/stop");
  BOOST_TEST(m.params == std::vector<std::string>{"t-1"});

  BOOST_TEST(dispatch(router, "POST", "/api/v1/agents/ag-7/results").at(0).body == "results ag-7");
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_empty_segments_do_not_match_parameters) {
  const auto router = sampleRouter();
  for (const auto* path : {"/", "/api/v1", "/api/v1/tests/t-1/start", "/api/v1/tests//stop", "/api/v1/tests/t-1/stop/x",
                           "/api/v1/testsx", "/API/v1/tests"}) {
    const auto answers = dispatch(router, "GET", path);
    BOOST_REQUIRE(answers.size() == 1u);
    BOOST_TEST(answers[0].status == 404u, path);
    BOOST_TEST(errorOf(answers[0]) == std::string("no route for ") + path);
  }
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
  const auto router = sampleRouter();
  auto answers = dispatch(router, "PUT", "/api/v1/tests/t-1");
  BOOST_REQUIRE(answers.size() == 1u);
  BOOST_TEST(answers[0].status == 405u);
  BOOST_REQUIRE(answers[0].headers.size() == 1u);
  BOOST_TEST(answers[0].headers[0].first == "Allow");
  BOOST_TEST(answers[0].headers[0].second == "GET, DELETE");
  BOOST_TEST(errorOf(answers[0]) == "method PUT is not allowed on /api/v1/tests/t-1");

  answers = dispatch(router, "GET", "/api/v1/agents/ag-1/results");
  BOOST_TEST(answers.at(0).status == 405u);
  BOOST_TEST(answers.at(0).headers.at(0).second == "POST");
}

BOOST_AUTO_TEST_CASE(handler_failures_become_json_errors) {
  Router router;
  router.add("GET", "/api-error", [](const ApiRequest&) -> ApiResponse {
    throw ApiError(422, "unknown test t-x", {{"seq", 17}});
  });
  router.add("GET", "/store-error", [](const ApiRequest&) -> ApiResponse { throw StoreError("disk full"); });
  router.add("GET", "/other", [](const ApiRequest&) -> ApiResponse { throw std::runtime_error("boom"); });

  auto r = dispatch(router, "GET", "/api-error").at(0);
  BOOST_TEST(r.status == 422u);
  BOOST_TEST(r.contentType == "application/json");
  const auto body = json::parse(r.body);
  BOOST_TEST(body.at("error").as_string() == "unknown test t-x");
  BOOST_TEST(body.at("seq").as_int64() == 17);

  r = dispatch(router, "GET", "/store-error").at(0);
  BOOST_TEST(r.status == 500u);
  BOOST_TEST(errorOf(r) == "storage error: disk full");
  BOOST_TEST(dispatch(router, "GET", "/other").at(0).status == 500u);
}

BOOST_AUTO_TEST_CASE(an_async_handler_that_answers_then_throws_answers_once) {
  Router router;
  router.addAsync("GET", "/twice", [](ApiRequest&, const Respond& respond) {
    respond(ApiResponse{});
    throw ApiError(400, "too late");
  });
  const auto answers = dispatch(router, "GET", "/twice");
  BOOST_REQUIRE(answers.size() == 1u);
  BOOST_TEST(answers[0].status == 200u);
}

BOOST_AUTO_TEST_CASE(query_parameters_are_percent_decoded) {
  ApiRequest req;
  req.query = "test=t-1&metric=rtt%2Eavg&from=2026-01-01T00%3A00%3A00Z&empty=&flag&sp=a+b";
  BOOST_TEST(req.queryParam("test").value() == "t-1");
  BOOST_TEST(req.queryParam("metric").value() == "rtt.avg");
  BOOST_TEST(req.queryParam("from").value() == "2026-01-01T00:00:00Z");
  BOOST_TEST(req.queryParam("empty").value() == "");
  BOOST_TEST(req.queryParam("flag").value() == "");
  BOOST_TEST(req.queryParam("sp").value() == "a b");
  BOOST_TEST(!req.queryParam("missing"));
  BOOST_TEST(!req.queryParam("tes"));
}

BOOST_AUTO_TEST_CASE(percent_decoding_rejects_broken_escapes) {
  BOOST_TEST(percentDecode("/a%20b", false).value() == "/a b");
  BOOST_TEST(percentDecode("a+b", false).value() == "a+b");
  BOOST_TEST(!percentDecode("%", false));
  BOOST_TEST(!percentDecode("%4", false));
  BOOST_TEST(!percentDecode("%zz", false));
}

BOOST_AUTO_TEST_CASE(a_rest_segment_takes_the_rest_of_the_path) {
  Router router;
  auto echo = [](const ApiRequest& req) {
    ApiResponse res;
    for (const auto& p : req.pathParams) res.body += "[" + p + "]";
    return res;
  };
  router.add("GET", "/static/{*path}", echo);
  router.add("GET", "/files/{owner}/{*path}", echo);
  router.add("GET", "/static/exact", echo);

  BOOST_TEST(dispatch(router, "GET", "/static/app.js").at(0).body == "[app.js]");
  BOOST_TEST(dispatch(router, "GET", "/static/js/lib/app.js").at(0).body == "[js/lib/app.js]");
  // Earlier routes win: the rest pattern was added first, so it takes "exact" too.
  BOOST_TEST(dispatch(router, "GET", "/static/exact").at(0).body == "[exact]");
  // Parameters before the rest come first, in order.
  BOOST_TEST(dispatch(router, "GET", "/files/alice/a/b.txt").at(0).body == "[alice][a/b.txt]");
  const auto m = router.match("GET", "/files/bob/x");
  BOOST_REQUIRE((m.kind == Router::MatchKind::kFound));
  BOOST_TEST(m.route->pattern == "/files/{owner}/{*path}");
  BOOST_TEST(m.params == (std::vector<std::string>{"bob", "x"}));
  // Empty segments inside the rest are kept as they are (the file server refuses them).
  BOOST_TEST(dispatch(router, "GET", "/static/a//b").at(0).body == "[a//b]");
  BOOST_TEST(dispatch(router, "GET", "/static/a/").at(0).body == "[a/]");
}

BOOST_AUTO_TEST_CASE(a_rest_segment_needs_at_least_one_segment) {
  Router router;
  router.add("GET", "/static/{*path}", [](const ApiRequest&) { return ApiResponse{}; });
  router.add("GET", "/files/{owner}/{*path}", [](const ApiRequest&) { return ApiResponse{}; });
  for (const auto* path : {"/static", "/static/", "/staticx/a", "/files/alice", "/files/alice/", "/files//a"}) {
    const auto answers = dispatch(router, "GET", path);
    BOOST_REQUIRE(answers.size() == 1u);
    BOOST_TEST(answers[0].status == 404u, path);
  }
  // Another method on a path the rest pattern matches is a 405, as for any route.
  const auto answers = dispatch(router, "POST", "/static/a.js");
  BOOST_TEST(answers.at(0).status == 405u);
  BOOST_TEST(answers.at(0).headers.at(0).second == "GET");
}

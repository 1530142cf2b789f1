#define BOOST_TEST_MODULE server_auth
// Secrets, credential formats, bearer parsing, and the Authenticator's 401/403 decisions.
#include "server/auth/authenticator.hpp"
#include "server/auth/credential_format.hpp"
#include "server/auth/secrets.hpp"
#include "server/auth/token_issuer.hpp"
#include "server/http/api_error.hpp"
#include "tests/server/api_error_of.hpp"
#include "tests/server/fake_store.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace streamswarm::server;
using streamswarm::server::testing::FakeStore;
using streamswarm::server::testing::messageOf;
using streamswarm::server::testing::statusOf;

namespace {

constexpr TimeNs kNow = 1'800'000'000'000'000'000;
constexpr TimeNs kHour = 3600LL * 1'000'000'000;

bool isLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sha256_matches_the_fips_vectors) {
  BOOST_TEST(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(random_hex_has_the_asked_length_and_does_not_repeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto s = randomHex(kSecretBytes);
    BOOST_TEST(s.size() == 64u);
    BOOST_TEST(isLowerHex(s));
    seen.insert(s);
  }
  BOOST_TEST(seen.size() == 100u);
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
  BOOST_TEST(constantTimeEqual("abc", "abc"));
  BOOST_TEST(!constantTimeEqual("abc", "abd"));
  BOOST_TEST(!constantTimeEqual("abc", "abcd"));
  BOOST_TEST(constantTimeEqual("", ""));
}

BOOST_AUTO_TEST_CASE(credentials_round_trip_in_all_three_forms) {
  const auto secret = newSecret();
  const auto tokenId = newTokenId();
  const auto agentId = newAgentId();
  BOOST_TEST(tokenId.size() == 12u);
  BOOST_TEST(isAgentId(agentId));
  BOOST_TEST(newTestId().starts_with("t-"));

  const auto enrollment = formatCredential(CredentialKind::kEnrollment, tokenId, secret);
  BOOST_TEST(enrollment == "sse_" + tokenId + "_" + secret);
  const auto parsed = parseCredential(enrollment);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(static_cast<int>(parsed->kind) == static_cast<int>(CredentialKind::kEnrollment));
  BOOST_TEST(parsed->id == tokenId);
  BOOST_TEST(parsed->secret == secret);

  const auto admin = parseCredential(formatCredential(CredentialKind::kAdmin, tokenId, secret));
  BOOST_REQUIRE(admin);
  BOOST_TEST(static_cast<int>(admin->kind) == static_cast<int>(CredentialKind::kAdmin));

  const auto agent = parseCredential(formatCredential(CredentialKind::kAgent, agentId, secret));
  BOOST_REQUIRE(agent);
  BOOST_TEST(static_cast<int>(agent->kind) == static_cast<int>(CredentialKind::kAgent));
  BOOST_TEST(agent->id == agentId);
}

BOOST_AUTO_TEST_CASE(malformed_credentials_are_refused) {
  const auto secret = newSecret();
  const std::string id = "0123456789ab";
  for (const auto& bad : std::vector<std::string>{
           "", "sse_",
           "ssx_" + id + "_" + secret,                      // unknown prefix
           "sse_" + id + secret,                            // no separator
           "sse_" + id + "_" + secret.substr(1),            // short secret
           "sse_" + id + "_" + secret + "0",                // long secret
           "sse_0123456789AB_" + secret,                    // upper-case id
           "sse_" + id + "_" + secret.substr(0, 63) + "g",  // not hex
           "sse_x_" + id + "_" + secret,                    // extra part
           "ssa_" + id + "_" + secret,                      // agent id without "ag-"
           "ssa_ag-" + id + "0_" + secret,                  // agent id too long
           "Sse_" + id + "_" + secret,                      // prefix is case-sensitive
       })
    BOOST_TEST(!parseCredential(bad), bad);
}

BOOST_AUTO_TEST_CASE(bearer_header_parsing) {
  BOOST_TEST(parseBearer("Bearer abc").value() == "abc");
  BOOST_TEST(parseBearer("bearer   abc  ").value() == "abc");
  BOOST_TEST(parseBearer("BEARER abc").value() == "abc");
  BOOST_TEST(!parseBearer(""));
  BOOST_TEST(!parseBearer("Bearer"));
  BOOST_TEST(!parseBearer("Bearer "));
  BOOST_TEST(!parseBearer("Bearerabc"));
  BOOST_TEST(!parseBearer("Basic abc"));
  BOOST_TEST(!parseBearer("Bearer a b"));
}

struct AuthFixture {
  FakeStore store;
  Authenticator auth{store};

  std::string admin(std::optional<TimeNs> ttl = std::nullopt) {
    auto issued = issueToken(TokenKind::kAdmin, "ops", ttl, std::nullopt, kNow);
    store.createToken(issued.record);
    return issued.token;
  }
  std::string enrollment(std::optional<std::int64_t> uses) {
    auto issued = issueToken(TokenKind::kEnrollment, "fleet", kHour, uses, kNow);
    store.createToken(issued.record);
    return issued.token;
  }
  std::pair<std::string, std::string> agent() {
    const auto issued = issueAgentCredential();
    AgentRecord a;
    a.id = issued.agentId;
    a.credentialHash = issued.credentialHash;
    a.name = "host";
    store.createAgent(a);
    return {issued.agentId, issued.credential};
  }
};

BOOST_FIXTURE_TEST_CASE(stored_tokens_hold_only_the_hash, AuthFixture) {
  const auto token = admin();
  const auto parsed = parseCredential(token).value();
  const auto stored = store.findToken(parsed.id).value();
  BOOST_TEST(stored.secretHash == sha256Hex(parsed.secret));
  BOOST_TEST(stored.secretHash.find(parsed.secret) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(admin_tokens_are_checked, AuthFixture) {
  const auto token = admin();
  BOOST_TEST(auth.admin("Bearer " + token, kNow).name == "ops");
  BOOST_TEST(statusOf([&] { auth.admin("", kNow); }) == 401u);
  BOOST_TEST(messageOf([&] { auth.admin("", kNow); }) == "missing or malformed Authorization header");
  BOOST_TEST(statusOf([&] { auth.admin("Token " + token, kNow); }) == 401u);
  // Right id, wrong secret.
  auto forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + forged, kNow); }) == 401u);
  // Enrollment tokens are not admin tokens.
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + enrollment(std::nullopt), kNow); }) == 401u);
  // Revoked.
  store.revokeToken(parseCredential(token)->id);
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + token, kNow); }) == 401u);
}

BOOST_FIXTURE_TEST_CASE(expired_admin_tokens_are_refused, AuthFixture) {
  const auto token = admin(kHour);
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + token, kNow + kHour - 1); }) == 0u);
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + token, kNow + kHour); }) == 401u);
}

BOOST_FIXTURE_TEST_CASE(agents_may_only_act_as_themselves, AuthFixture) {
  const auto [id, credential] = agent();
  const auto [otherId, otherCredential] = agent();
  BOOST_TEST(auth.agent("Bearer " + credential, id).id == id);
  BOOST_TEST(statusOf([&] { auth.agent("Bearer " + credential, otherId); }) == 403u);
  BOOST_TEST(messageOf([&] { auth.agent("Bearer " + credential, otherId); }) ==
             "agent " + id + " may only act as itself");
  // Agent credentials on the admin API: 403; admin tokens acting as an agent: 403.
  BOOST_TEST(statusOf([&] { auth.admin("Bearer " + credential, kNow); }) == 403u);
  BOOST_TEST(statusOf([&] { auth.agent("Bearer " + admin(), id); }) == 403u);
  // Revoked agents get 401.
  store.revokeAgent(id);
  BOOST_TEST(statusOf([&] { auth.agent("Bearer " + credential, id); }) == 401u);
}

BOOST_FIXTURE_TEST_CASE(enrollment_tokens_are_used_up, AuthFixture) {
  const auto token = enrollment(2);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment(token, kNow); }) == 0u);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment(token, kNow); }) == 0u);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment(token, kNow); }) == 401u);
  const auto expiring = enrollment(std::nullopt);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment(expiring, kNow + kHour); }) == 401u);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment(admin(), kNow); }) == 401u);
  BOOST_TEST(statusOf([&] { auth.consumeEnrollment("sse_nonsense", kNow); }) == 401u);
}

#define BOOST_TEST_MODULE server_web_auth
// The dashboard's sign-in machinery on its own: login throttling (free failures, doubling delays,
// window, per-address blocking, bounded memory), sessions (cookie values, idle and absolute
// expiry, disabled and deleted users, throttled last_seen writes), argon2id password hashing,
// Cookie header parsing and the same-origin check. Times come from a hand-moved clock.
#include "server/auth/login_throttle.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/auth/sessions.hpp"
#include "server/auth/web_access.hpp"
#include "tests/server/fake_store.hpp"
#include "tests/server/test_passwords.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace streamswarm::server;
using streamswarm::server::testing::cheapPasswordCost;
using streamswarm::server::testing::cheapUser;
using streamswarm::server::testing::FakeStore;

namespace {

constexpr TimeNs kSecond = 1'000'000'000;
constexpr TimeNs kT0 = 1'800'000'000LL * kSecond;

UserRecord user(const std::string& id) {
  return cheapUser(id, "name-" + id, "correct horse battery", "viewer", kT0);
}

// ---- LoginThrottle ----

LoginThrottleLimits throttleLimits() {
  LoginThrottleLimits l;
  l.freeFailures = 3;
  l.window = 100 * kSecond;
  l.firstDelay = kSecond;
  l.maxDelay = 8 * kSecond;
  l.maxTracked = 1000;
  return l;
}

}  // namespace

BOOST_AUTO_TEST_CASE(throttle_allows_free_failures_then_blocks_with_doubling_capped_delays) {
  LoginThrottle t(throttleLimits());
  TimeNs now = kT0;
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", now).has_value(), "attempt " << i + 1);
    t.failed("alice", "10.0.0.1", now);
  }
  // After three failures (the free ones) the next attempt waits 1 s; each further failure
  // doubles the wait: 2, 4, 8 and 8 again (the cap).
  const TimeNs expected[] = {1, 2, 4, 8, 8, 8};
  for (const auto delay : expected) {
    const auto wait = t.blockedFor("alice", "10.0.0.1", now);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(*wait == delay * kSecond);
    // Half-way through it still reports the rest; at its end the caller may try again.
    BOOST_TEST(t.blockedFor("alice", "10.0.0.1", now + delay * kSecond / 2).value_or(0) == delay * kSecond / 2);
    now += delay * kSecond;
    BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", now).has_value());
    t.failed("alice", "10.0.0.1", now);
  }
}

BOOST_AUTO_TEST_CASE(throttle_forgets_failures_after_the_window) {
  LoginThrottle t(throttleLimits());
  for (int i = 0; i < 3; ++i) t.failed("alice", "10.0.0.1", kT0);
  BOOST_TEST(t.blockedFor("alice", "10.0.0.1", kT0).has_value());
  // Past the window (and the block), a new failure starts a fresh count: free again.
  const TimeNs later = kT0 + 101 * kSecond;
  BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", later).has_value());
  t.failed("alice", "10.0.0.1", later);
  BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", later).has_value());
  t.failed("alice", "10.0.0.1", later);
  BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", later).has_value());
  t.failed("alice", "10.0.0.1", later);
  BOOST_TEST(t.blockedFor("alice", "10.0.0.1", later).value_or(0) == kSecond);
}

BOOST_AUTO_TEST_CASE(throttle_success_clears_the_account_and_the_address) {
  LoginThrottle t(throttleLimits());
  for (int i = 0; i < 3; ++i) t.failed("alice", "10.0.0.1", kT0);
  BOOST_TEST(t.blockedFor("alice", "10.0.0.1", kT0).has_value());
  t.succeeded("alice", "10.0.0.1");
  BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", kT0).has_value());
  // The count starts from zero again, not from where it was.
  for (int i = 0; i < 2; ++i) t.failed("alice", "10.0.0.1", kT0);
  BOOST_TEST(!t.blockedFor("alice", "10.0.0.1", kT0).has_value());
}

BOOST_AUTO_TEST_CASE(throttle_blocks_an_address_guessing_across_accounts_and_an_account_across_addresses) {
  LoginThrottle t(throttleLimits());
  // One address, a different account each time: the address is blocked, for every account.
  for (const auto* name : {"a1", "a2", "a3"}) t.failed(name, "10.0.0.1", kT0);
  BOOST_TEST(t.blockedFor("a4", "10.0.0.1", kT0).value_or(0) == kSecond);
  BOOST_TEST(t.blockedFor("a1", "10.0.0.1", kT0).has_value());
  // The accounts themselves had one failure each; from elsewhere they are free.
  BOOST_TEST(!t.blockedFor("a1", "10.0.0.2", kT0).has_value());
  BOOST_TEST(!t.blockedFor("a4", "10.0.0.2", kT0).has_value());

  // One account, a different address each time: the account is blocked from everywhere.
  for (const auto* address : {"10.1.0.1", "10.1.0.2", "10.1.0.3"}) t.failed("bob", address, kT0);
  BOOST_TEST(t.blockedFor("bob", "10.9.9.9", kT0).value_or(0) == kSecond);
  BOOST_TEST(!t.blockedFor("carol", "10.1.0.1", kT0).has_value());
}

BOOST_AUTO_TEST_CASE(throttle_tracks_at_most_max_tracked_entries_forgetting_the_oldest) {
  auto limits = throttleLimits();
  limits.freeFailures = 1;  // every failure blocks, so "tracked" is visible as "blocked"
  limits.maxTracked = 2;
  LoginThrottle t(limits);
  t.failed("u1", "10.0.0.1", kT0 + 1);
  t.failed("u2", "10.0.0.2", kT0 + 2);
  BOOST_TEST(t.blockedFor("u1", "10.0.0.1", kT0 + 2).has_value());
  t.failed("u3", "10.0.0.3", kT0 + 3);
  BOOST_TEST(!t.blockedFor("u1", "10.0.0.1", kT0 + 3).has_value());  // the oldest went
  BOOST_TEST(t.blockedFor("u2", "10.0.0.2", kT0 + 3).has_value());
  BOOST_TEST(t.blockedFor("u3", "10.0.0.3", kT0 + 3).has_value());
  // A key already tracked does not push anything out.
  t.failed("u2", "10.0.0.2", kT0 + 4);
  BOOST_TEST(t.blockedFor("u3", "10.0.0.3", kT0 + 4).has_value());
}

// ---- Sessions ----

namespace {

struct SessionWorld {
  FakeStore store;
  TimeNs now = kT0;
  SessionLimits limits{100 * kSecond, 1000 * kSecond, 10 * kSecond};
  Sessions sessions{store, [this] { return now; }, limits};
  UserRecord alice = user("u-alice");

  SessionWorld() { BOOST_REQUIRE(store.createUser(alice)); }

  TimeNs lastSeen(const std::string& id) { return store.findSession(id).value().lastSeen; }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_started_session_resolves_from_its_cookie_and_only_its_hash_is_stored, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  BOOST_TEST(cookie.starts_with(session.id + "."));
  const auto secret = cookie.substr(session.id.size() + 1);
  BOOST_TEST(secret.size() >= 32u);
  const auto stored = store.findSession(session.id);
  BOOST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->secretHash != secret);
  BOOST_TEST(stored->secretHash.find(secret) == std::string::npos);
  BOOST_TEST(stored->expiresAt == kT0 + limits.maxAge);
  BOOST_TEST(!stored->csrfToken.empty());

  const auto signedIn = sessions.resolve(cookie);
  BOOST_REQUIRE(signedIn.has_value());
  BOOST_TEST(signedIn->user.id == alice.id);
  BOOST_TEST(signedIn->session.id == session.id);
  BOOST_TEST(signedIn->session.csrfToken == stored->csrfToken);

  // Two sessions of one user are distinct in id, secret and CSRF token.
  const auto [other, otherCookie] = sessions.start(alice);
  BOOST_TEST(other.id != session.id);
  BOOST_TEST(otherCookie != cookie);
  BOOST_TEST(other.csrfToken != session.csrfToken);
}

BOOST_FIXTURE_TEST_CASE(wrong_secrets_and_malformed_cookie_values_resolve_to_nothing, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  const auto secret = cookie.substr(session.id.size() + 1);
  auto flipped = secret;
  flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
  for (const auto& bad : {session.id + "." + flipped, session.id + ".", session.id, std::string("."), "." + secret,
                          std::string(), "nosuchid." + secret, session.id + ".." + secret,
                          session.id + "." + secret + "x", " " + cookie, session.id + "x." + secret})
    BOOST_TEST(!sessions.resolve(bad).has_value(), "'" << bad << "'");
  // A wrong guess does not end the real session.
  BOOST_TEST(sessions.resolve(cookie).has_value());
}

BOOST_FIXTURE_TEST_CASE(an_idle_session_expires_and_is_deleted, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  now = kT0 + limits.idle - 1;
  BOOST_TEST(sessions.resolve(cookie).has_value());  // and this use moves last_seen
  BOOST_TEST(lastSeen(session.id) == now);
  now += limits.idle - 1;
  BOOST_TEST(sessions.resolve(cookie).has_value());
  now += limits.idle;
  BOOST_TEST(!sessions.resolve(cookie).has_value());
  BOOST_TEST(!store.findSession(session.id).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_session_in_use_still_ends_at_its_absolute_limit, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  // Used every 50 s, never idle for long.
  while (now + 50 * kSecond < kT0 + limits.maxAge) {
    now += 50 * kSecond;
    BOOST_TEST_REQUIRE(sessions.resolve(cookie).has_value(), "at +" << (now - kT0) / kSecond << " s");
  }
  now = kT0 + limits.maxAge;
  BOOST_TEST(!sessions.resolve(cookie).has_value());
  BOOST_TEST(!store.findSession(session.id).has_value());
}

BOOST_FIXTURE_TEST_CASE(sessions_nobody_comes_back_to_do_not_stay_stored, SessionWorld) {
  // Browsers closed without signing out never present their cookies again; the rows must still go.
  const auto [idle, idleCookie] = sessions.start(alice);
  now = kT0 + 50 * kSecond;
  const auto [recent, recentCookie] = sessions.start(alice);
  now = kT0 + limits.idle;
  const auto [fresh, freshCookie] = sessions.start(alice);  // a sign-in prunes
  BOOST_TEST(!store.findSession(idle.id).has_value());
  BOOST_TEST(store.findSession(recent.id).has_value());
  BOOST_TEST(store.findSession(fresh.id).has_value());
  BOOST_TEST(sessions.resolve(recentCookie).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_disabled_or_deleted_user_has_no_session, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  auto disabled = alice;
  disabled.disabled = true;
  BOOST_REQUIRE(store.updateUser(disabled));
  BOOST_TEST(!sessions.resolve(cookie).has_value());
  BOOST_REQUIRE(store.updateUser(alice));
  BOOST_TEST(sessions.resolve(cookie).has_value());
  BOOST_REQUIRE(store.deleteUser(alice.id));
  BOOST_TEST(!sessions.resolve(cookie).has_value());
  // A session row whose user vanished some other way still resolves to nothing.
  BOOST_REQUIRE(store.createUser(alice));
  const auto [orphan, orphanCookie] = sessions.start(alice);
  store.createSession(
      SessionRecord{orphan.id, orphan.secretHash, "u-gone", orphan.csrfToken, kT0, kT0, kT0 + limits.maxAge});
  BOOST_TEST(!sessions.resolve(orphanCookie).has_value());
}

BOOST_FIXTURE_TEST_CASE(last_seen_is_written_at_most_every_touch_every, SessionWorld) {
  const auto [session, cookie] = sessions.start(alice);
  now = kT0 + limits.touchEvery - 1;
  BOOST_TEST(sessions.resolve(cookie).has_value());
  BOOST_TEST(lastSeen(session.id) == kT0);
  now = kT0 + limits.touchEvery;
  const auto resolved = sessions.resolve(cookie);
  BOOST_REQUIRE(resolved.has_value());
  BOOST_TEST(resolved->session.lastSeen == now);
  BOOST_TEST(lastSeen(session.id) == now);
  now += 1;
  BOOST_TEST(sessions.resolve(cookie).has_value());
  BOOST_TEST(lastSeen(session.id) == kT0 + limits.touchEvery);
}

BOOST_FIXTURE_TEST_CASE(cookies_are_http_only_same_site_strict_and_secure_only_over_tls, SessionWorld) {
  const auto plain = sessions.setCookie("id.secret", false);
  BOOST_TEST(plain.starts_with(std::string(kSessionCookie) + "=id.secret;"));
  for (const auto* attribute : {"; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=1000"})
    BOOST_TEST(plain.find(attribute) != std::string::npos, attribute << " in " << plain);
  BOOST_TEST(plain.find("Secure") == std::string::npos);
  BOOST_TEST(sessions.setCookie("id.secret", true).find("; Secure") != std::string::npos);
  const auto cleared = Sessions::clearCookie(false);
  BOOST_TEST(cleared.starts_with(std::string(kSessionCookie) + "=;"));
  BOOST_TEST(cleared.find("; Max-Age=0") != std::string::npos);
  BOOST_TEST(cleared.find("; Path=/") != std::string::npos);
  BOOST_TEST(Sessions::clearCookie(true).find("; Secure") != std::string::npos);
}

// ---- Passwords ----

BOOST_AUTO_TEST_CASE(passwords_hash_to_argon2id_and_verify_only_the_right_one) {
  const auto hash = hashPassword("correct horse battery");
  BOOST_TEST(hash.starts_with("$argon2id$"), hash);
  BOOST_TEST(hash.find("correct horse") == std::string::npos);
  BOOST_TEST(verifyPassword(hash, "correct horse battery"));
  BOOST_TEST(!verifyPassword(hash, "correct horse batterY"));
  BOOST_TEST(!verifyPassword(hash, ""));
  BOOST_TEST(!verifyPassword("not a hash", "correct horse battery"));
  // A fresh salt each time: the same password gives another string that verifies too.
  const auto again = hashPassword("correct horse battery", cheapPasswordCost());
  BOOST_TEST(again != hash);
  BOOST_TEST(again.starts_with("$argon2id$"));
  BOOST_TEST(verifyPassword(again, "correct horse battery"));
  // Bytes after a NUL count.
  const std::string withNul("abcdefghij\0k", 12);
  const auto nulHash = hashPassword(withNul, cheapPasswordCost());
  BOOST_TEST(verifyPassword(nulHash, withNul));
  BOOST_TEST(!verifyPassword(nulHash, "abcdefghij"));
}

BOOST_AUTO_TEST_CASE(password_problem_enforces_the_length_bounds) {
  BOOST_TEST(
      passwordProblem(std::string(kMinPasswordLength - 1, 'x')).value_or("").find(std::to_string(kMinPasswordLength)) !=
      std::string::npos);
  BOOST_TEST(passwordProblem("").has_value());
  BOOST_TEST(!passwordProblem(std::string(kMinPasswordLength, 'x')).has_value());
  BOOST_TEST(!passwordProblem(std::string(kMaxPasswordLength, 'x')).has_value());
  BOOST_TEST(
      passwordProblem(std::string(kMaxPasswordLength + 1, 'x')).value_or("").find(std::to_string(kMaxPasswordLength)) !=
      std::string::npos);
}

BOOST_AUTO_TEST_CASE(random_passwords_are_long_unambiguous_and_distinct) {
  const std::string alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::set<std::string> seen;
  std::set<char> used;
  for (int i = 0; i < 200; ++i) {
    const auto p = randomPassword();
    BOOST_TEST_REQUIRE(p.size() == 20u);
    for (const char c : p) BOOST_TEST_REQUIRE(alphabet.find(c) != std::string::npos, "'" << c << "' in " << p);
    BOOST_TEST(!passwordProblem(p).has_value());
    seen.insert(p);
    used.insert(p.begin(), p.end());
  }
  BOOST_TEST(seen.size() == 200u);
  // 4,000 draws from 55 characters: every one shows up unless the generator is badly skewed.
  BOOST_TEST(used.size() == alphabet.size());
}

// ---- Cookie header and origin ----

BOOST_AUTO_TEST_CASE(cookie_values_are_read_from_the_cookie_header) {
  const auto value = [](const std::string& header) {
    ApiRequest r;
    r.cookie = header;
    return r.cookieValue("ss_session");
  };
  BOOST_TEST(!value("").has_value());
  BOOST_TEST(value("ss_session=abc.def").value_or("?") == "abc.def");
  BOOST_TEST(value("theme=dark; ss_session=abc; lang=en").value_or("?") == "abc");
  BOOST_TEST(value("theme=dark;ss_session=abc").value_or("?") == "abc");
  BOOST_TEST(value("xss_session=1; ss_session=2").value_or("?") == "2");
  BOOST_TEST(value("ss_sessionx=1; ss_session=2").value_or("?") == "2");
  BOOST_TEST(value("ss_session=1; ss_session=2").value_or("?") == "1");
  BOOST_TEST(value("ss_session=").value_or("?").empty());
  BOOST_TEST(value("ss_session=\"quoted\"").value_or("?") == "quoted");
  BOOST_TEST(value("ss_session=a=b").value_or("?") == "a=b");
  BOOST_TEST(value("ss_session=abc ; x=1").value_or("?") == "abc");
  BOOST_TEST(!value("ss_session").has_value());
  BOOST_TEST(!value("theme=dark; ss_session").has_value());
  BOOST_TEST(!value(";;; ;").has_value());
  BOOST_TEST(!value("SS_SESSION=abc").has_value());
}

BOOST_AUTO_TEST_CASE(same_origin_compares_scheme_host_and_port) {
  BOOST_TEST(sameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080", false));
  BOOST_TEST(sameOrigin("https://dash.example", "dash.example", true));
  BOOST_TEST(!sameOrigin("https://127.0.0.1:8080", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080", true));
  BOOST_TEST(!sameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("http://evil.example", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("http://127.0.0.1:8080/", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("null", "127.0.0.1:8080", false));
  BOOST_TEST(!sameOrigin("http://", "", false));
  BOOST_TEST(!sameOrigin("", "", false));
}

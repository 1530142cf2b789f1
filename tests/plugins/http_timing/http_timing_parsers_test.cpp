// The pure parsers of http_timing on canned input: URLs and redirect Locations, host:port, status
// ranges, header lists, ASN.1 certificate times, gzip/deflate decoding (bytes made by zlib here and
// by gzip(1) in tests/fixtures/http_timing), body checks, and certificate fields of fixture PEMs.
#define BOOST_TEST_MODULE http_timing_parsers
#include <boost/test/unit_test.hpp>

#include "body_check.hpp"
#include "cert_dates.hpp"
#include "content_decoder.hpp"
#include "header_list.hpp"
#include "status_ranges.hpp"
#include "tls_inspector.hpp"
#include "url.hpp"

#include "tests/support/process.hpp"
#include "zlib_compress.hpp"

#include <openssl/pem.h>

#include <memory>
#include <string>
#include <vector>

using namespace streamswarm::http_timing;
namespace ts = streamswarm::testsupport;
using http_timing_test::compress;

namespace {

Url url(const std::string& text) {
  auto parsed = parseUrl(text);
  BOOST_TEST_REQUIRE(parsed.value.has_value(), text << ": " << parsed.error);
  return *parsed.value;
}

std::string urlError(const std::string& text) {
  const auto parsed = parseUrl(text);
  BOOST_TEST(!parsed.value.has_value(), text << " should be refused");
  return parsed.error;
}

std::string location(const std::string& base, const std::string& ref) {
  const auto parsed = resolveLocation(url(base), ref);
  BOOST_TEST_REQUIRE(parsed.value.has_value(), ref << ": " << parsed.error);
  return parsed.value->text();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Decoded {
  std::string text;
  std::optional<std::string> error;
};

// Feeds `encoded` in pieces of `step` bytes, as a socket would deliver it.
Decoded decode(ContentEncoding encoding, const std::string& encoded, std::size_t step = 7,
               std::uint64_t limit = 1 << 20) {
  Decoded out;
  ContentDecoder decoder(encoding, limit, [&](std::string_view piece) { out.text.append(piece); });
  for (std::size_t at = 0; at < encoded.size() && !out.error; at += step)
    out.error = decoder.write(std::string_view(encoded).substr(at, step));
  if (!out.error) out.error = decoder.finish();
  if (!out.error) BOOST_TEST(decoder.decodedBytes() == out.text.size());
  return out;
}

std::string fixture(const std::string& name) {
  return ts::readFile(ts::sourceDir() / "tests/fixtures/http_timing" / name);
}

CertInfo certFromFixture(const std::string& name) {
  const auto pem = fixture(name);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  BOOST_TEST_REQUIRE(cert != nullptr);
  return certInfo(cert.get());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(urls)

BOOST_AUTO_TEST_CASE(parses_scheme_host_port_and_target) {
  const auto a = url("http://example.com");
  BOOST_TEST(!a.https());
  BOOST_TEST(a.host == "example.com");
  BOOST_TEST(a.port == 80);
  BOOST_TEST(a.target == "/");
  BOOST_TEST(!a.ipLiteral);
  BOOST_TEST(a.text() == "http://example.com/");

  const auto b = url("HTTPS://Example.COM:8443/a/b?x=1#fragment");
  BOOST_TEST(b.https());
  BOOST_TEST(b.host == "example.com");
  BOOST_TEST(b.port == 8443);
  BOOST_TEST(b.target == "/a/b?x=1");
  BOOST_TEST(b.authority() == "example.com:8443");
  BOOST_TEST(b.origin() == "https://example.com:8443");
  BOOST_TEST(b.text() == "https://example.com:8443/a/b?x=1");

  BOOST_TEST(url("https://example.com:443/").authority() == "example.com");
  BOOST_TEST(url("https://example.com/").origin() == "https://example.com:443");
  BOOST_TEST(url("http://host:/p").port == 80);
  BOOST_TEST(url("http://host?q=1").target == "/?q=1");
  BOOST_TEST(url("http://example.com./").host == "example.com");
  BOOST_TEST(url("http://under_score.example/").host == "under_score.example");
}

BOOST_AUTO_TEST_CASE(parses_ip_literals) {
  const auto v4 = url("http://127.0.0.1:8080/x");
  BOOST_TEST(v4.ipLiteral);
  BOOST_TEST(!v4.ipv6);
  BOOST_TEST(v4.host == "127.0.0.1");

  const auto v6 = url("http://[::1]:8080/x");
  BOOST_TEST(v6.ipLiteral);
  BOOST_TEST(v6.ipv6);
  BOOST_TEST(v6.host == "::1");
  BOOST_TEST(v6.authority() == "[::1]:8080");
  BOOST_TEST(v6.origin() == "http://[::1]:8080");
  BOOST_TEST(url("https://[2001:DB8::1]/").host == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(encodes_spaces_and_non_ascii_in_the_target) {
  BOOST_TEST(url("http://h/a b").target == "/a%20b");
  BOOST_TEST(url("http://h/caf\xC3\xA9?q=\xC3\xA9").target == "/caf%C3%A9?q=%C3%A9");
}

BOOST_AUTO_TEST_CASE(refuses_bad_urls_with_a_reason) {
  BOOST_TEST(contains(urlError("ftp://example.com/"), "unsupported scheme 'ftp'"));
  BOOST_TEST(contains(urlError("example.com/path"), "missing scheme"));
  BOOST_TEST(contains(urlError("://example.com/"), "missing scheme"));
  BOOST_TEST(contains(urlError("http://user:pw@host/"), "user information"));
  BOOST_TEST(contains(urlError("http://host:99999/"), "not a port"));
  BOOST_TEST(contains(urlError("http://host:0/"), "not a port"));
  BOOST_TEST(contains(urlError("http://host:8o/"), "not a port"));
  BOOST_TEST(contains(urlError("http://a b/"), "invalid character"));
  BOOST_TEST(contains(urlError("http://h/a\r\nX-Injected: 1"), "control character"));
  BOOST_TEST(contains(urlError("http://1.2.3/"), "not a valid IPv4"));
  BOOST_TEST(contains(urlError("http://999.1.1.1/"), "not a valid IPv4"));
  BOOST_TEST(contains(urlError("http://[::1/"), "IPv6"));
  BOOST_TEST(contains(urlError("http://[::g]/"), "not an IPv6 address"));
  BOOST_TEST(contains(urlError("http:///path"), "empty host"));
  BOOST_TEST(contains(urlError("http://exa..mple/"), "empty label"));
  BOOST_TEST(contains(urlError("http://" + std::string(64, 'a') + ".example/"), "longer than 63"));
  BOOST_TEST(contains(urlError("http://" + std::string(300, 'a') + "/"), "longer than 253"));
  BOOST_TEST(contains(urlError("http://caf\xC3\xA9.example/"), "punycode"));
  BOOST_TEST(contains(urlError("http://h/" + std::string(9000, 'a')), "longer than 8192"));
}

BOOST_AUTO_TEST_CASE(resolves_locations_against_the_base) {
  const std::string base = "http://h:8080/a/b/c?q=1";
  BOOST_TEST(location(base, "https://other.example/x") == "https://other.example/x");
  BOOST_TEST(location(base, "//cdn.example/y") == "http://cdn.example/y");
  BOOST_TEST(location(base, "/root") == "http://h:8080/root");
  BOOST_TEST(location(base, "d") == "http://h:8080/a/b/d");
  BOOST_TEST(location(base, "../d") == "http://h:8080/a/d");
  BOOST_TEST(location(base, "../../../../d") == "http://h:8080/d");
  BOOST_TEST(location(base, "./") == "http://h:8080/a/b/");
  BOOST_TEST(location(base, "..") == "http://h:8080/a/");
  BOOST_TEST(location(base, "?z=2") == "http://h:8080/a/b/c?z=2");
  BOOST_TEST(location(base, "#f") == "http://h:8080/a/b/c?q=1");
  BOOST_TEST(location(base, "  /padded  ") == "http://h:8080/padded");
  BOOST_TEST(location(base, "/a/./b/../c") == "http://h:8080/a/c");
  BOOST_TEST(location(base, "/x/y/") == "http://h:8080/x/y/");
  BOOST_TEST(location(base, "/with space") == "http://h:8080/with%20space");
  BOOST_TEST(location("https://[::1]:8443/p", "/q") == "https://[::1]:8443/q");
}

BOOST_AUTO_TEST_CASE(refuses_bad_locations) {
  const auto base = url("http://h/");
  BOOST_TEST(contains(resolveLocation(base, "").error, "empty Location"));
  BOOST_TEST(contains(resolveLocation(base, "mailto:ops@example.com").error, "unsupported scheme"));
  BOOST_TEST(contains(resolveLocation(base, "/a\x01").error, "control character"));
  BOOST_TEST(contains(resolveLocation(base, "http://[broken/").error, "IPv6"));
}

BOOST_AUTO_TEST_CASE(parses_host_port_and_host_names) {
  const auto a = parseHostPort("localhost:443");
  BOOST_TEST_REQUIRE(a.value.has_value());
  BOOST_TEST(a.value->host == "localhost");
  BOOST_TEST(a.value->port == 443);
  BOOST_TEST(a.value->text() == "localhost:443");
  const auto b = parseHostPort("[::1]:22");
  BOOST_TEST_REQUIRE(b.value.has_value());
  BOOST_TEST(b.value->ipv6);
  BOOST_TEST(b.value->text() == "[::1]:22");
  BOOST_TEST(contains(parseHostPort("localhost").error, "missing port"));
  BOOST_TEST(contains(parseHostPort("::1:80").error, "invalid character"));
  BOOST_TEST(contains(parseHostPort("http://x:80").error, "not a URL"));
  BOOST_TEST(contains(parseHostPort("h:0").error, "not a port"));

  BOOST_TEST(*parseHostName("Example.COM").value == "example.com");
  BOOST_TEST(*parseHostName("https://example.com:8443/x").value == "example.com");
  BOOST_TEST(contains(parseHostName("127.0.0.1").error, "nothing to resolve"));
  BOOST_TEST(contains(parseHostName("[::1]").error, "nothing to resolve"));
  BOOST_TEST(contains(parseHostName("http://10.0.0.1/").error, "nothing to resolve"));
  BOOST_TEST(contains(parseHostName("bad name").error, "invalid character"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_ranges)

BOOST_AUTO_TEST_CASE(matches_codes_ranges_and_classes) {
  const auto r = StatusRanges::parse({"200-299", "301", "4xx"});
  BOOST_TEST_REQUIRE(r.value.has_value(), r.error);
  BOOST_TEST(r.value->contains(200));
  BOOST_TEST(r.value->contains(299));
  BOOST_TEST(r.value->contains(301));
  BOOST_TEST(r.value->contains(404));
  BOOST_TEST(!r.value->contains(300));
  BOOST_TEST(!r.value->contains(302));
  BOOST_TEST(!r.value->contains(500));
  BOOST_TEST(r.value->text() == "200-299,301,400-499");
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_a_status) {
  for (const std::string bad : {"abc", "99", "600", "2000", "300-200", "6xx", "2x", "200-", "-200", " 200"}) {
    const auto r = StatusRanges::parse({bad});
    BOOST_TEST(!r.value.has_value(), bad << " should be refused");
    BOOST_TEST(contains(r.error, "'" + bad + "'"), r.error);
  }
  BOOST_TEST(contains(StatusRanges::parse({}).error, "no status codes"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(header_lists)

BOOST_AUTO_TEST_CASE(splits_headers_and_rejoins_values_with_commas) {
  // What the agent hands over for: headers = X-A: 1, Accept: text/html, application/json, X-B:2
  const auto h = parseHeaderList({"X-A: 1", "Accept: text/html", "application/json", "X-B:2"});
  BOOST_TEST_REQUIRE(h.value.has_value(), h.error);
  BOOST_TEST_REQUIRE(h.value->size() == 3u);
  BOOST_TEST((h.value->at(0) == Header{"X-A", "1"}));
  BOOST_TEST((h.value->at(1) == Header{"Accept", "text/html, application/json"}));
  BOOST_TEST((h.value->at(2) == Header{"X-B", "2"}));
  BOOST_TEST(parseHeaderList({}).value->empty());
}

BOOST_AUTO_TEST_CASE(refuses_bad_headers) {
  BOOST_TEST(contains(parseHeaderList({"no colon here"}).error, "not a header"));
  BOOST_TEST(contains(parseHeaderList({"Bad Name: x"}).error, "not a header"));
  BOOST_TEST(contains(parseHeaderList({"Content-Length: 5"}).error, "set by the probe"));
  BOOST_TEST(contains(parseHeaderList({"transfer-encoding: chunked"}).error, "set by the probe"));
  BOOST_TEST(contains(parseHeaderList({"X-A: a\x01"}).error, "control character"));
  BOOST_TEST(sameHeaderName("content-TYPE", "Content-Type"));
  BOOST_TEST(!sameHeaderName("Content-Type", "Content-Typ"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(certificate_dates)

BOOST_AUTO_TEST_CASE(parses_utc_and_generalized_time) {
  BOOST_TEST(rfc3339(*parseAsn1Time("250131235959Z", false)) == "2025-01-31T23:59:59Z");
  BOOST_TEST(rfc3339(*parseAsn1Time("491231235959Z", false)) == "2049-12-31T23:59:59Z");
  BOOST_TEST(rfc3339(*parseAsn1Time("500101000000Z", false)) == "1950-01-01T00:00:00Z");
  BOOST_TEST(rfc3339(*parseAsn1Time("20500101000000Z", true)) == "2050-01-01T00:00:00Z");
  BOOST_TEST(rfc3339(*parseAsn1Time("20240229120000Z", true)) == "2024-02-29T12:00:00Z");
}

BOOST_AUTO_TEST_CASE(refuses_malformed_times) {
  for (const std::string bad : {"", "2501312359Z", "250231000000Z", "251301000000Z", "250131240000Z", "250131235960Z",
                                "250131235959+0100", "25013123595aZ", "250131235959z"})
    BOOST_TEST(!parseAsn1Time(bad, false).has_value(), bad);
  BOOST_TEST(!parseAsn1Time("20250131235959.5Z", true).has_value());
  BOOST_TEST(!parseAsn1Time("20230229000000Z", true).has_value());
  BOOST_TEST(!parseAsn1Time("250131235959Z", true).has_value());  // UTCTime given as GeneralizedTime
}

BOOST_AUTO_TEST_CASE(counts_days_until_expiry) {
  const auto notAfter = *parseAsn1Time("20300101000000Z", true);
  BOOST_TEST(daysUntil(notAfter, notAfter - std::chrono::hours(36)) == 1.5);
  BOOST_TEST(daysUntil(notAfter, notAfter + std::chrono::hours(24 * 10)) == -10.0);
  BOOST_TEST(daysUntil(notAfter, notAfter) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(content_decoding)

BOOST_AUTO_TEST_CASE(names_encodings) {
  BOOST_TEST((contentEncodingOf("") == ContentEncoding::kIdentity));
  BOOST_TEST((contentEncodingOf("identity") == ContentEncoding::kIdentity));
  BOOST_TEST((contentEncodingOf("GZIP") == ContentEncoding::kGzip));
  BOOST_TEST((contentEncodingOf("x-gzip") == ContentEncoding::kGzip));
  BOOST_TEST((contentEncodingOf(" deflate ") == ContentEncoding::kDeflate));
  BOOST_TEST((contentEncodingOf("br") == ContentEncoding::kUnsupported));
  BOOST_TEST((contentEncodingOf("gzip, br") == ContentEncoding::kUnsupported));
}

BOOST_AUTO_TEST_CASE(decodes_gzip_and_both_kinds_of_deflate_in_small_pieces) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of a compressible body\n";
  for (const std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    const auto gzip = decode(ContentEncoding::kGzip, compress(text, 31), step);
    BOOST_TEST(!gzip.error.has_value(), gzip.error.value_or(""));
    BOOST_TEST(gzip.text == text);
    const auto zlibWrapped = decode(ContentEncoding::kDeflate, compress(text, 15), step);
    BOOST_TEST(!zlibWrapped.error.has_value(), zlibWrapped.error.value_or(""));
    BOOST_TEST(zlibWrapped.text == text);
    const auto raw = decode(ContentEncoding::kDeflate, compress(text, -15), step);
    BOOST_TEST(!raw.error.has_value(), raw.error.value_or(""));
    BOOST_TEST(raw.text == text);
  }
}

BOOST_AUTO_TEST_CASE(decodes_what_gzip_1_writes_including_several_members) {
  const auto one = decode(ContentEncoding::kGzip, fixture("hello.txt.gz"));
  BOOST_TEST(!one.error.has_value(), one.error.value_or(""));
  BOOST_TEST(one.text == fixture("hello.txt"));
  const auto two = decode(ContentEncoding::kGzip, fixture("two-members.gz"), 5);
  BOOST_TEST(!two.error.has_value(), two.error.value_or(""));
  BOOST_TEST(two.text == fixture("hello.txt") + "second member\n");
}

BOOST_AUTO_TEST_CASE(reports_corrupt_and_truncated_data) {
  const auto gz = compress("some text that is long enough to matter, some text that is long enough", 31);
  const auto truncated = decode(ContentEncoding::kGzip, gz.substr(0, gz.size() - 6));
  BOOST_TEST(truncated.error.value_or("") == "gzip data ends early");
  auto corrupt = gz;
  corrupt[12] = static_cast<char>(corrupt[12] ^ 0xff);
  corrupt[13] = static_cast<char>(corrupt[13] ^ 0xff);
  BOOST_TEST(contains(decode(ContentEncoding::kGzip, corrupt).error.value_or(""), "gzip data is corrupt"));
  BOOST_TEST(contains(decode(ContentEncoding::kGzip, "not gzip at all").error.value_or(""), "corrupt"));
  BOOST_TEST(decode(ContentEncoding::kDeflate, "x").error.value_or("") == "deflate data ends early");
  BOOST_TEST(!decode(ContentEncoding::kGzip, "").error.has_value());  // an empty body (HEAD, 204)
}

BOOST_AUTO_TEST_CASE(stops_at_the_output_limit) {
  const std::string zeros(1 << 20, '\0');
  const auto bomb = compress(zeros, 31);
  BOOST_TEST(bomb.size() < 2000u);
  const auto r = decode(ContentEncoding::kGzip, bomb, 512, 64 * 1024);
  BOOST_TEST(r.error.value_or("") == "decoded body exceeds 65536 bytes");
  BOOST_TEST(r.text.size() <= 64u * 1024);
  BOOST_TEST(decode(ContentEncoding::kIdentity, std::string(100, 'a'), 7, 99).error.value_or("") ==
             "body exceeds 99 bytes");
  BOOST_TEST(decode(ContentEncoding::kUnsupported, "br bytes").text == "br bytes");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(body_checks)

BOOST_AUTO_TEST_CASE(checks_substring_and_regex) {
  const auto both = BodyCheck::make("status", R"("ok":\s*true)");
  BOOST_TEST_REQUIRE(both.value.has_value(), both.error);
  BOOST_TEST(both.value->enabled());
  BOOST_TEST(both.value->check(R"({"status": 1, "ok": true})").ok);
  const auto missing = both.value->check(R"({"ok": true})");
  BOOST_TEST(!missing.ok);
  BOOST_TEST(missing.reason == "expected text 'status' not found");
  const auto nomatch = both.value->check(R"({"status": 1, "ok": false})");
  BOOST_TEST(!nomatch.ok);
  BOOST_TEST(contains(nomatch.reason, "does not match"));
  BOOST_TEST(!BodyCheck::make("", "").value->enabled());
  BOOST_TEST(BodyCheck::make("", "").value->check("anything").ok);
}

BOOST_AUTO_TEST_CASE(refuses_an_invalid_regex) {
  const auto bad = BodyCheck::make("", "(unclosed");
  BOOST_TEST(!bad.value.has_value());
  BOOST_TEST(contains(bad.error, "'(unclosed' is not a valid regular expression"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(certificates)

BOOST_AUTO_TEST_CASE(reads_names_sans_serial_and_utctime_dates) {
  const auto c = certFromFixture("utctime-cert.pem");
  BOOST_TEST(c.subject == "CN=fixture.example,O=StreamSwarm Tests");
  BOOST_TEST(c.issuer == c.subject);
  BOOST_TEST(c.serial == "5EED");
  const std::vector<std::string> sans{
      "DNS:fixture.example", "DNS:*.fixture.example",        "IP:192.0.2.7",
      "IP:2001:db8::7",      "URI:https://fixture.example/", "email:ops@fixture.example"};
  BOOST_TEST(c.sans == sans, boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(c.notBefore.has_value());
  BOOST_TEST_REQUIRE(c.notAfter.has_value());
  BOOST_TEST(rfc3339(*c.notBefore) == "2026-11-22T00:04:37Z");
  BOOST_TEST(rfc3339(*c.notAfter) == "2036-11-19T00:04:37Z");
}

BOOST_AUTO_TEST_CASE(reads_generalizedtime_dates) {
  const auto c = certFromFixture("generalizedtime-cert.pem");
  BOOST_TEST(c.subject == "CN=far-future.example");
  BOOST_TEST(c.sans.empty());
  BOOST_TEST_REQUIRE(c.notAfter.has_value());
  BOOST_TEST(rfc3339(*c.notAfter) == "2126-10-29T00:04:37Z");
}

BOOST_AUTO_TEST_SUITE_END()

// Deterministic mutation fuzzing of the parsers that read bytes from the network or the config:
// Location headers, URLs, host:port, status ranges, header lists, certificate times and compressed
// bodies. Seeds are valid inputs; each round flips, inserts, deletes or splices bytes with a fixed
// PRNG seed, so a failure reproduces. Run under ASan+UBSan with the unit label; it checks that
// nothing crashes or throws and that what parses is well-formed.
#define BOOST_TEST_MODULE http_timing_fuzz
#include <boost/test/unit_test.hpp>

#include "cert_dates.hpp"
#include "content_decoder.hpp"
#include "header_list.hpp"
#include "status_ranges.hpp"
#include "url.hpp"
#include "zlib_compress.hpp"

#include "tests/support/fuzz_mutator.hpp"

#include <string>
#include <vector>

using namespace streamswarm::http_timing;
using http_timing_test::gzip;
using streamswarm::testsupport::FuzzMutator;

namespace {

// Rounds per parser: enough to reach the error branches of each, fast under ASan.
constexpr int kRounds = 20000;

// Bytes the URL, header and range parsers treat specially.
FuzzMutator mutator(std::uint32_t seed) {
  return FuzzMutator(seed, {"/", ":", "[", "]", "@", "?",    "#",    ".", "%", " ", "\r", "\n", std::string(1, '\0'),
                            "-", "x", "0", "9", "Z", "\x80", "\xff", ",", "\t"});
}

void requireWellFormed(const Url& u, const std::string& input) {
  BOOST_TEST_REQUIRE(!u.target.empty(), input);
  BOOST_TEST_REQUIRE(u.target.front() == '/', input);
  for (const char c : u.target) {
    const auto b = static_cast<unsigned char>(c);
    BOOST_TEST_REQUIRE((b > 0x20 && b < 0x7f), "unsafe byte in target of " << input);
  }
  BOOST_TEST_REQUIRE(!u.host.empty(), input);
  BOOST_TEST_REQUIRE(u.port != 0, input);
  // A parsed URL prints to text that parses back to the same URL.
  const auto again = parseUrl(u.text());
  BOOST_TEST_REQUIRE(again.value.has_value(), u.text() << ": " << again.error);
  BOOST_TEST_REQUIRE((*again.value == u), u.text());
}

}  // namespace

BOOST_AUTO_TEST_CASE(urls_and_locations) {
  const std::vector<std::string> seeds{"http://example.com/a/b?c=d#e", "https://[::1]:8443/x", "http://127.0.0.1:80/",
                                       "HTTPS://Host.Example:1/p%20q", "/relative/path?x",     "../up/../and/./down",
                                       "//cdn.example/asset.js",       "?only=query",          "http://h:/"};
  const auto base = *parseUrl("https://base.example:8443/dir/page?q=1").value;
  auto m = mutator(1);
  for (int i = 0; i < kRounds; ++i) {
    const auto input = m.mutate(seeds);
    if (const auto u = parseUrl(input); u.value) requireWellFormed(*u.value, input);
    if (const auto u = resolveLocation(base, input); u.value)
      requireWellFormed(*u.value, input);
    else
      BOOST_TEST_REQUIRE(!u.error.empty());
  }
}

BOOST_AUTO_TEST_CASE(host_ports_and_names) {
  const std::vector<std::string> seeds{"db.example:5432", "[2001:db8::1]:443", "10.0.0.1:22", "host.example"};
  auto m = mutator(2);
  for (int i = 0; i < kRounds; ++i) {
    const auto input = m.mutate(seeds);
    if (const auto hp = parseHostPort(input); hp.value) {
      BOOST_TEST_REQUIRE(hp.value->port != 0);
      BOOST_TEST_REQUIRE(!hp.value->host.empty());
    }
    if (const auto name = parseHostName(input); name.value) BOOST_TEST_REQUIRE(!name.value->empty());
  }
}

BOOST_AUTO_TEST_CASE(status_ranges_and_header_lists) {
  const std::vector<std::string> seeds{"200-299", "301", "4xx", "X-Token: abc", "Accept: a/b", "text/plain"};
  auto m = mutator(3);
  for (int i = 0; i < kRounds; ++i) {
    const auto a = m.mutate(seeds);
    const auto b = m.mutate(seeds);
    if (const auto r = StatusRanges::parse({a, b}); r.value) {
      BOOST_TEST_REQUIRE(!r.value->text().empty());
      BOOST_TEST_REQUIRE(!r.value->contains(99));
      BOOST_TEST_REQUIRE(!r.value->contains(600));
    }
    if (const auto h = parseHeaderList({a, b}); h.value)
      for (const auto& header : *h.value) {
        BOOST_TEST_REQUIRE(!header.name.empty());
        BOOST_TEST_REQUIRE(header.value.find_first_of("\r\n") == std::string::npos);
      }
  }
}

BOOST_AUTO_TEST_CASE(certificate_times) {
  const std::vector<std::string> seeds{"250131235959Z", "20500101000000Z", "491231235959Z", "20240229120000Z"};
  auto m = mutator(4);
  for (int i = 0; i < kRounds; ++i) {
    const auto input = m.mutate(seeds);
    for (const bool generalized : {false, true})
      if (const auto t = parseAsn1Time(input, generalized)) BOOST_TEST_REQUIRE(rfc3339(*t).size() == 20u);
  }
}

BOOST_AUTO_TEST_CASE(compressed_bodies) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "body line " + std::to_string(i) + "\n";
  const std::vector<std::string> seeds{gzip(text), gzip("short"), gzip(std::string(5000, 'z'))};
  constexpr std::uint64_t kLimit = 4096;
  auto m = mutator(5);
  for (int i = 0; i < kRounds / 10; ++i) {
    const auto input = m.mutate(seeds);
    for (const auto encoding : {ContentEncoding::kGzip, ContentEncoding::kDeflate}) {
      std::uint64_t seen = 0;
      ContentDecoder decoder(encoding, kLimit, [&](std::string_view piece) { seen += piece.size(); });
      std::optional<std::string> error;
      for (std::size_t at = 0; at < input.size() && !error; at += 97)
        error = decoder.write(std::string_view(input).substr(at, 97));
      if (!error) error = decoder.finish();
      BOOST_TEST_REQUIRE(seen == decoder.decodedBytes());
      BOOST_TEST_REQUIRE(seen <= kLimit);
    }
  }
}

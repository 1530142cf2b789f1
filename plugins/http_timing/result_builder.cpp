#include "result_builder.hpp"

#include <streamswarm/document.hpp>

#include <algorithm>
#include <cmath>

namespace streamswarm::http_timing {
namespace {

constexpr auto kGauge = SS_METRIC_GAUGE;
constexpr auto kCounter = SS_METRIC_COUNTER;

constexpr ss_metric_def kMetrics[] = {
    metric("success", "bool", kGauge, "1 when every phase and check passed, else 0"),
    metric("dns_ms", "ms", kGauge, "Name resolution (getaddrinfo), summed over hops; 0 for an IP literal"),
    metric("connect_ms", "ms", kGauge, "TCP handshake, every address tried, summed over hops"),
    metric("tls_ms", "ms", kGauge, "TLS handshake, summed over hops; only when a hop used https"),
    metric("request_ms", "ms", kGauge, "Writing the request, summed over hops"),
    metric("ttfb_ms", "ms", kGauge,
           "Request written -> first response byte (server think time + one round trip), summed over hops"),
    metric("transfer_ms", "ms", kGauge, "First response byte -> last body byte, summed over hops"),
    metric("total_ms", "ms", kGauge, "Start of the probe -> its end (or failure), redirects included"),
    metric("redirect_ms", "ms", kGauge, "Time spent before the final hop began (curl's time_redirect)"),
    metric("status_code", "code", kGauge, "Status code of the final response"),
    metric("http_version", "version", kGauge, "HTTP version of the final response: 1.0 or 1.1"),
    metric("header_bytes", "bytes", kGauge, "Status line and headers of the final response"),
    metric("body_bytes", "bytes", kGauge, "Final body as transferred (compressed; chunk framing removed)"),
    metric("body_decoded_bytes", "bytes", kGauge, "Final body after gzip/deflate decoding"),
    metric("redirects", "count", kCounter, "Redirects followed"),
    metric("connections_opened", "count", kCounter, "TCP connections opened, over all hops"),
    metric("connection_reused", "bool", kGauge, "1 when the final hop reused the connection of an earlier hop"),
    metric("status_ok", "bool", kGauge, "1 when the final status is in expect_status"),
    metric("body_ok", "bool", kGauge, "1 when the final body matches expect_body/expect_regex; only when set"),
    metric("tls.version", "version", kGauge, "TLS version of the final connection: 1.2 or 1.3"),
    metric("tls.verified", "bool", kGauge, "1 when the chain verifies and the certificate matches the host"),
    metric("tls.hostname_verified", "bool", kGauge, "1 when the leaf certificate is valid for the host"),
    metric("tls.leaf_expiry_days", "days", kGauge, "Days until the leaf certificate expires; negative once expired"),
    metric("tls.chain_expiry_days", "days", kGauge, "Days until the earliest-expiring presented certificate expires"),
    metric("addresses", "count", kGauge, "Addresses resolved (mode dns)"),
};

// Microseconds are what the clock reads are good for; more digits are noise in every line.
double rounded(double v) {
  return std::round(v * 1000) / 1000;
}

void writeTimings(JsonWriter& w, const HopTimings& t, std::optional<double> redirectMs = std::nullopt) {
  w.beginObject();
  for (std::size_t i = 0; i < kTimedPhaseCount; ++i)
    if (t.ms[i]) w.field(phaseName(static_cast<Phase>(i)), rounded(*t.ms[i]));
  if (redirectMs) w.field("redirect", rounded(*redirectMs));
  w.field("total", rounded(t.totalMs));
  w.endObject();
}

std::string versionText(int v) {
  return std::to_string(v / 10) + "." + std::to_string(v % 10);
}

void writeCert(JsonWriter& w, const CertInfo& c, std::chrono::system_clock::time_point now, bool full) {
  w.beginObject().field("subject", c.subject).field("issuer", c.issuer);
  if (full) {
    w.key("sans").beginArray();
    for (const auto& san : c.sans) w.value(san);
    w.endArray();
    w.field("serial", c.serial);
    if (c.notBefore) w.field("not_before", rfc3339(*c.notBefore));
  }
  if (c.notAfter) w.field("not_after", rfc3339(*c.notAfter)).field("expiry_days", rounded(daysUntil(*c.notAfter, now)));
  w.endObject();
}

std::optional<double> earliestExpiryDays(const TlsInfo& tls, std::chrono::system_clock::time_point now) {
  std::optional<double> out;
  for (const auto& c : tls.chain)
    if (c.notAfter) out = std::min(out.value_or(daysUntil(*c.notAfter, now)), daysUntil(*c.notAfter, now));
  return out;
}

// The full record for the final connection; a hop gets a summary (its leaf and verdict).
void writeTls(JsonWriter& w, const TlsInfo& tls, std::chrono::system_clock::time_point now, bool full) {
  w.beginObject().field("version", tls.version).field("cipher", tls.cipher).field("sni", tls.sni);
  if (full) w.field("alpn", tls.alpn).field("trust_store", tls.trustStore);
  w.field("verified", tls.verified());
  if (full)
    w.field("chain_verified", tls.chainVerified)
        .field("hostname_verified", tls.hostnameVerified)
        .field("verification_skipped", tls.verificationSkipped);
  if (!tls.verifyError.empty())
    w.field("verify_error", tls.verifyError).field("verify_error_depth", tls.verifyErrorDepth);
  if (!tls.chain.empty() && full) {
    w.key("leaf");
    writeCert(w, tls.chain.front(), now, true);
    w.key("chain").beginArray();
    for (const auto& c : tls.chain) writeCert(w, c, now, false);
    w.endArray();
  } else if (!tls.chain.empty()) {
    w.field("leaf_subject", tls.chain.front().subject);
  }
  if (!tls.chain.empty() && tls.chain.front().notAfter)
    w.field("leaf_expiry_days", rounded(daysUntil(*tls.chain.front().notAfter, now)));
  if (const auto days = earliestExpiryDays(tls, now); days && full) w.field("chain_expiry_days", rounded(*days));
  w.endObject();
}

void writeHop(JsonWriter& w, const HopRecord& hop, std::chrono::system_clock::time_point now) {
  w.beginObject().field("url", hop.url).field("method", hop.method);
  if (!hop.remoteAddress.empty())
    w.field("remote_address", hop.remoteAddress).field("remote_port", static_cast<std::int64_t>(hop.remotePort));
  w.field("connect_attempts", hop.connectAttempts).field("connection_reused", hop.connectionReused);
  w.key("timings_ms");
  writeTimings(w, hop.timings);
  if (hop.status) {
    w.field("status_code", *hop.status).field("http_version", versionText(hop.httpVersion));
    if (!hop.location.empty()) w.field("location", hop.location);
    if (!hop.contentEncoding.empty()) w.field("content_encoding", hop.contentEncoding);
    w.field("header_bytes", hop.headerBytes).field("body_bytes", hop.bodyBytes);
    if (hop.decoded) w.field("body_decoded_bytes", hop.decodedBytes);
    w.field("wire_bytes", hop.wireBytes).field("keep_alive", hop.keepAlive);
  }
  if (hop.tls) {
    w.key("tls");
    writeTls(w, *hop.tls, now, false);
  }
  w.endObject();
}

// The TLS session the final response came over: the latest handshake, when the final URL is https.
const TlsInfo* finalTls(const ProbeOutcome& o) {
  if (o.hops.empty() || o.hops.back().url.rfind("https://", 0) != 0) return nullptr;
  for (auto it = o.hops.rbegin(); it != o.hops.rend(); ++it)
    if (it->tls) return &*it->tls;
  return nullptr;
}

void tlsMetrics(Result& r, const TlsInfo& tls, std::chrono::system_clock::time_point now) {
  if (const auto v = tlsVersionNumber(tls.version)) r.metric("tls.version", *v);
  r.metric("tls.verified", tls.verified() ? 1 : 0);
  r.metric("tls.hostname_verified", tls.hostnameVerified ? 1 : 0);
  if (!tls.chain.empty() && tls.chain.front().notAfter)
    r.metric("tls.leaf_expiry_days", rounded(daysUntil(*tls.chain.front().notAfter, now)));
  if (const auto days = earliestExpiryDays(tls, now)) r.metric("tls.chain_expiry_days", rounded(*days));
}

}  // namespace

std::span<const ss_metric_def> metricDefs() {
  return kMetrics;
}

std::optional<double> tlsVersionNumber(std::string_view version) {
  if (version.rfind("TLSv", 0) != 0) return std::nullopt;
  const auto number = version.substr(4);
  if (number == "1") return 1.0;
  if (number.size() == 3 && number[0] >= '1' && number[0] <= '9' && number[1] == '.' && number[2] >= '0' &&
      number[2] <= '9')
    return (number[0] - '0') + (number[2] - '0') / 10.0;
  return std::nullopt;
}

Result buildResult(const ProbeOutcome& o) {
  Result r;
  r.target = o.target;
  if (o.failure) r.error = std::string(phaseName(o.failure->phase)) + ": " + o.failure->reason;

  std::vector<HopTimings> hopTimings;
  for (const auto& hop : o.hops) hopTimings.push_back(hop.timings);
  const auto sums = sumTimings(hopTimings);

  r.metric("success", o.failure ? 0 : 1);
  for (std::size_t i = 0; i < kTimedPhaseCount; ++i)
    if (sums.ms[i]) r.metric(std::string(phaseName(static_cast<Phase>(i))) + "_ms", rounded(*sums.ms[i]));
  r.metric("total_ms", rounded(o.totalMs));

  const HopRecord* final = o.hops.empty() ? nullptr : &o.hops.back();
  const TlsInfo* tls = finalTls(o);
  if (o.mode == Mode::kHttp) {
    r.metric("redirect_ms", rounded(o.redirectMs));
    r.metric("redirects", o.redirects);
    r.metric("connections_opened", o.connectionsOpened);
    if (final) r.metric("connection_reused", final->connectionReused ? 1 : 0);
    if (final && final->status) {
      r.metric("status_code", *final->status);
      r.metric("http_version", final->httpVersion / 10.0);
      r.metric("header_bytes", static_cast<double>(final->headerBytes));
      r.metric("body_bytes", static_cast<double>(final->bodyBytes));
      if (final->decoded) r.metric("body_decoded_bytes", static_cast<double>(final->decodedBytes));
    }
    if (o.statusOk) r.metric("status_ok", *o.statusOk ? 1 : 0);
    if (o.body) r.metric("body_ok", o.body->ok ? 1 : 0);
    if (tls) tlsMetrics(r, *tls, o.wallStart);
  } else if (o.mode == Mode::kDns) {
    r.metric("addresses", static_cast<double>(o.addresses.size()));
  }

  JsonWriter w;
  w.beginObject().field("mode", modeName(o.mode)).field("target", o.target).field("success", !o.failure);
  if (o.failure) w.field("failed_phase", phaseName(o.failure->phase)).field("error", o.failure->reason);
  w.key("timings_ms");
  auto summary = sums;
  summary.totalMs = o.totalMs;
  writeTimings(w, summary, o.mode == Mode::kHttp ? std::optional<double>(o.redirectMs) : std::nullopt);
  if (o.mode == Mode::kDns) {
    w.key("addresses").beginArray();
    for (const auto& a : o.addresses) w.value(a);
    w.endArray();
  } else if (o.mode == Mode::kTcp) {
    if (final && !final->remoteAddress.empty())
      w.field("remote_address", final->remoteAddress)
          .field("remote_port", static_cast<std::int64_t>(final->remotePort))
          .field("connect_attempts", final->connectAttempts);
  } else {
    if (final) w.field("final_url", final->url);
    if (final && final->status)
      w.field("status_code", *final->status).field("http_version", versionText(final->httpVersion));
    w.field("redirects", o.redirects).field("connections_opened", o.connectionsOpened);
    w.key("checks").beginObject();
    w.key("status").beginObject().field("expected", o.expectedStatus);
    if (o.statusOk) w.field("ok", *o.statusOk);
    w.endObject();
    if (o.body) {
      w.key("body").beginObject().field("ok", o.body->ok);
      if (!o.body->ok) w.field("reason", o.body->reason);
      w.endObject();
    }
    w.endObject();
    if (tls) {
      w.key("tls");
      writeTls(w, *tls, o.wallStart, true);
    }
    w.key("hops").beginArray();
    for (const auto& hop : o.hops) writeHop(w, hop, o.wallStart);
    w.endArray();
  }
  r.document = w.endObject().str();
  return r;
}

}  // namespace streamswarm::http_timing

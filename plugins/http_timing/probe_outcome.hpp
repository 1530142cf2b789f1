// What one probe of one target found, as plain data: the I/O part fills it in, the result builder
// turns it into metrics and the result document. Nothing here does I/O.
#pragma once

#include "body_check.hpp"
#include "cert_dates.hpp"
#include "phase_timings.hpp"
#include "probe_config.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace streamswarm::http_timing {

struct CertInfo {
  std::string subject;            // RFC 2253 form, "CN=example.com,O=Example"
  std::string issuer;             // same form
  std::vector<std::string> sans;  // "DNS:example.com", "IP:127.0.0.1", ...
  std::string serial;             // hex
  std::optional<SysSeconds> notBefore;
  std::optional<SysSeconds> notAfter;
};

struct TlsInfo {
  std::string version;          // "TLSv1.3"
  std::string cipher;           // "TLS_AES_256_GCM_SHA384"
  std::string alpn;             // negotiated protocol, empty when none
  std::string sni;              // server name sent; empty for an IP literal (RFC 6066 forbids those)
  std::vector<CertInfo> chain;  // as the server presented it, leaf first
  std::string trustStore;       // "system" or the ca_file path
  bool chainVerified = false;
  std::string verifyError;  // OpenSSL's text for the first chain error (X509_verify_cert_error_string)
  int verifyErrorDepth = -1;
  bool hostnameVerified = false;
  bool verificationSkipped = false;  // insecure_skip_verify: reported, not enforced

  bool verified() const { return chainVerified && hostnameVerified; }
  // Why verification failed, for the error text; empty when it passed.
  std::string verifyFailure(const std::string& host) const;
};

// One request/response exchange; a redirect adds another.
struct HopRecord {
  std::string url;
  std::string method;
  std::string remoteAddress;
  std::uint16_t remotePort = 0;
  int connectAttempts = 0;  // addresses tried (all of them when every one failed)
  bool connectionReused = false;
  HopTimings timings;
  std::optional<int> status;
  int httpVersion = 0;  // 10 or 11
  std::string location;
  std::string contentEncoding;  // as received; empty for none
  bool decoded = false;         // the body was decoded (identity, gzip or deflate)
  bool keepAlive = false;
  std::uint64_t headerBytes = 0;   // status line and headers
  std::uint64_t bodyBytes = 0;     // body as sent: after chunked framing is removed, before decoding
  std::uint64_t decodedBytes = 0;  // body after gzip/deflate decoding
  std::uint64_t wireBytes = 0;     // everything read for this response, chunk framing included
  std::optional<TlsInfo> tls;      // set on the hop that made the TLS handshake
};

struct Failure {
  Phase phase;
  std::string reason;
};

struct ProbeOutcome {
  Mode mode = Mode::kHttp;
  std::string target;
  std::chrono::system_clock::time_point wallStart;  // certificate expiry is counted from here
  std::vector<HopRecord> hops;
  std::vector<std::string> addresses;  // mode dns: every address resolved
  std::optional<Failure> failure;
  double totalMs = 0;
  double redirectMs = 0;  // from the start to the final hop's start (curl's time_redirect)
  int redirects = 0;
  int connectionsOpened = 0;
  std::string expectedStatus;  // the expect_status ranges, as text
  std::optional<bool> statusOk;
  std::optional<BodyCheck::Outcome> body;
};

}  // namespace streamswarm::http_timing

// What a finished TLS handshake shows: protocol, cipher, the presented certificates and the
// verification verdict. OpenSSL in, plain data (TlsInfo) out.
#pragma once

#include "probe_outcome.hpp"
#include "url.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace streamswarm::http_timing {

// The verify callback of one connection. It lets the handshake finish whatever the verdict, so the
// certificates can be reported (the probe fails afterwards unless insecure_skip_verify), and keeps
// the first error OpenSSL found.
class VerifyRecorder {
 public:
  bool record(bool preverified, boost::asio::ssl::verify_context& context);

  bool failed() const { return error_ != X509_V_OK; }
  int error() const { return error_; }
  int depth() const { return depth_; }

 private:
  int error_ = X509_V_OK;
  int depth_ = -1;
};

// The client context of one plugin instance: trust store (the system's, or ca_file), peer
// verification on, ALPN "http/1.1" (the probe speaks HTTP/1.1 only). Throws ConfigError naming
// ca_file when it cannot be loaded.
boost::asio::ssl::context makeClientContext(const std::string& caFile);

// The client context, made when first needed: initialising OpenSSL and its trust store costs an
// instance that probes only http:// URLs over a megabyte it would never use. `eager` makes it at
// once, so a bad ca_file or an https target is checked when the plugin starts.
class LazyTlsContext {
 public:
  LazyTlsContext(std::string caFile, bool eager) : caFile_(std::move(caFile)) {
    if (eager) get();
  }
  boost::asio::ssl::context& get() {
    if (!context_) context_ = std::make_unique<boost::asio::ssl::context>(makeClientContext(caFile_));
    return *context_;
  }

 private:
  std::string caFile_;
  std::unique_ptr<boost::asio::ssl::context> context_;
};

CertInfo certInfo(X509* cert);
TlsInfo inspectTls(SSL* ssl, const Url& url, const VerifyRecorder& recorder, const std::string& trustStore);

}  // namespace streamswarm::http_timing

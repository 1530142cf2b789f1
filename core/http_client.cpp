#include "core/http_client.hpp"

#include "core/error.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace streamswarm::core {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::shared_ptr<asio::ssl::context> makeTlsContext(const std::optional<std::filesystem::path>& caFile) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (caFile) {
    ctx->load_verify_file(caFile->string(), ec);
    if (ec) throw Error(caFile->string() + ": cannot load the CA certificates: " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) throw Error("cannot load the system's trusted CA certificates: " + ec.message());
  }
  return ctx;
}

HttpClient::HttpClient(asio::io_context& io, ServerUrl url, std::shared_ptr<asio::ssl::context> tls,
                       std::string userAgent)
    : io_(io),
      url_(std::move(url)),
      tlsContext_(std::move(tls)),
      userAgent_(std::move(userAgent)),
      resolver_(io),
      resolveTimer_(io) {
  if (url_.tls && !tlsContext_) throw Error("internal: an https server URL needs a TLS context");
}

beast::tcp_stream& HttpClient::lowest() {
  return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_;
}

template <class F>
void HttpClient::withStream(F&& f) {
  if (tls_)
    f(*tls_);
  else
    f(*tcp_);
}

void HttpClient::request(http::verb method, std::string target, std::string body, std::chrono::milliseconds timeout,
                         Handler done) {
  done_ = std::move(done);
  deadline_ = std::chrono::steady_clock::now() + timeout;
  request_ = {};
  request_.method(method);
  request_.target(target);
  request_.version(11);
  request_.set(http::field::host, url_.hostHeader());
  request_.set(http::field::user_agent, userAgent_);
  if (!bearer_.empty()) request_.set(http::field::authorization, "Bearer " + bearer_);
  if (method != http::verb::get) {
    request_.set(http::field::content_type, "application/json");
    request_.body() = std::move(body);
  }
  request_.keep_alive(true);
  request_.prepare_payload();
  retried_ = false;
  if (connected_) {
    reused_ = true;
    send();
  } else {
    connect();
  }
}

void HttpClient::connect() {
  dropConnection();
  reused_ = false;
  // The resolver has no deadline of its own: a timer cancels it.
  resolveTimer_.expires_at(deadline_);
  resolveTimer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->resolver_.cancel();
  });
  resolver_.async_resolve(url_.host, std::to_string(url_.port),
                          [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
                            self->resolveTimer_.cancel();
                            if (ec) {
                              self->fail("resolve " + self->url_.host,
                                         ec == asio::error::operation_aborted ? beast::error::timeout : ec);
                              return;
                            }
                            self->onResolved(std::move(r));
                          });
}

void HttpClient::onResolved(tcp::resolver::results_type endpoints) {
  tls_.reset();  // no operation is pending on a connection being replaced
  tcp_ = std::make_unique<beast::tcp_stream>(io_);
  tcp_->expires_at(deadline_);
  tcp_->async_connect(endpoints, [self = shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
    if (ec) {
      self->fail("connect to " + self->url_.describe(), ec);
      return;
    }
    self->tcp_->socket().set_option(tcp::no_delay(true), ec);
    self->onConnected();
  });
}

void HttpClient::onConnected() {
  if (!url_.tls) {
    connected_ = true;
    send();
    return;
  }
  tls_ = std::make_unique<TlsStream>(std::move(*tcp_), *tlsContext_);
  tcp_.reset();
  SSL* ssl = tls_->native_handle();
  boost::system::error_code notAddress;
  asio::ip::make_address(url_.host, notAddress);
  if (notAddress) {
    // A name: send it as SNI and require it in the certificate.
    SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    SSL_set1_host(ssl, url_.host.c_str());
  } else {
    // An IP literal: no SNI (RFC 6066), and the certificate must name the address.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str());
  }
  lowest().expires_at(deadline_);
  tls_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec) {
      self->fail("TLS handshake with " + self->url_.describe(), ec);
      return;
    }
    self->connected_ = true;
    self->send();
  });
}

void HttpClient::send() {
  parser_.emplace();
  parser_->body_limit(kMaxResponseBody);
  parser_->header_limit(kMaxResponseHeader);
  lowest().expires_at(deadline_);
  withStream([this](auto& stream) {
    http::async_write(stream, request_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        self->fail("send to " + self->url_.describe(), ec);
        return;
      }
      self->withStream([&self](auto& s) {
        http::async_read(s, self->buffer_, *self->parser_, [self](boost::system::error_code readError, std::size_t) {
          if (readError) {
            self->fail("response from " + self->url_.describe(), readError);
            return;
          }
          self->finish();
        });
      });
    });
  });
}

void HttpClient::finish() {
  auto message = parser_->release();
  parser_.reset();
  if (!message.keep_alive()) dropConnection();
  HttpResponse r;
  r.status = message.result_int();
  r.body = std::move(message.body());
  if (auto done = std::exchange(done_, nullptr)) done(std::move(r));
}

void HttpClient::fail(const std::string& phase, boost::system::error_code ec) {
  // A kept-alive connection the server closed meanwhile fails before any response byte: that is
  // no answer from the server, so the request goes once more on a new connection.
  const bool noResponse = !parser_ || !parser_->got_some();
  const bool stale = ec == http::error::end_of_stream || ec == asio::error::eof ||
                     ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                     ec == asio::ssl::error::stream_truncated;
  if (reused_ && !retried_ && noResponse && stale && std::chrono::steady_clock::now() < deadline_) {
    retried_ = true;
    connect();
    return;
  }
  dropConnection();
  parser_.reset();
  HttpResponse r;
  r.error = phase + ": " + (ec == beast::error::timeout ? std::string("timed out") : ec.message());
  if (auto done = std::exchange(done_, nullptr)) done(std::move(r));
}

void HttpClient::dropConnection() {
  connected_ = false;
  boost::system::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (tcp_) tcp_->socket().close(ignored);
  // The streams stay until their pending handlers ran; they are replaced on the next connect.
  buffer_.clear();
}

void HttpClient::close() {
  // The handler may hold its owner, which holds this client: dropping it breaks the cycle.
  done_ = nullptr;
  resolver_.cancel();
  resolveTimer_.cancel();
  dropConnection();
}

}  // namespace streamswarm::core

// A small synchronous HTTP/1.1 client for tests (Boost.Beast): one keep-alive connection to one
// server, plain or TLS (verified against a CA file), every operation bounded by a timeout.
// Header-only; link OpenSSL::SSL and OpenSSL::Crypto. Errors (connect, TLS verification, timeout)
// throw std::runtime_error; any HTTP status is a normal HttpResponse.
//
//   HttpClient admin("http://127.0.0.1:" + port);
//   admin.setBearer(token);
//   auto r = admin.post("/api/v1/tests", R"({"plugin":"ping",...})");
//   if (r.status != 201) ... r.body ... r.header("Allow")
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace streamswarm::testsupport {

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (boost::beast::iequals(k, name)) return v;
    return {};
  }
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  struct Options {
    std::optional<std::filesystem::path> caFile;                  // https: trust only this CA (default: system store)
    std::chrono::milliseconds timeout{std::chrono::seconds(40)};  // per operation (connect, write, read)
    std::size_t maxResponseBytes = 256 * 1024 * 1024;
  };

  // `baseUrl`: "http://host:port" or "https://host:port" (no path).
  explicit HttpClient(const std::string& baseUrl) : HttpClient(baseUrl, Options{}) {}
  HttpClient(const std::string& baseUrl, Options options)
      : options_(std::move(options)), tlsContext_(boost::asio::ssl::context::tls_client) {
    std::string rest;
    if (baseUrl.starts_with("http://")) {
      rest = baseUrl.substr(7);
    } else if (baseUrl.starts_with("https://")) {
      tls_ = true;
      rest = baseUrl.substr(8);
    } else {
      throw std::runtime_error("HttpClient: '" + baseUrl + "' is not an http:// or https:// URL");
    }
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || rest.find('/') != std::string::npos)
      throw std::runtime_error("HttpClient: '" + baseUrl + "' needs the form scheme://host:port");
    host_ = rest.substr(0, colon);
    port_ = rest.substr(colon + 1);
    if (host_.size() >= 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    if (tls_) {
      tlsContext_.set_verify_mode(boost::asio::ssl::verify_peer);
      if (options_.caFile)
        tlsContext_.load_verify_file(options_.caFile->string());
      else
        tlsContext_.set_default_verify_paths();
    }
  }

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient() { close(); }

  // Sent as "Authorization: Bearer <token>" with every request (empty: none).
  void setBearer(std::string token) { bearer_ = std::move(token); }

  HttpResponse get(const std::string& target, const Headers& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post(const std::string& target, const std::string& body = {}, const Headers& headers = {}) {
    return request("POST", target, body, headers);
  }
  HttpResponse del(const std::string& target, const Headers& headers = {}) {
    return request("DELETE", target, {}, headers);
  }

  // Content-Type defaults to application/json when there is a body; `headers` override defaults.
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                       const Headers& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_ + ":" + port_);
    req.set(http::field::user_agent, "streamswarm-test-client");
    if (!bearer_.empty()) req.set(http::field::authorization, "Bearer " + bearer_);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    req.keep_alive(true);
    // A kept-alive connection the server has closed meanwhile fails before any answer: once,
    // open a new one and try again.
    const bool reused = connected();
    try {
      return exchange([&](auto& stream, auto done) { http::async_write(stream, req, done); });
    } catch (const StaleConnection&) {
      if (!reused) throw std::runtime_error("HttpClient: connection closed before any response");
      return exchange([&](auto& stream, auto done) { http::async_write(stream, req, done); });
    }
  }

  // Sends `bytes` as they are (malformed or hand-made requests) and reads one response.
  HttpResponse raw(const std::string& bytes) {
    return exchange(
        [&](auto& stream, auto done) { boost::asio::async_write(stream, boost::asio::buffer(bytes), done); });
  }

  bool connected() const { return plain_.has_value() || secure_.has_value(); }

  void close() {
    boost::beast::error_code ec;
    if (plain_) plain_->socket().close(ec);
    if (secure_) boost::beast::get_lowest_layer(*secure_).socket().close(ec);
    plain_.reset();
    secure_.reset();
    buffer_.clear();
  }

 private:
  struct StaleConnection : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  // Runs one asynchronous operation to completion or the timeout.
  template <class Start>
  boost::beast::error_code runOp(Start&& start) {
    std::optional<boost::beast::error_code> result;
    start([&result](boost::beast::error_code ec, std::size_t = 0) { result = ec; });
    // Until this operation's handler ran (a stream's cancelled timer may still be queued).
    io_.restart();
    while (!result && io_.run_one() > 0) {
    }
    return result.value_or(boost::asio::error::operation_aborted);
  }

  template <class Stream>
  void expire(Stream& stream) {
    boost::beast::get_lowest_layer(stream).expires_after(options_.timeout);
  }

  void connect() {
    namespace asio = boost::asio;
    asio::ip::tcp::resolver resolver(io_);
    boost::beast::error_code ec;
    const auto endpoints = resolver.resolve(host_, port_, ec);
    if (ec) throw std::runtime_error("HttpClient: cannot resolve " + host_ + ": " + ec.message());
    boost::beast::tcp_stream* tcp = nullptr;
    if (tls_) {
      secure_.emplace(io_, tlsContext_);
      tcp = &boost::beast::get_lowest_layer(*secure_);
    } else {
      plain_.emplace(io_);
      tcp = &*plain_;
    }
    tcp->expires_after(options_.timeout);
    ec = runOp([&](auto done) { tcp->async_connect(endpoints, [done](auto e, auto) mutable { done(e); }); });
    if (ec) {
      close();
      throw std::runtime_error("HttpClient: cannot connect to " + host_ + ":" + port_ + ": " + ec.message());
    }
    if (!tls_) return;
    // SNI, and the certificate must name the host we asked for (an IP address or a DNS name).
    SSL_set_tlsext_host_name(secure_->native_handle(), host_.c_str());
    secure_->set_verify_callback(boost::asio::ssl::host_name_verification(host_));
    tcp->expires_after(options_.timeout);
    ec = runOp([&](auto done) { secure_->async_handshake(boost::asio::ssl::stream_base::client, done); });
    if (ec) {
      close();
      throw std::runtime_error("HttpClient: TLS handshake with " + host_ + ":" + port_ + " failed: " + ec.message());
    }
  }

  template <class Send>
  HttpResponse exchange(Send&& send) {
    if (!connected()) connect();
    if (tls_) return exchangeOn(*secure_, send);
    return exchangeOn(*plain_, send);
  }

  template <class Stream, class Send>
  HttpResponse exchangeOn(Stream& stream, Send& send) {
    namespace http = boost::beast::http;
    expire(stream);
    const auto writeError = runOp([&](auto done) { send(stream, done); });
    // A server that refuses a request early (413) may close before the body is all sent; its
    // answer is still there to read.
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.maxResponseBytes);
    expire(stream);
    const auto readError = runOp([&](auto done) { http::async_read(stream, buffer_, parser, done); });
    if (readError) {
      close();
      if (readError == boost::beast::error::timeout)
        throw std::runtime_error("HttpClient: no response within " + std::to_string(options_.timeout.count()) + " ms");
      if (readError == http::error::end_of_stream || readError == boost::asio::error::connection_reset ||
          readError == boost::asio::error::eof)
        throw StaleConnection("HttpClient: connection closed: " + readError.message() +
                              (writeError ? " (write: " + writeError.message() + ")" : ""));
      throw std::runtime_error("HttpClient: reading the response failed: " + readError.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& field : res)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (!res.keep_alive()) close();
    return out;
  }

  Options options_;
  bool tls_ = false;
  std::string host_;
  std::string port_;
  std::string bearer_;
  boost::asio::io_context io_;
  boost::asio::ssl::context tlsContext_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace streamswarm::testsupport

#pragma once

#include "core/server_api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace streamswarm::core {

struct HttpResponse {
  std::string error;  // a transport failure (resolve, connect, TLS, timeout, reset); empty when a response came
  unsigned status = 0;
  std::string body;
  bool transportFailed() const { return !error.empty(); }
};

// Named limits of the agent's HTTP client.
inline constexpr std::size_t kMaxResponseBody = 16u * 1024 * 1024;  // a large test set
inline constexpr std::size_t kMaxResponseHeader = 16u * 1024;

// A client TLS context that verifies the server: against caFile when given, else the system's
// trust store; TLS 1.2 at least. Throws Error naming the file when it cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> makeTlsContext(const std::optional<std::filesystem::path>& caFile);

// One keep-alive HTTP/1.1 connection to the server, plain or TLS (SNI and a host-name or IP check
// of the certificate), asynchronous on the agent's io_context. One request at a time; a request
// that finds the kept-alive connection closed by the server is retried once on a fresh one.
class HttpClient : public std::enable_shared_from_this<HttpClient> {
 public:
  using Handler = std::function<void(HttpResponse)>;

  // tls must be set for an https URL.
  HttpClient(boost::asio::io_context& io, ServerUrl url, std::shared_ptr<boost::asio::ssl::context> tls,
             std::string userAgent);

  void setBearer(std::string token) { bearer_ = std::move(token); }
  // Call again only once `done` ran. The timeout bounds the whole exchange: resolving,
  // connecting, the TLS handshake, sending and receiving.
  void request(boost::beast::http::verb method, std::string target, std::string body, std::chrono::milliseconds timeout,
               Handler done);
  // Drops the connection and abandons a request in flight: its handler is not called.
  void close();

 private:
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  void connect();
  void onResolved(boost::asio::ip::tcp::resolver::results_type endpoints);
  void onConnected();
  void send();
  void finish();
  void fail(const std::string& phase, boost::system::error_code ec);
  void dropConnection();
  boost::beast::tcp_stream& lowest();
  template <class F>
  void withStream(F&& f);

  boost::asio::io_context& io_;
  ServerUrl url_;
  std::shared_ptr<boost::asio::ssl::context> tlsContext_;
  std::string userAgent_;
  std::string bearer_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer resolveTimer_;
  std::unique_ptr<boost::beast::tcp_stream> tcp_;
  std::unique_ptr<TlsStream> tls_;
  bool connected_ = false;
  bool reused_ = false;   // this request went out on a connection kept alive from before
  bool retried_ = false;  // ... and was already sent again on a fresh one
  std::chrono::steady_clock::time_point deadline_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  Handler done_;
};

}  // namespace streamswarm::core

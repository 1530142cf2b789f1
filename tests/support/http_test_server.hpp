// A scriptable HTTP/1.1 server for tests: real sockets on a loopback address and port 0, plain or
// TLS, responses chosen per path by the test, with a known delay before the first byte, a body
// trickled in timed pieces, chunked or close-delimited framing, or raw bytes. It runs on its own
// thread (Asio coroutines, one io_context) and records every request with its measured think time.
//
//   HttpTestServer server;  // 127.0.0.1, plain HTTP
//   server.route("/slow", [](const HttpTestRequest&) {
//     HttpTestResponse r;
//     r.body = "done";
//     r.firstByteDelay = std::chrono::milliseconds(200);
//     return r;
//   });
//   std::string url = server.url("/slow");
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace streamswarm::testsupport {

struct HttpTestRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::uint64_t connection = 0;       // which accepted connection carried it: 1, 2, ...
  std::chrono::nanoseconds think{0};  // request fully read -> first response byte handed to the socket

  std::string path() const { return target.substr(0, target.find('?')); }
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          }))
        return v;
    return std::nullopt;
  }
};

struct HttpTestResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds firstByteDelay{0};  // wait this long before sending anything
  // Send the header at once, then the body in this many pieces, one every trickleInterval.
  std::size_t trickleChunks = 0;
  std::chrono::milliseconds trickleInterval{0};
  bool chunked = false;            // Transfer-Encoding: chunked (one chunk per piece)
  bool close = false;              // close the connection after this response
  bool lengthByClose = false;      // no Content-Length: the body ends when the connection closes
  std::optional<std::string> raw;  // send exactly these bytes instead, then close
};

class HttpTestServer {
 public:
  using Handler = std::function<HttpTestResponse(const HttpTestRequest&)>;
  struct TlsFiles {
    std::string certificateChain;  // PEM: leaf first, then intermediates
    std::string privateKey;
  };

  explicit HttpTestServer(const std::string& address = "127.0.0.1", std::optional<TlsFiles> tls = std::nullopt)
      : address_(address), acceptor_(io_) {
    namespace asio = boost::asio;
    if (tls) {
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(tls->certificateChain);
      tls_->use_private_key_file(tls->privateKey, asio::ssl::context::pem);
    }
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpTestServer() {
    io_.stop();
    thread_.join();
  }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Exact path match (the query is ignored); requests for other paths get 404.
  void route(const std::string& path, Handler handler) {
    std::lock_guard lock(mutex_);
    routes_[path] = std::move(handler);
  }

  std::uint16_t port() const { return port_; }
  std::string hostPort() const {
    return (address_.find(':') != std::string::npos ? "[" + address_ + "]" : address_) + ":" + std::to_string(port_);
  }
  std::string url(std::string_view path = "/") const {
    return std::string(tls_ ? "https://" : "http://") + hostPort() + std::string(path);
  }

  std::vector<HttpTestRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::uint64_t connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  using Tcp = boost::asio::ip::tcp;
  static constexpr auto kUse = boost::asio::as_tuple(boost::asio::use_awaitable);

  boost::asio::awaitable<void> acceptLoop() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUse);
      if (ec) co_return;
      std::uint64_t id = 0;
      {
        std::lock_guard lock(mutex_);
        id = ++connections_;
      }
      socket.set_option(Tcp::no_delay(true));
      boost::asio::co_spawn(io_, session(std::move(socket), id), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> session(Tcp::socket socket, std::uint64_t id) {
    if (!tls_) {
      co_await serve(socket, socket, id);
      co_return;
    }
    boost::asio::ssl::stream<Tcp::socket> stream(std::move(socket), *tls_);
    auto [ec] = co_await stream.async_handshake(boost::asio::ssl::stream_base::server, kUse);
    if (ec) co_return;  // the client gave up on the handshake (a test of verification failure)
    co_await serve(stream, stream.next_layer(), id);
  }

  static std::string reason(unsigned status) {
    static const std::map<unsigned, std::string> kReasons = {{200, "OK"},
                                                             {201, "Created"},
                                                             {204, "No Content"},
                                                             {301, "Moved Permanently"},
                                                             {302, "Found"},
                                                             {303, "See Other"},
                                                             {304, "Not Modified"},
                                                             {307, "Temporary Redirect"},
                                                             {308, "Permanent Redirect"},
                                                             {400, "Bad Request"},
                                                             {404, "Not Found"},
                                                             {500, "Internal Server Error"},
                                                             {503, "Service Unavailable"}};
    const auto it = kReasons.find(status);
    return it == kReasons.end() ? "Status" : it->second;
  }

  static std::string chunk(std::string_view piece) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    return size + std::string(piece) + "\r\n";
  }

  template <class Stream>
  boost::asio::awaitable<void> serve(Stream& stream, Tcp::socket& socket, std::uint64_t id) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    boost::asio::steady_timer timer(io_);
    while (true) {
      http::request<http::string_body> request;
      auto [readError, n] = co_await http::async_read(stream, buffer, request, kUse);
      if (readError) co_return;
      const auto readAt = std::chrono::steady_clock::now();
      HttpTestRequest recorded;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      for (const auto& field : request) recorded.headers.emplace_back(field.name_string(), field.value());
      recorded.body = request.body();
      recorded.connection = id;
      Handler handler;
      {
        std::lock_guard lock(mutex_);
        const auto it = routes_.find(recorded.path());
        if (it != routes_.end()) handler = it->second;
      }
      HttpTestResponse response;
      if (handler) {
        response = handler(recorded);
      } else {
        response.status = 404;
        response.body = "no route for " + recorded.path() + "\n";
      }
      const bool headRequest = request.method() == http::verb::head;

      // Pieces of the body as they go on the wire.
      std::vector<std::string> pieces;
      const auto count = std::max<std::size_t>(1, response.trickleChunks);
      const auto size = (response.body.size() + count - 1) / count;
      for (std::size_t at = 0; at < response.body.size(); at += std::max<std::size_t>(size, 1))
        pieces.push_back(response.body.substr(at, size));
      if (response.chunked) {
        for (auto& p : pieces) p = chunk(p);
        pieces.push_back("0\r\n\r\n");
      }
      std::string header = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
      for (const auto& [name, value] : response.headers) header += name + ": " + value + "\r\n";
      if (response.chunked)
        header += "Transfer-Encoding: chunked\r\n";
      else if (!response.lengthByClose)
        header += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
      const bool close = response.close || response.lengthByClose || !request.keep_alive();
      if (close) header += "Connection: close\r\n";
      header += "\r\n";
      if (headRequest) pieces.clear();

      if (response.firstByteDelay.count() > 0) {
        timer.expires_after(response.firstByteDelay);
        co_await timer.async_wait(kUse);
      }
      recorded.think = std::chrono::steady_clock::now() - readAt;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(recorded);
      }
      if (response.raw) {
        co_await boost::asio::async_write(stream, boost::asio::buffer(*response.raw), kUse);
        co_await finish(stream, socket);
        co_return;
      }
      if (response.trickleChunks == 0) {
        std::string all = header;
        for (const auto& p : pieces) all += p;
        auto [ec, written] = co_await boost::asio::async_write(stream, boost::asio::buffer(all), kUse);
        if (ec) co_return;
      } else {
        auto [ec, written] = co_await boost::asio::async_write(stream, boost::asio::buffer(header), kUse);
        if (ec) co_return;
        for (const auto& p : pieces) {
          timer.expires_after(response.trickleInterval);
          co_await timer.async_wait(kUse);
          auto [pieceError, pieceWritten] = co_await boost::asio::async_write(stream, boost::asio::buffer(p), kUse);
          if (pieceError) co_return;
        }
      }
      if (close) {
        co_await finish(stream, socket);
        co_return;
      }
    }
  }

  // Ends a connection the way servers do: TLS close_notify first, then the TCP close.
  template <class Stream>
  boost::asio::awaitable<void> finish(Stream& stream, Tcp::socket& socket) {
    if constexpr (!std::is_same_v<Stream, Tcp::socket>) co_await stream.async_shutdown(kUse);
    boost::system::error_code ignored;
    socket.shutdown(Tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string address_;
  std::optional<boost::asio::ssl::context> tls_;
  boost::asio::io_context io_;
  Tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, Handler> routes_;
  std::vector<HttpTestRequest> requests_;
  std::uint64_t connections_ = 0;
  std::thread thread_;
};

}  // namespace streamswarm::testsupport

// The HTTP/1.1 server (Boost.Beast, plain or TLS): accepts connections, reads requests within
// named limits, hands each to the Router as an ApiRequest, writes the ApiResponse back, keeps
// connections alive, and shuts down gracefully. Beast stays inside http_server.cpp.
#pragma once

#include "server/http/router.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio {
class io_context;
}

namespace streamswarm::server {

struct HttpLimits {
  std::size_t bodyBytes = 8 * 1024 * 1024;  // 413 beyond
  std::size_t headerBytes = 16 * 1024;      // 431 beyond
  std::chrono::seconds headerTimeout{10};   // from the first byte (or the TLS handshake) to the end of the header
  std::chrono::seconds bodyTimeout{30};
  std::chrono::seconds idleTimeout{60};  // keep-alive: between requests
  std::chrono::seconds writeTimeout{30};
  std::size_t maxConnections = 512;  // beyond: accepted, answered 503 and closed at once
  // After refusing a request whose body is not read (413, 431), the rest of it is read and thrown
  // away before closing, so the client sees the answer instead of a connection reset.
  std::size_t drainBytes = 64 * 1024 * 1024;
  std::chrono::seconds drainTimeout{5};
};

struct TlsFiles {
  std::string certificateChain;  // PEM
  std::string privateKey;        // PEM
};

class HttpServer {
 public:
  // Throws std::runtime_error naming the file when the certificate or key cannot be loaded.
  HttpServer(boost::asio::io_context& io, const Router& router, HttpLimits limits, std::optional<TlsFiles> tls);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port (the real one when 0 was asked for).
  // Throws std::runtime_error naming the address on failure.
  unsigned short listen(const std::string& host, unsigned short port);

  // Graceful stop: no new connections; idle connections close now; a request being handled is
  // answered, then its connection closes. Returns at once; watch connections() to see it drain.
  void stop();

  std::size_t connections() const;
  bool tls() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace streamswarm::server

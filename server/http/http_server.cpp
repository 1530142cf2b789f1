#include "server/http/http_server.hpp"

#include "core/log.hpp"
#include "server/http/api_error.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <mutex>
#include <vector>

#ifndef STREAMSWARM_VERSION
#define STREAMSWARM_VERSION "0.0.0"
#endif

namespace streamswarm::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr const char* kServerHeader = "streamswarm/" STREAMSWARM_VERSION;
constexpr std::size_t kIdleReadChunk = 4096;
constexpr std::size_t kDrainChunk = 64 * 1024;

// On every response, pages and API alike: scripts and styles only from our own origin (no inline
// script, so an injected <script> does not run), never framed, no MIME sniffing.
constexpr std::pair<const char*, const char*> kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "same-origin"},
};

template <class Message>
void setCommonHeaders(Message& res, const ApiResponse& r) {
  res.set(http::field::server, kServerHeader);
  for (const auto& [field, value] : kSecurityHeaders) res.set(field, value);
  if (!r.contentType.empty()) res.set(http::field::content_type, r.contentType);
  // Set-Cookie may repeat; every other header replaces the default.
  for (const auto& [name, value] : r.headers) {
    if (beast::iequals(name, "Set-Cookie"))
      res.insert(name, value);
    else
      res.set(name, value);
  }
}

bool isParseError(const error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void shutdown() = 0;  // called on the session's strand
};

// What the listener and every session share; lives as long as any of them.
struct Shared {
  Shared(const Router& router, HttpLimits limits) : router(router), limits(limits) {}
  const Router& router;
  const HttpLimits limits;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::vector<std::pair<std::weak_ptr<SessionBase>, asio::any_io_executor>> sessions;

  void track(const std::shared_ptr<SessionBase>& s, asio::any_io_executor ex) {
    std::lock_guard lock(mutex);
    // Forget closed sessions as we go, so the list stays the size of the live ones.
    std::erase_if(sessions, [](const auto& entry) { return entry.first.expired(); });
    sessions.emplace_back(s, std::move(ex));
  }
};

// One connection: read a request, dispatch it, write the answer, repeat while keep-alive.
// Derived supplies stream(), start() and closeStream() for plain TCP or TLS (Beast's
// advanced_server_flex has the same shape).
template <class Derived>
class Session : public SessionBase {
 public:
  explicit Session(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) { ++shared_->connections; }
  ~Session() override { --shared_->connections; }

  void shutdown() override {
    stopping_ = true;
    if (activeStream_) activeStream_->close();
    // Waiting for a request: nothing is in flight, so close now. Otherwise the answer being
    // prepared is written first, with "Connection: close".
    if (idle_) beast::get_lowest_layer(self().stream()).socket().close();
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  const HttpLimits& limits() const { return shared_->limits; }
  auto& lowest() { return beast::get_lowest_layer(self().stream()); }

  void awaitRequest() {
    if (stopping_ || shared_->stopping) return self().closeStream();
    idle_ = true;
    if (served_ > 0 && buffer_.size() == 0) {
      // Keep-alive: the idle allowance runs until the next request's first byte arrives; the
      // header allowance starts from there.
      lowest().expires_after(limits().idleTimeout);
      self().stream().async_read_some(buffer_.prepare(kIdleReadChunk),
                                      [s = self().shared_from_this()](error_code ec, std::size_t n) {
                                        if (ec) return s->closeStream();
                                        s->buffer_.commit(n);
                                        s->readHeader();
                                      });
      return;
    }
    readHeader();
  }

  void readHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().headerBytes));
    parser_->body_limit(limits().bodyBytes);
    lowest().expires_after(limits().headerTimeout);
    http::async_read_header(self().stream(), buffer_, *parser_,
                            [s = self().shared_from_this()](error_code ec, std::size_t) { s->onHeader(ec); });
  }

  void onHeader(error_code ec) {
    idle_ = false;
    if (ec == http::error::header_limit)
      return refuse(431, "request header exceeds " + std::to_string(limits().headerBytes) + " bytes");
    // The parser checks a Content-Length against the body limit as soon as it reads the header.
    if (ec == http::error::body_limit)
      return refuse(413, "request body exceeds " + std::to_string(limits().bodyBytes) + " bytes");
    if (isParseError(ec)) return refuse(400, "malformed HTTP request: " + ec.message());
    if (ec) return self().closeStream();  // end of stream, timeout, reset
    if (stopping_) return self().closeStream();
    const auto& req = parser_->get();
    version_ = req.version();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // The client waits for this before sending a large body (curl does).
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      lowest().expires_after(limits().writeTimeout);
      return http::async_write(self().stream(), *cont,
                               [s = self().shared_from_this(), cont](error_code ec, std::size_t) {
                                 if (ec) return s->closeStream();
                                 s->readBody();
                               });
    }
    readBody();
  }

  void readBody() {
    lowest().expires_after(limits().bodyTimeout);
    http::async_read(self().stream(), buffer_, *parser_,
                     [s = self().shared_from_this()](error_code ec, std::size_t) { s->onBody(ec); });
  }

  void onBody(error_code ec) {
    if (ec == http::error::body_limit)
      return refuse(413, "request body exceeds " + std::to_string(limits().bodyBytes) + " bytes");
    if (isParseError(ec)) return refuse(400, "malformed HTTP request: " + ec.message());
    if (ec) return self().closeStream();
    handle();
  }

  void handle() {
    auto req = parser_->release();
    parser_.reset();
    keepAlive_ = req.keep_alive();
    ApiRequest api;
    api.method = std::string(req.method_string());
    const auto target = req.target();
    const auto question = target.find('?');
    const auto path = percentDecode(target.substr(0, question), false);
    if (!path || path->empty() || path->front() != '/') {
      keepAlive_ = false;
      return write(errorResponse(400, "malformed request target"));
    }
    api.path = std::move(*path);
    if (question != beast::string_view::npos) api.query = std::string(target.substr(question + 1));
    api.authorization = std::string(req[http::field::authorization]);
    api.contentType = std::string(req[http::field::content_type]);
    api.cookie = std::string(req[http::field::cookie]);
    api.csrfToken = std::string(req["X-CSRF-Token"]);
    api.origin = std::string(req[http::field::origin]);
    api.host = std::string(req[http::field::host]);
    error_code peerError;
    const auto peer = lowest().socket().remote_endpoint(peerError);
    if (!peerError) api.remoteAddress = peer.address().to_string();
    api.secure = Derived::kSecure;
    api.body = std::move(req.body());
    // A long poll may take its time: the handler bounds it, not the read timeout.
    lowest().expires_never();
    shared_->router.dispatch(std::move(api), [s = self().shared_from_this()](ApiResponse r) {
      asio::post(s->stream().get_executor(), [s, r = std::move(r)]() mutable { s->write(std::move(r)); });
    });
  }

  void write(ApiResponse r) {
    if (r.stream) return writeStream(std::move(r));
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version_);
    setCommonHeaders(*res, r);
    res->body() = std::move(r.body);
    res->keep_alive(keepAlive_ && !stopping_ && !shared_->stopping);
    res->prepare_payload();
    // RFC 9110 15.3.5: a 204 carries no Content-Length.
    if (res->result() == http::status::no_content) res->erase(http::field::content_length);
    lowest().expires_after(limits().writeTimeout);
    http::async_write(self().stream(), *res, [s = self().shared_from_this(), res](error_code ec, std::size_t) {
      ++s->served_;
      if (ec) return s->closeStream();
      if (!res->keep_alive()) return s->closeStream();
      s->awaitRequest();
    });
  }

  // A response that stays open: the header with chunked encoding, then each chunk the stream
  // gives, until it ends, the client goes away (a write fails) or the server stops. The
  // connection closes afterwards.
  void writeStream(ApiResponse r) {
    using Header = http::response<http::empty_body>;
    struct Head {
      Header message;
      http::response_serializer<http::empty_body> serializer{message};
      explicit Head(Header m) : message(std::move(m)) {}
    };
    Header message(static_cast<http::status>(r.status), version_);
    setCommonHeaders(message, r);
    message.set(http::field::cache_control, "no-store");
    message.keep_alive(false);
    message.chunked(true);
    auto head = std::make_shared<Head>(std::move(message));
    activeStream_ = r.stream;
    if (stopping_ || shared_->stopping) activeStream_->close();
    lowest().expires_after(limits().writeTimeout);
    http::async_write_header(self().stream(), head->serializer,
                             [s = self().shared_from_this(), head](error_code ec, std::size_t) {
                               if (ec) return s->endStream(false);
                               s->pumpStream();
                             });
  }

  void pumpStream() {
    lowest().expires_never();
    activeStream_->next([s = self().shared_from_this()](std::optional<std::string> chunk) {
      asio::post(s->stream().get_executor(), [s, chunk = std::move(chunk)]() mutable {
        if (!chunk) return s->endStream(true);
        auto data = std::make_shared<std::string>(std::move(*chunk));
        s->lowest().expires_after(s->limits().writeTimeout);
        asio::async_write(s->stream(), http::make_chunk(asio::buffer(*data)), [s, data](error_code ec, std::size_t) {
          if (ec) return s->endStream(false);
          s->pumpStream();
        });
      });
    });
  }

  void endStream(bool writeLastChunk) {
    activeStream_->close();
    ++served_;
    if (!writeLastChunk) return self().closeStream();
    lowest().expires_after(limits().writeTimeout);
    asio::async_write(self().stream(), http::make_chunk_last(),
                      [s = self().shared_from_this()](error_code, std::size_t) { s->closeStream(); });
  }

  // Answers a request that will not be read to its end, then reads and discards what the client
  // still sends (bounded) before closing, so it sees the answer rather than a reset.
  void refuse(unsigned status, const std::string& message) {
    keepAlive_ = false;
    auto r = errorResponse(status, message);
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), version_);
    setCommonHeaders(*res, r);
    res->body() = std::move(r.body);
    res->keep_alive(false);
    res->prepare_payload();
    lowest().expires_after(limits().writeTimeout);
    http::async_write(self().stream(), *res, [s = self().shared_from_this(), res](error_code ec, std::size_t) {
      if (ec) return s->closeStream();
      s->lowest().expires_after(s->limits().drainTimeout);
      s->drain(0);
    });
  }

  void drain(std::size_t drained) {
    if (drained >= limits().drainBytes) return self().closeStream();
    buffer_.clear();
    self().stream().async_read_some(buffer_.prepare(kDrainChunk),
                                    [s = self().shared_from_this(), drained](error_code ec, std::size_t n) {
                                      if (ec) return s->closeStream();
                                      s->drain(drained + n);
                                    });
  }

  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ResponseStream> activeStream_;
  unsigned version_ = 11;
  bool keepAlive_ = true;
  bool idle_ = false;
  bool stopping_ = false;
  unsigned served_ = 0;
};

class PlainSession : public Session<PlainSession>, public std::enable_shared_from_this<PlainSession> {
 public:
  static constexpr bool kSecure = false;
  PlainSession(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : Session(std::move(shared)), stream_(std::move(socket)) {}
  beast::tcp_stream& stream() { return stream_; }
  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] { s->awaitRequest(); });
  }
  void closeStream() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

 private:
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  static constexpr bool kSecure = true;
  TlsSession(tcp::socket&& socket, ssl::context& context, std::shared_ptr<Shared> shared)
      : Session(std::move(shared)), stream_(std::move(socket), context) {}
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] {
      s->idle_ = true;
      s->lowest().expires_after(s->limits().headerTimeout);
      s->stream_.async_handshake(ssl::stream_base::server, [s](error_code ec) {
        if (ec) return s->lowest().socket().close();
        s->awaitRequest();
      });
    });
  }
  void closeStream() {
    if (closing_) return;
    closing_ = true;
    // close_notify, bounded: a peer that never answers it must not hold the connection.
    lowest().expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([s = shared_from_this()](error_code) {
      error_code ec;
      s->lowest().socket().close(ec);
    });
  }

 private:
  beast::ssl_stream<beast::tcp_stream> stream_;
  bool closing_ = false;
};

template <class S>
void trackAndStart(const std::shared_ptr<Shared>& shared, const std::shared_ptr<S>& session) {
  shared->track(session, session->stream().get_executor());
  session->start();
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, const Router& router, HttpLimits limits)
      : io(io), acceptor(asio::make_strand(io)), shared(std::make_shared<Shared>(router, limits)) {}

  asio::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<Shared> shared;
  std::optional<ssl::context> tls;

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors and the like: keep serving the connections we have.
        core::logLine(core::LogLevel::kWarning, "accept: " + ec.message());
      } else {
        self->onAccept(std::move(socket));
      }
      self->accept();
    });
  }

  void onAccept(tcp::socket socket) {
    if (shared->stopping) return;
    if (shared->connections >= shared->limits.maxConnections) return refuseConnection(std::move(socket));
    if (tls)
      trackAndStart(shared, std::make_shared<TlsSession>(std::move(socket), *tls, shared));
    else
      trackAndStart(shared, std::make_shared<PlainSession>(std::move(socket), shared));
  }

  // Over the connection limit: a plain-text 503 and close (a TLS client only sees the close; a
  // handshake would cost what the limit is there to save).
  void refuseConnection(tcp::socket socket) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    if (tls) return;
    static const std::string kBody = R"({"error":"too many connections"})";
    // Written by hand to stay cheap, with the same security headers as every other response.
    static const std::string kResponse = [] {
      std::string r = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n";
      for (const auto& [field, value] : kSecurityHeaders) r += std::string(field) + ": " + value + "\r\n";
      return r + "Connection: close\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    }();
    asio::async_write(*s, asio::buffer(kResponse), [s](error_code, std::size_t) {
      error_code ec;
      s->shutdown(tcp::socket::shutdown_both, ec);
      s->close(ec);
    });
  }
};

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpLimits limits, std::optional<TlsFiles> tls)
    : impl_(std::make_shared<Impl>(io, router, limits)) {
  if (!tls) return;
  auto& context = impl_->tls.emplace(ssl::context::tls_server);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  error_code ec;
  context.use_certificate_chain_file(tls->certificateChain, ec);
  if (ec) throw std::runtime_error("cannot load TLS certificate " + tls->certificateChain + ": " + ec.message());
  context.use_private_key_file(tls->privateKey, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS private key " + tls->privateKey + ": " + ec.message());
}

HttpServer::~HttpServer() = default;

unsigned short HttpServer::listen(const std::string& host, unsigned short port) {
  auto& acceptor = impl_->acceptor;
  const auto where = host + ":" + std::to_string(port);
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  impl_->accept();
  return acceptor.local_endpoint().port();
}

void HttpServer::stop() {
  auto impl = impl_;
  impl->shared->stopping = true;
  asio::post(impl->acceptor.get_executor(), [impl] {
    error_code ec;
    impl->acceptor.close(ec);
  });
  std::lock_guard lock(impl->shared->mutex);
  for (auto& [weak, executor] : impl->shared->sessions)
    if (auto s = weak.lock()) asio::post(executor, [s] { s->shutdown(); });
}

std::size_t HttpServer::connections() const {
  return impl_->shared->connections;
}

bool HttpServer::tls() const {
  return impl_->tls.has_value();
}

}  // namespace streamswarm::server

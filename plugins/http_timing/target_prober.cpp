#include "target_prober.hpp"

#include "content_decoder.hpp"
#include "tls_inspector.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <set>

namespace streamswarm::http_timing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Errors come back as values (as_tuple), never as exceptions, so a failed step is one branch.
constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool isInterim(int status) {
  return status >= 100 && status < 200 && status != 101;
}

std::string lowerFirst(std::string s) {
  if (!s.empty() && s.front() >= 'A' && s.front() <= 'Z') s.front() = static_cast<char>(s.front() - 'A' + 'a');
  return s;
}

std::string endpointText(const tcp::endpoint& e) {
  const auto address = e.address().to_string();
  return (e.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(e.port());
}

// Credentials meant for one origin are not sent to another (what curl and browsers do).
bool originBound(std::string_view name) {
  return sameHeaderName(name, "Authorization") || sameHeaderName(name, "Proxy-Authorization") ||
         sameHeaderName(name, "Cookie") || sameHeaderName(name, "Host");
}

}  // namespace

// An open connection, kept across redirect hops to the same origin.
struct TargetProber::Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

  tcp::socket socket;  // plain http; moved into `tls` for https
  std::optional<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  std::string origin;
  std::string remoteAddress;
  std::uint16_t remotePort = 0;
  bool reusable = false;
};

TargetProber::TargetProber(asio::io_context& io, const ProbeConfig& config, LazyTlsContext& tls, std::string trustStore,
                           const Target& target, std::chrono::system_clock::time_point wallStart)
    : io_(io),
      config_(config),
      tls_(tls),
      trustStore_(std::move(trustStore)),
      target_(target),
      resolver_(io),
      deadline_(io),
      wake_(io) {
  outcome_.mode = config.mode;
  outcome_.target = target.label;
  outcome_.wallStart = wallStart;
  outcome_.expectedStatus = config.expectStatus.text();
}

TargetProber::~TargetProber() = default;

Nanos TargetProber::now() {
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch());
}

asio::awaitable<ProbeOutcome> TargetProber::probe() {
  const auto self = shared_from_this();
  start_ = now();
  deadline_.expires_after(config_.timeout);
  deadline_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (const auto prober = weak.lock()) prober->stop(Stop::kTimeout);
  });
  try {
    switch (config_.mode) {
      case Mode::kHttp: co_await probeHttp(); break;
      case Mode::kDns: co_await probeDns(); break;
      case Mode::kTcp: co_await probeTcp(); break;
    }
  } catch (const std::exception& e) {
    fail(phase_, std::string("internal error: ") + e.what());
  }
  deadline_.cancel();
  closeConnection();
  outcome_.totalMs = toMs((end_.count() != 0 ? end_ : now()) - start_);
  co_return std::move(outcome_);
}

ProbeOutcome TargetProber::abandon(const std::string& reason) {
  fail(phase_, reason);
  outcome_.totalMs = toMs(end_ - start_);
  return std::move(outcome_);
}

void TargetProber::cancel() {
  stop(Stop::kCancelled);
}

void TargetProber::stop(Stop why) {
  if (stopped_ != Stop::kNone) return;
  stopped_ = why;
  resolver_.cancel();
  wake_.cancel();
  // Closing the socket makes the pending read, write, connect or handshake complete at once.
  if (connection_) {
    error_code ignored;
    connection_->lowest().close(ignored);
  }
}

bool TargetProber::interrupted(Phase phase) {
  if (stopped_ == Stop::kNone) return false;
  fail(phase, reasonFor({}));
  return true;
}

void TargetProber::fail(Phase phase, std::string reason) {
  if (outcome_.failure) return;  // the first failure is the one that counts
  outcome_.failure = Failure{phase, std::move(reason)};
  end_ = now();
}

std::string TargetProber::reasonFor(const error_code& ec) const {
  if (stopped_ == Stop::kTimeout) return "timeout after " + formatDuration(config_.timeout);
  if (stopped_ == Stop::kCancelled) return "cancelled";
  if (ec == asio::error::eof || ec == http::error::end_of_stream) return "connection closed by the server";
  if (ec == ssl::error::stream_truncated) return "connection closed by the server (TLS stream truncated)";
  return lowerFirst(ec.message());
}

void TargetProber::closeConnection() {
  if (!connection_) return;
  error_code ignored;
  connection_->lowest().close(ignored);
  connection_.reset();
}

asio::awaitable<std::optional<TargetProber::Endpoints>> TargetProber::resolve(const std::string& host,
                                                                              std::uint16_t port, bool ipLiteral,
                                                                              PhaseMarks& marks) {
  phase_ = Phase::kDns;
  if (interrupted(Phase::kDns)) co_return std::nullopt;
  Endpoints endpoints;
  if (ipLiteral) {
    error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
      fail(Phase::kDns, "'" + host + "' is not an IP address");
      co_return std::nullopt;
    }
    if (!familyAllowed(config_.ipFamily, address.is_v6())) {
      fail(Phase::kDns, host + " is an " + (address.is_v6() ? "IPv6" : "IPv4") + " address but ip_family is " +
                            std::string(familyName(config_.ipFamily)));
      co_return std::nullopt;
    }
    endpoints.emplace_back(address, port);
    marks.mark(Phase::kDns, now());
    co_return endpoints;
  }

  // getaddrinfo runs on Asio's resolver thread and cannot be interrupted: the coroutine waits on
  // wake_ instead, so a timeout ends the probe on time even while the lookup is still running.
  struct Pending {
    error_code ec;
    tcp::resolver::results_type results;
    Nanos at{0};
    bool done = false;
  };
  const auto pending = std::make_shared<Pending>();
  auto onResolved = [pending, self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
    pending->at = now();
    pending->ec = ec;
    pending->results = std::move(results);
    pending->done = true;
    self->wake_.cancel();
  };
  const auto service = std::to_string(port);
  const auto flags = tcp::resolver::numeric_service;
  if (config_.ipFamily == IpFamily::kIpv4)
    resolver_.async_resolve(tcp::v4(), host, service, flags, onResolved);
  else if (config_.ipFamily == IpFamily::kIpv6)
    resolver_.async_resolve(tcp::v6(), host, service, flags, onResolved);
  else
    resolver_.async_resolve(host, service, flags, onResolved);
  wake_.expires_at(asio::steady_timer::time_point::max());
  co_await wake_.async_wait(kUse);
  if (!pending->done || stopped_ != Stop::kNone) {
    fail(Phase::kDns, reasonFor({}));
    co_return std::nullopt;
  }
  if (pending->ec) {
    fail(Phase::kDns, "cannot resolve '" + host + "': " + lowerFirst(pending->ec.message()));
    end_ = pending->at;
    co_return std::nullopt;
  }
  for (const auto& entry : pending->results) endpoints.push_back(entry.endpoint());
  if (endpoints.empty()) {
    fail(Phase::kDns, "no " + std::string(config_.ipFamily == IpFamily::kAny ? "" : familyName(config_.ipFamily)) +
                          (config_.ipFamily == IpFamily::kAny ? "" : " ") + "address for '" + host + "'");
    co_return std::nullopt;
  }
  marks.mark(Phase::kDns, pending->at);
  co_return endpoints;
}

asio::awaitable<bool> TargetProber::connect(const Endpoints& endpoints, HopRecord& hop, PhaseMarks& marks) {
  phase_ = Phase::kConnect;
  if (interrupted(Phase::kConnect)) co_return false;
  closeConnection();
  connection_ = std::make_unique<Connection>(io_);
  int attempts = 0;
  auto [ec, endpoint] = co_await asio::async_connect(
      connection_->socket, endpoints,
      [&attempts](const error_code&, const tcp::endpoint&) {
        ++attempts;
        return true;
      },
      kUse);
  hop.connectAttempts = attempts;
  if (ec) {
    const auto& last = endpoints.at(static_cast<std::size_t>(std::max(attempts, 1) - 1));
    fail(Phase::kConnect, reasonFor(ec) + " (" + endpointText(last) + (attempts > 1 ? ", last of " : "") +
                              (attempts > 1 ? std::to_string(attempts) + " addresses tried" : "") + ")");
    co_return false;
  }
  marks.mark(Phase::kConnect, now());
  ++outcome_.connectionsOpened;
  error_code ignored;
  connection_->socket.set_option(tcp::no_delay(true), ignored);  // as curl: no Nagle delay on small writes
  connection_->remoteAddress = endpoint.address().to_string();
  connection_->remotePort = endpoint.port();
  hop.remoteAddress = connection_->remoteAddress;
  hop.remotePort = connection_->remotePort;
  co_return true;
}

asio::awaitable<bool> TargetProber::handshake(const Url& url, HopRecord& hop, PhaseMarks& marks) {
  phase_ = Phase::kTls;
  if (interrupted(Phase::kTls)) co_return false;
  auto& c = *connection_;
  c.tls.emplace(std::move(c.socket), tls_.get());
  SSL* handle = c.tls->native_handle();
  if (!url.ipLiteral) SSL_set_tlsext_host_name(handle, url.host.c_str());
  const auto recorder = std::make_shared<VerifyRecorder>();
  c.tls->set_verify_callback(
      [recorder](bool preverified, ssl::verify_context& context) { return recorder->record(preverified, context); });
  auto [ec] = co_await c.tls->async_handshake(ssl::stream_base::client, kUse);
  if (ec) {
    fail(Phase::kTls, reasonFor(ec));
    co_return false;
  }
  marks.mark(Phase::kTls, now());
  hop.tls = inspectTls(handle, url, *recorder, trustStore_);
  hop.tls->verificationSkipped = config_.insecureSkipVerify;
  if (!hop.tls->verified() && !config_.insecureSkipVerify) {
    fail(Phase::kTls, "certificate verify failed: " + hop.tls->verifyFailure(url.host));
    co_return false;
  }
  co_return true;
}

TargetProber::Request TargetProber::buildRequest(const Url& url, const std::string& method, const std::string& body,
                                                 const std::vector<Header>& headers) const {
  Request request;
  request.method_string(method);
  request.target(url.target);
  request.version(11);
  const auto given = [&](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const Header& h) { return sameHeaderName(h.name, name); });
  };
  if (!given("Host")) request.set(http::field::host, url.authority());
  for (const auto& h : headers) request.insert(h.name, h.value);
  if (!given("User-Agent")) request.set(http::field::user_agent, kUserAgent);
  if (!given("Accept")) request.set(http::field::accept, "*/*");
  if (!given("Accept-Encoding")) request.set(http::field::accept_encoding, "gzip, deflate");
  request.body() = body;
  request.prepare_payload();
  return request;
}

template <class Stream>
asio::awaitable<bool> TargetProber::exchange(Stream& stream, const Request& request, HopRecord& hop,
                                             PhaseMarks& marks) {
  auto& buffer = connection_->buffer;
  phase_ = Phase::kRequest;
  if (interrupted(Phase::kRequest)) co_return false;
  auto [writeError, written] = co_await http::async_write(stream, request, kUse);
  if (writeError) {
    fail(Phase::kRequest, reasonFor(writeError));
    co_return false;
  }
  marks.mark(Phase::kRequest, now());

  // The first byte is timed on a plain read; Beast's parser only completes once a whole header is in.
  phase_ = Phase::kTtfb;
  if (buffer.size() == 0) {
    auto [readError, got] = co_await stream.async_read_some(buffer.prepare(kReadChunkBytes), kUse);
    if (readError) {
      fail(Phase::kTtfb,
           stopped_ == Stop::kNone && (readError == asio::error::eof || readError == ssl::error::stream_truncated)
               ? "connection closed before the first response byte"
               : reasonFor(readError));
      co_return false;
    }
    buffer.commit(got);
  }
  marks.mark(Phase::kTtfb, now());

  phase_ = Phase::kTransfer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  while (true) {
    parser.emplace();
    parser->header_limit(kMaxHeaderBytes);
    parser->body_limit(config_.maxBodyBytes);
    if (request.method() == http::verb::head) parser->skip(true);
    auto [headerError, headerBytes] = co_await http::async_read_header(stream, buffer, *parser, kUse);
    hop.headerBytes += headerBytes;
    hop.wireBytes += headerBytes;
    if (headerError) {
      // A Content-Length over the body limit is refused as soon as the header is read.
      if (headerError == http::error::body_limit)
        fail(Phase::kTransfer, "body exceeds max_body_bytes (" + std::to_string(config_.maxBodyBytes) + ")");
      else if (headerError == http::error::header_limit)
        fail(Phase::kTransfer, "response header is larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
      else
        fail(Phase::kTransfer,
             stopped_ == Stop::kNone ? "bad response header: " + reasonFor(headerError) : reasonFor(headerError));
      co_return false;
    }
    if (!isInterim(static_cast<int>(parser->get().result_int()))) break;  // 1xx: the real response follows
  }
  const auto& response = parser->get();
  const int status = static_cast<int>(response.result_int());
  hop.status = status;
  hop.httpVersion = static_cast<int>(response.version());
  hop.location = std::string(response[http::field::location]);
  hop.contentEncoding = std::string(response[http::field::content_encoding]);
  const auto encoding = contentEncodingOf(hop.contentEncoding);
  hop.decoded = encoding != ContentEncoding::kUnsupported;
  const bool final = !(config_.followRedirects && isRedirect(status) && !hop.location.empty());
  const bool keep = final && config_.bodyCheck.enabled();
  if (keep) finalBody_.clear();
  ContentDecoder decoder(encoding, config_.maxBodyBytes, [&](std::string_view decoded) {
    if (keep) finalBody_.append(decoded);
  });

  while (!parser->is_done()) {
    parser->get().body().data = chunk_.data();
    parser->get().body().size = chunk_.size();
    auto [readError, consumed] = co_await http::async_read(stream, buffer, *parser, kUse);
    hop.wireBytes += consumed;
    const auto got = chunk_.size() - parser->get().body().size;
    hop.bodyBytes += got;
    if (got > 0) {
      if (auto why = decoder.write(std::string_view(chunk_.data(), got))) {
        fail(Phase::kTransfer, *why);
        co_return false;
      }
    }
    if (readError == http::error::need_buffer) continue;
    // A body that ends with the connection may end with a TLS stream truncation instead of EOF.
    if (readError == ssl::error::stream_truncated && parser->need_eof()) {
      error_code eofError;
      parser->put_eof(eofError);
      readError = eofError;
    }
    if (readError) {
      fail(Phase::kTransfer, readError == http::error::body_limit
                                 ? "body exceeds max_body_bytes (" + std::to_string(config_.maxBodyBytes) + ")"
                                 : reasonFor(readError));
      co_return false;
    }
  }
  if (auto why = decoder.finish()) {
    fail(Phase::kTransfer, *why);
    co_return false;
  }
  marks.mark(Phase::kTransfer, now());
  hop.decodedBytes = decoder.decodedBytes();
  hop.keepAlive = parser->keep_alive();
  co_return true;
}

asio::awaitable<bool> TargetProber::runHop(const Url& url, const Request& request, HopRecord& hop, PhaseMarks& marks) {
  if (connection_ && connection_->reusable && connection_->origin == url.origin()) {
    hop.connectionReused = true;
    hop.remoteAddress = connection_->remoteAddress;
    hop.remotePort = connection_->remotePort;
  } else {
    closeConnection();
    const auto endpoints = co_await resolve(url.host, url.port, url.ipLiteral, marks);
    if (!endpoints) co_return false;
    if (!co_await connect(*endpoints, hop, marks)) co_return false;
    connection_->origin = url.origin();
    if (url.https() && !co_await handshake(url, hop, marks)) co_return false;
  }
  connection_->reusable = false;
  bool ok = false;
  if (connection_->tls)
    ok = co_await exchange(*connection_->tls, request, hop, marks);
  else
    ok = co_await exchange(connection_->socket, request, hop, marks);
  // Leftover bytes after a complete response mean the server does not frame its messages as
  // announced; such a connection is not used again.
  if (ok && connection_) connection_->reusable = hop.keepAlive && connection_->buffer.size() == 0;
  co_return ok;
}

asio::awaitable<void> TargetProber::probeHttp() {
  Url url = target_.url;
  std::string method = config_.method;
  std::string body = config_.body;
  std::vector<Header> headers = config_.headers;
  while (true) {
    outcome_.hops.emplace_back();
    auto& hop = outcome_.hops.back();
    hop.url = url.text();
    hop.method = method;
    PhaseMarks marks(now());
    if (outcome_.hops.size() > 1) outcome_.redirectMs = toMs(marks.start() - start_);
    const auto request = buildRequest(url, method, body, headers);
    const bool ok = co_await runHop(url, request, hop, marks);
    const auto end = ok ? *marks.at(Phase::kTransfer) : end_;
    hop.timings = marks.timings(end.count() != 0 ? end : now());
    if (!ok) co_return;
    end_ = end;

    const int status = *hop.status;
    if (!(config_.followRedirects && isRedirect(status) && !hop.location.empty())) {
      closeConnection();
      outcome_.statusOk = config_.expectStatus.contains(status);
      if (config_.bodyCheck.enabled()) outcome_.body = config_.bodyCheck.check(finalBody_);
      if (!*outcome_.statusOk)
        fail(Phase::kStatus, "got " + std::to_string(status) + ", expected " + config_.expectStatus.text());
      else if (outcome_.body && !outcome_.body->ok)
        fail(Phase::kBody, outcome_.body->reason);
      end_ = end;
      co_return;
    }

    phase_ = Phase::kRedirect;
    if (outcome_.redirects >= config_.maxRedirects) {
      fail(Phase::kRedirect, "more than " + std::to_string(config_.maxRedirects) +
                                 " redirects (max_redirects); the last pointed to " + hop.location);
      co_return;
    }
    auto next = resolveLocation(url, hop.location);
    if (!next) {
      fail(Phase::kRedirect, "bad Location '" + hop.location + "': " + next.error);
      co_return;
    }
    // RFC 9110 section 15.4: 303 always, and 301/302 after POST in practice, continue with GET.
    if ((status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST")) {
      method = "GET";
      body.clear();
      std::erase_if(headers, [](const Header& h) { return sameHeaderName(h.name, "Content-Type"); });
    }
    if (next.value->origin() != url.origin())
      std::erase_if(headers, [](const Header& h) { return originBound(h.name); });
    ++outcome_.redirects;
    url = std::move(*next.value);
  }
}

asio::awaitable<void> TargetProber::probeDns() {
  outcome_.hops.emplace_back();
  auto& hop = outcome_.hops.back();
  hop.url = target_.endpoint.host;
  PhaseMarks marks(now());
  const auto endpoints = co_await resolve(target_.endpoint.host, 0, false, marks);
  const auto end = endpoints ? *marks.at(Phase::kDns) : end_;
  hop.timings = marks.timings(end);
  end_ = end;
  if (!endpoints) co_return;
  std::set<std::string> seen;
  for (const auto& e : *endpoints)
    if (seen.insert(e.address().to_string()).second) outcome_.addresses.push_back(e.address().to_string());
}

asio::awaitable<void> TargetProber::probeTcp() {
  outcome_.hops.emplace_back();
  auto& hop = outcome_.hops.back();
  hop.url = target_.endpoint.text();
  PhaseMarks marks(now());
  const auto& e = target_.endpoint;
  const auto endpoints = co_await resolve(e.host, e.port, e.ipLiteral, marks);
  bool ok = false;
  if (endpoints) ok = co_await connect(*endpoints, hop, marks);
  const auto end = ok ? *marks.at(Phase::kConnect) : end_;
  hop.timings = marks.timings(end);
  end_ = end;
  closeConnection();
}

}  // namespace streamswarm::http_timing

#include "http/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "common/async.h"

namespace kafscale::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
// Operational requests are small; anything larger is not one of ours.
constexpr uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr uint64_t kMaxBodyBytes = 64 * 1024;
constexpr char kServerName[] = "kafscale";

HttpResponse TextResponse(bhttp::status status, std::string body) {
  HttpResponse response;
  response.status = static_cast<unsigned>(status);
  response.body = std::move(body);
  return response;
}

}  // namespace

// One client connection: reads requests one at a time and answers each.
class HttpServer::Session : public std::enable_shared_from_this<Session>, NonCopyable {
 public:
  Session(HttpServer& server, tcp::socket socket, uint64_t id)
      : server_(server), stream_(std::move(socket)), id_(id), idle_timeout_(server.options_.idle_timeout) {}

  void Start() {
    auto self = shared_from_this();
    asio::co_spawn(
        stream_.get_executor(), [self]() { return self->Run(); }, asio::detached);
  }

  // Idempotent. Touches the server only the first time, so a session that
  // outlives a stopped server never reaches it.
  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    server_.Forget(id_);
  }

 private:
  asio::awaitable<void> Run() {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    while (!closed_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(kMaxBodyBytes);
      boost::system::error_code ec;
      stream_.expires_after(idle_timeout_);
      co_await bhttp::async_read(stream_, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || closed_) break;
      const bhttp::request<bhttp::string_body>& request = parser.get();
      const HttpResponse answer =
          server_.Respond(request.method() == bhttp::verb::get, std::string_view(request.target()));
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(answer.status), request.version()};
      response.set(bhttp::field::server, kServerName);
      response.set(bhttp::field::content_type, answer.content_type);
      if (answer.status == static_cast<unsigned>(bhttp::status::method_not_allowed)) {
        response.set(bhttp::field::allow, "GET");
      }
      response.keep_alive(request.keep_alive());
      response.body() = answer.body;
      response.prepare_payload();
      // A HEAD answer announces the body's length but carries no body.
      if (request.method() == bhttp::verb::head) response.body().clear();
      stream_.expires_after(idle_timeout_);
      co_await bhttp::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
    }
    Close();
  }

  HttpServer& server_;
  beast::tcp_stream stream_;
  const uint64_t id_;
  const std::chrono::milliseconds idle_timeout_;
  bool closed_ = false;
};

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options)
    : io_(io), options_(std::move(options)), acceptor_(io) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& path, HttpHandler handler) { routes_[path] = std::move(handler); }

Status HttpServer::Listen() {
  const std::string where = options_.listen_host + ":" + std::to_string(options_.listen_port);
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.listen_host, ec);
  if (ec) return Status::InvalidArgument("bad HTTP listen address " + where + ": " + ec.message());
  const tcp::endpoint endpoint(address, options_.listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen for HTTP on " + where + ": " + ec.message());
  return Status::OK();
}

uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  const tcp::endpoint endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::Start() {
  asio::co_spawn(io_, [this]() { return AcceptLoop(); }, AbortOnException{"HTTP accept loop"});
}

void HttpServer::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [id, session] : sessions) session->Close();
}

asio::awaitable<void> HttpServer::AcceptLoop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      spdlog::warn("HTTP accept failed: {}", ec.message());
      continue;
    }
    if (sessions_.size() >= options_.max_connections) {
      socket.close(ec);
      continue;
    }
    const uint64_t id = next_session_id_++;
    auto session = std::make_shared<Session>(*this, std::move(socket), id);
    sessions_.emplace(id, session);
    session->Start();
  }
}

HttpResponse HttpServer::Respond(bool is_get, std::string_view target) const {
  if (!is_get) return TextResponse(bhttp::status::method_not_allowed, "only GET is supported\n");
  const std::string path(target.substr(0, target.find('?')));
  auto route = routes_.find(path);
  if (route == routes_.end()) return TextResponse(bhttp::status::not_found, "no such endpoint: " + path + "\n");
  try {
    return route->second();
  } catch (const std::exception& e) {
    spdlog::error("HTTP handler failed path={} error=\"{}\"", path, e.what());
    return TextResponse(bhttp::status::internal_server_error, "internal error\n");
  }
}

}  // namespace kafscale::http

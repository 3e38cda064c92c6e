// HttpServer: a small HTTP/1.1 server (Boost.Beast) for the broker's
// operational endpoints (/metrics, /healthz, /readyz). GET only; keep-alive;
// idle connections are closed.
//
// Threading: runs on the io_context given at construction, which must be
// single-threaded (the broker's core). Every method must be called on it,
// and handlers run on it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::http {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers a GET of one path. Runs on the server's executor and holds it
// while it runs, so it must be quick and must not block on I/O.
using HttpHandler = std::function<HttpResponse()>;

struct HttpServerOptions {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 9093;
  // A connection that sends no complete request for this long is closed.
  std::chrono::milliseconds idle_timeout{30000};
  // Connections beyond this are closed as soon as they are accepted.
  size_t max_connections = 128;
};

class HttpServer : NonCopyable {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions options);
  // Closes the listener and every connection.
  ~HttpServer();

  // Serves GET `path` (the query string is ignored) with `handler`. Call
  // before Start; a later Route for the same path replaces the handler.
  void Route(const std::string& path, HttpHandler handler);

  // Binds and listens. IOError naming the address when that fails.
  Status Listen();
  // The port bound (useful with port 0); 0 before Listen.
  uint16_t port() const;
  // Starts accepting. Call after a successful Listen.
  void Start();
  // Stops accepting and closes every connection. Idempotent.
  void Stop();

  size_t connection_count() const { return sessions_.size(); }

 private:
  class Session;
  boost::asio::awaitable<void> AcceptLoop();
  // The answer to a request of `target`: 405 unless it is a GET, 404 for a
  // path without a route.
  HttpResponse Respond(bool is_get, std::string_view target) const;
  void Forget(uint64_t id) { sessions_.erase(id); }

  boost::asio::io_context& io_;
  const HttpServerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::string, HttpHandler> routes_;
  uint64_t next_session_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Session>> sessions_;
};

}  // namespace kafscale::http

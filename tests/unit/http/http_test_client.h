// Test helpers: an HttpServer running on its own thread, and a blocking
// HTTP/1.1 client on one keep-alive connection.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/noncopyable.h"
#include "http/http_server.h"

namespace kafscale::http::testing {

// Listens on a free loopback port and runs the server's io_context on a
// thread until destruction.
class ServerThread : NonCopyable {
 public:
  explicit ServerThread(const std::function<void(HttpServer&)>& setup, HttpServerOptions options = {}) {
    options.listen_host = "127.0.0.1";
    options.listen_port = 0;
    server_ = std::make_unique<HttpServer>(io_, options);
    setup(*server_);
    const Status status = server_->Listen();
    if (!status.ok()) throw std::runtime_error(status.ToString());
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ServerThread() {
    boost::asio::post(io_, [this] {
      server_->Stop();
      io_.stop();
    });
    thread_.join();
  }

  uint16_t port() const { return server_->port(); }

  // Runs fn on the server's thread (where the server may be touched) and
  // returns its result.
  template <typename Fn>
  auto OnServer(Fn fn) {
    std::packaged_task<decltype(fn(*server_))()> task([&] { return fn(*server_); });
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

class HttpClient : NonCopyable {
 public:
  explicit HttpClient(uint16_t port) : stream_(io_) {
    stream_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  boost::beast::http::response<boost::beast::http::string_body> Send(boost::beast::http::verb verb,
                                                                     const std::string& target,
                                                                     const std::string& body = "") {
    namespace bhttp = boost::beast::http;
    bhttp::request<bhttp::string_body> request{verb, target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    bhttp::write(stream_, request);
    bhttp::response_parser<bhttp::string_body> parser;
    // A HEAD answer has a Content-Length but no body.
    parser.skip(verb == bhttp::verb::head);
    bhttp::read(stream_, buffer_, parser);
    return parser.release();
  }
  boost::beast::http::response<boost::beast::http::string_body> Get(const std::string& target) {
    return Send(boost::beast::http::verb::get, target);
  }

  // True when the server closes the connection before `limit` passes.
  bool ClosedByPeerWithin(std::chrono::steady_clock::duration limit) {
    stream_.expires_after(limit);
    char byte;
    boost::system::error_code ec;
    stream_.read_some(boost::asio::buffer(&byte, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace kafscale::http::testing

#include "http/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include "http/http_test_client.h"

namespace kafscale::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using testing::HttpClient;
using testing::ServerThread;

TEST(HttpServerTest, ServesRoutedPathsIgnoringTheQuery) {
  ServerThread server([](HttpServer& s) {
    s.Route("/hello", [] { return HttpResponse{200, "text/plain; charset=utf-8", "hi\n"}; });
  });
  HttpClient client(server.port());
  auto response = client.Get("/hello");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(response[bhttp::field::server], "kafscale");
  EXPECT_EQ(response.body(), "hi\n");
  EXPECT_EQ(client.Get("/hello?verbose=1").body(), "hi\n");
}

TEST(HttpServerTest, UnknownPathIsNotFound) {
  ServerThread server([](HttpServer& s) { s.Route("/a", [] { return HttpResponse{}; }); });
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/b").result_int(), 404u);
  EXPECT_EQ(client.Get("/a/").result_int(), 404u);
}

TEST(HttpServerTest, OnlyGetIsAllowed) {
  ServerThread server([](HttpServer& s) { s.Route("/a", [] { return HttpResponse{}; }); });
  HttpClient client(server.port());
  for (bhttp::verb verb : {bhttp::verb::post, bhttp::verb::head, bhttp::verb::delete_, bhttp::verb::put}) {
    auto response = client.Send(verb, "/a", "body");
    EXPECT_EQ(response.result_int(), 405u) << verb;
    EXPECT_EQ(response[bhttp::field::allow], "GET");
  }
}

TEST(HttpServerTest, KeepsConnectionsAliveAcrossRequests) {
  int calls = 0;
  ServerThread server([&calls](HttpServer& s) {
    s.Route("/count", [&calls] { return HttpResponse{200, "text/plain", std::to_string(++calls)}; });
  });
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/count").body(), "1");
  EXPECT_EQ(client.Get("/count").body(), "2");  // same socket
  EXPECT_EQ(server.OnServer([](HttpServer& s) { return s.connection_count(); }), 1u);
}

TEST(HttpServerTest, ClosesIdleConnections) {
  HttpServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(100);
  ServerThread server([](HttpServer& s) { s.Route("/a", [] { return HttpResponse{}; }); }, options);
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/a").result_int(), 200u);
  EXPECT_TRUE(client.ClosedByPeerWithin(std::chrono::seconds(5)));
  EXPECT_EQ(server.OnServer([](HttpServer& s) { return s.connection_count(); }), 0u);
}

TEST(HttpServerTest, RefusesConnectionsBeyondTheLimit) {
  HttpServerOptions options;
  options.max_connections = 1;
  ServerThread server([](HttpServer& s) { s.Route("/a", [] { return HttpResponse{}; }); }, options);
  HttpClient first(server.port());
  EXPECT_EQ(first.Get("/a").result_int(), 200u);
  HttpClient second(server.port());
  EXPECT_TRUE(second.ClosedByPeerWithin(std::chrono::seconds(5)));
  EXPECT_EQ(first.Get("/a").result_int(), 200u);
}

TEST(HttpServerTest, FailingHandlerAnswersInternalError) {
  ServerThread server(
      [](HttpServer& s) { s.Route("/boom", []() -> HttpResponse { throw std::runtime_error("broken"); }); });
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/boom").result_int(), 500u);
  EXPECT_EQ(client.Get("/boom").result_int(), 500u);  // the connection survives
}

TEST(HttpServerTest, StopClosesConnections) {
  ServerThread server([](HttpServer& s) { s.Route("/a", [] { return HttpResponse{}; }); });
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/a").result_int(), 200u);
  server.OnServer([](HttpServer& s) { s.Stop(); });
  EXPECT_TRUE(client.ClosedByPeerWithin(std::chrono::seconds(5)));
}

TEST(HttpServerTest, ListenFailureNamesTheAddress) {
  asio::io_context io;
  HttpServerOptions options;
  options.listen_host = "not-an-address";
  HttpServer server(io, options);
  const Status status = server.Listen();
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(status.message().find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace kafscale::http

#include "net/kafka_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace kafscale::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Echoes each request, except that a request starting with '!' throws.
class EchoOrThrow : public RequestProcessor {
 public:
  asio::awaitable<ProcessOutcome> Process(std::shared_ptr<const std::string> frame, const ConnectionInfo&) override {
    if (!frame->empty() && (*frame)[0] == '!') throw std::runtime_error("processor bug");
    ProcessOutcome outcome;
    outcome.response.owners.push_back(frame);
    outcome.response.pieces.emplace_back(*frame);
    co_return outcome;
  }
};

std::string Framed(const std::string& body) {
  const auto size = static_cast<uint32_t>(body.size());
  std::string framed{char(size >> 24), char(size >> 16), char(size >> 8), char(size)};
  return framed + body;
}

class KafkaServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_host = "127.0.0.1";
    options.listen_port = 0;
    server_ = std::make_unique<KafkaServer>(io_, options, processor_);
    ASSERT_TRUE(server_->Listen().ok());
    server_->Start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (!thread_.joinable()) return;  // SetUp failed before starting it
    asio::post(io_, [this] { server_->CloseAll(); server_->StopAccepting(); io_.stop(); });
    thread_.join();
  }
  tcp::socket Connect() {
    tcp::socket socket(client_io_);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return socket;
  }
  // Reads exactly `size` bytes into `data`; fails with timed_out after 5 s
  // instead of hanging the test when an answer never comes.
  boost::system::error_code ReadWithin(tcp::socket& socket, char* data, size_t size) {
    boost::system::error_code result;
    bool finished = false;
    asio::async_read(socket, asio::buffer(data, size), [&](boost::system::error_code ec, size_t) {
      result = ec;
      finished = true;
    });
    client_io_.restart();
    client_io_.run_for(std::chrono::seconds(5));
    if (finished) return result;
    socket.close();  // the handler still refers to this frame: let it run
    client_io_.restart();
    client_io_.run();
    return asio::error::timed_out;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  EchoOrThrow processor_;
  std::unique_ptr<KafkaServer> server_;
  std::thread thread_;
};

TEST_F(KafkaServerTest, AProcessorExceptionClosesOnlyThatConnection) {
  tcp::socket healthy = Connect();
  tcp::socket failing = Connect();
  // Answered first, then the failing request closes the connection.
  asio::write(failing, asio::buffer(Framed("hello-world") + Framed("!oops-oops") + Framed("never-sent")));
  char answer[15];
  ASSERT_FALSE(ReadWithin(failing, answer, sizeof(answer)));
  EXPECT_EQ(std::string(answer + 4, 11), "hello-world");
  char more[1];
  EXPECT_EQ(ReadWithin(failing, more, sizeof(more)), asio::error::eof);

  asio::write(healthy, asio::buffer(Framed("still-here")));
  char echoed[14];
  ASSERT_FALSE(ReadWithin(healthy, echoed, sizeof(echoed)));
  EXPECT_EQ(std::string(echoed + 4, 10), "still-here");
}

}  // namespace
}  // namespace kafscale::net

// BrokerConnection against a scripted broker on a loopback socket: version
// negotiation, correlation ids, and what happens to a stream that went bad.
#include "client/broker_connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "protocol/error_codes.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

namespace kafscale::client {
namespace {

struct ReceivedRequest {
  kafka::RequestHeader header;
  std::shared_ptr<const std::string> frame;  // without size prefix
};

// Answers each request with whatever `respond` returns (a whole frame body
// without its size prefix); an empty answer means "stay silent".
class ScriptedBroker {
 public:
  using Responder = std::function<std::string(const ReceivedRequest&)>;

  explicit ScriptedBroker(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listen_fd_, 1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedBroker() {
    shutdown(listen_fd_, SHUT_RDWR);
    if (connection_fd_ >= 0) shutdown(connection_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
    if (connection_fd_ >= 0) close(connection_fd_);
  }
  int port() const { return port_; }
  int requests() const { return requests_; }

 private:
  static bool ReadFully(int fd, char* out, size_t size) {
    while (size > 0) {
      const ssize_t got = read(fd, out, size);
      if (got <= 0) return false;
      out += got;
      size -= static_cast<size_t>(got);
    }
    return true;
  }

  void Serve() {
    connection_fd_ = accept(listen_fd_, nullptr, nullptr);
    if (connection_fd_ < 0) return;
    while (true) {
      char prefix[4];
      if (!ReadFully(connection_fd_, prefix, 4)) return;
      const uint32_t size = (uint32_t(uint8_t(prefix[0])) << 24) | (uint32_t(uint8_t(prefix[1])) << 16) |
                            (uint32_t(uint8_t(prefix[2])) << 8) | uint32_t(uint8_t(prefix[3]));
      auto frame = std::make_shared<std::string>(size, '\0');
      if (!ReadFully(connection_fd_, frame->data(), size)) return;
      ReceivedRequest request{{}, frame};
      kafka::Reader peek(frame);
      const int16_t key = peek.ReadInt16("key");
      const int16_t version = peek.ReadInt16("version");
      kafka::Reader reader(frame);
      request.header.Decode(reader, kafka::RequestHeaderVersion(key, version));
      ++requests_;
      const std::string answer = respond_(request);
      if (answer.empty()) continue;
      const std::string framed = PrependFrameSize(answer);
      if (write(connection_fd_, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size())) return;
    }
  }

  Responder respond_;
  int listen_fd_ = -1;
  int connection_fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_ = 0;
  std::thread thread_;
};

template <typename Response>
std::string Answer(const ReceivedRequest& request, const Response& response, int16_t version,
                   std::optional<int32_t> correlation_id = std::nullopt) {
  kafka::Writer writer;
  kafka::ResponseHeader header;
  header.correlation_id = correlation_id.value_or(request.header.correlation_id);
  header.Encode(writer, kafka::ResponseHeaderVersion(Response::kApiKey, version));
  response.Encode(writer, version);
  return writer.FinishFlat();
}

kafka::ApiVersionsResponse SupportedVersions() {
  kafka::ApiVersionsResponse response;
  response.api_keys.push_back({kafka::ApiVersionsRequest::kApiKey, 0, 3, {}});
  response.api_keys.push_back({kafka::MetadataRequest::kApiKey, 1, 9, {}});
  return response;
}

ConnectionOptions QuickOptions() {
  ConnectionOptions options;
  options.request_timeout = std::chrono::milliseconds(500);
  return options;
}

TEST(BrokerConnectionTest, NegotiatesTheHighestCommonVersion) {
  int16_t metadata_version = -1;
  ScriptedBroker broker([&](const ReceivedRequest& request) {
    if (request.header.request_api_key == kafka::ApiVersionsRequest::kApiKey) {
      EXPECT_EQ(request.header.request_api_version, 3);
      EXPECT_EQ(request.header.client_id, "kafscale-cli");
      return Answer(request, SupportedVersions(), request.header.request_api_version);
    }
    metadata_version = request.header.request_api_version;
    kafka::MetadataResponse response;
    response.brokers.push_back({5, "host", 1234, std::nullopt, {}});
    return Answer(request, response, metadata_version);
  });
  Result<std::unique_ptr<BrokerConnection>> connection = BrokerConnection::Open("127.0.0.1", broker.port(), {});
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  EXPECT_EQ(*(*connection)->NegotiateVersion(kafka::MetadataRequest::kApiKey, 0, 12), 9);
  EXPECT_EQ(*(*connection)->NegotiateVersion(kafka::MetadataRequest::kApiKey, 0, 4), 4);
  EXPECT_FALSE((*connection)->NegotiateVersion(kafka::MetadataRequest::kApiKey, 10, 12).ok());
  EXPECT_FALSE((*connection)->NegotiateVersion(/*Produce*/ 0, 0, 11).ok());

  for (int i = 0; i < 3; ++i) {
    Result<kafka::MetadataResponse> response =
        (*connection)->Call<kafka::MetadataResponse>(kafka::MetadataRequest{});
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    ASSERT_EQ(response->brokers.size(), 1u);
    EXPECT_EQ(response->brokers[0].node_id, 5);
  }
  EXPECT_EQ(metadata_version, 9);
  EXPECT_TRUE((*connection)->usable());
}

TEST(BrokerConnectionTest, AcceptsAnOlderBrokersV0Answer) {
  ScriptedBroker broker([&](const ReceivedRequest& request) {
    kafka::ApiVersionsResponse response = SupportedVersions();
    response.api_keys[0].max_version = 2;
    response.error_code = kafka::ToWire(kafka::ErrorCode::kUnsupportedVersion);
    // KIP-511: an unsupported ApiVersions version is answered in v0.
    return Answer(request, response, 0);
  });
  Result<std::unique_ptr<BrokerConnection>> connection =
      BrokerConnection::Open("127.0.0.1", broker.port(), QuickOptions());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  EXPECT_EQ(*(*connection)->NegotiateVersion(kafka::MetadataRequest::kApiKey, 0, 12), 9);
}

TEST(BrokerConnectionTest, WrongCorrelationIdBreaksTheConnection) {
  ScriptedBroker broker([&](const ReceivedRequest& request) {
    if (request.header.request_api_key == kafka::ApiVersionsRequest::kApiKey) {
      return Answer(request, SupportedVersions(), request.header.request_api_version);
    }
    return Answer(request, kafka::MetadataResponse{}, request.header.request_api_version,
                  request.header.correlation_id + 100);
  });
  Result<std::unique_ptr<BrokerConnection>> connection =
      BrokerConnection::Open("127.0.0.1", broker.port(), QuickOptions());
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  Result<kafka::MetadataResponse> response = (*connection)->Call<kafka::MetadataResponse>(kafka::MetadataRequest{});
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.status().IsCorruption());
  EXPECT_FALSE((*connection)->usable());
  const int sent = broker.requests();
  EXPECT_FALSE((*connection)->Call<kafka::MetadataResponse>(kafka::MetadataRequest{}).ok());
  EXPECT_EQ(broker.requests(), sent) << "a broken connection must not send more requests";
}

TEST(BrokerConnectionTest, SilentBrokerTimesOut) {
  ScriptedBroker broker([&](const ReceivedRequest&) { return std::string(); });
  const auto start = Clock::now();
  Result<std::unique_ptr<BrokerConnection>> connection =
      BrokerConnection::Open("127.0.0.1", broker.port(), QuickOptions());
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), Status::Code::kTimeout);
  EXPECT_TRUE(connection.status().IsRetriable());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(BrokerConnectionTest, RefusedConnectionIsUnavailable) {
  int port = 0;
  {
    ScriptedBroker closed([](const ReceivedRequest&) { return std::string(); });
    port = closed.port();
  }
  Result<std::unique_ptr<BrokerConnection>> connection = BrokerConnection::Open("127.0.0.1", port, QuickOptions());
  ASSERT_FALSE(connection.ok());
  EXPECT_TRUE(connection.status().IsRetriable());
}

}  // namespace
}  // namespace kafscale::client

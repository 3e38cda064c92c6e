#include "client/broker_connection.h"

#include "client/kafka_error.h"
#include "protocol/error_codes.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"

namespace kafscale::client {

namespace {

// The newest ApiVersions request this client sends; older brokers answer it
// with UNSUPPORTED_VERSION in v0 format and the client retries at v0.
constexpr int16_t kApiVersionsVersion = 3;

}  // namespace

Result<std::unique_ptr<BrokerConnection>> BrokerConnection::Open(const std::string& host, int port,
                                                                const ConnectionOptions& options) {
  Result<std::unique_ptr<TcpSocket>> socket =
      TcpSocket::Connect(host, port, Clock::now() + options.request_timeout);
  if (!socket.ok()) return socket.status();
  std::unique_ptr<BrokerConnection> connection(new BrokerConnection(std::move(*socket), options));
  if (Status negotiated = connection->NegotiateApiVersions(); !negotiated.ok()) return negotiated;
  return connection;
}

Status BrokerConnection::NegotiateApiVersions() {
  kafka::ApiVersionsRequest request;
  request.client_software_name = "kafscale-cli";
  request.client_software_version = "1";
  const int32_t correlation_id = next_correlation_id_++;
  Result<std::shared_ptr<const std::string>> frame = RoundTrip(
      EncodeRequestFrame(request, kApiVersionsVersion, correlation_id, options_.client_id));
  if (!frame.ok()) return frame.status();
  // A broker without v3 answers UNSUPPORTED_VERSION in the v0 body layout
  // (KIP-511), so peek at the leading error code before picking the layout.
  Result<kafka::Reader> body =
      OpenResponse(*frame, kafka::ApiVersionsRequest::kApiKey, kApiVersionsVersion, correlation_id);
  if (!body.ok()) {
    usable_ = false;
    return body.status();
  }
  int16_t body_version = kApiVersionsVersion;
  try {
    kafka::Reader peek = *body;
    if (peek.ReadInt16("error_code") == kafka::ToWire(kafka::ErrorCode::kUnsupportedVersion)) body_version = 0;
  } catch (const kafka::DecodeError&) {
    // Too short for an error code: the full decode below reports it.
  }
  Result<kafka::ApiVersionsResponse> response =
      DecodeResponseFrame<kafka::ApiVersionsResponse>(std::move(*frame), body_version, correlation_id);
  if (!response.ok()) {
    usable_ = false;
    return response.status();
  }
  for (const auto& api : response->api_keys) broker_versions_[api.api_key] = {api.min_version, api.max_version};
  if (response->error_code == kafka::ToWire(kafka::ErrorCode::kUnsupportedVersion) &&
      NegotiateVersion(kafka::ApiVersionsRequest::kApiKey, 0, 0).ok()) {
    // The broker told us its versions even while refusing v3; that is all we need.
    return Status::OK();
  }
  return KafkaErrorStatus(response->error_code, "ApiVersions at " + address());
}

Result<int16_t> BrokerConnection::NegotiateVersion(int16_t api_key, int16_t min_version,
                                                   int16_t max_version) const {
  const kafka::ApiInfo* info = kafka::FindApi(api_key);
  const std::string name = info ? info->name : "API " + std::to_string(api_key);
  const auto found = broker_versions_.find(api_key);
  if (found == broker_versions_.end()) {
    return Status::InvalidArgument("broker " + address() + " does not support " + name);
  }
  const int16_t version = std::min(max_version, found->second.second);
  if (version < std::max(min_version, found->second.first)) {
    return Status::InvalidArgument("broker " + address() + " supports " + name + " versions " +
                                   std::to_string(found->second.first) + "-" +
                                   std::to_string(found->second.second) + ", this client " +
                                   std::to_string(min_version) + "-" + std::to_string(max_version));
  }
  return version;
}

Result<std::shared_ptr<const std::string>> BrokerConnection::RoundTrip(const std::string& request_frame) {
  if (!usable_) return Status::IOError("connection to " + address() + " was broken by an earlier error");
  // Assume failure until the whole response is in: a half-read stream cannot be reused.
  usable_ = false;
  const Clock::time_point deadline = Clock::now() + options_.request_timeout;
  if (Status written = socket_->WriteAll(request_frame, deadline); !written.ok()) return written;
  char prefix[4];
  if (Status read = socket_->ReadExactly(prefix, sizeof(prefix), deadline); !read.ok()) return read;
  Result<int32_t> size = ParseFrameSize(std::string_view(prefix, sizeof(prefix)));
  if (!size.ok()) return size.status();
  auto frame = std::make_shared<std::string>(static_cast<size_t>(*size), '\0');
  if (Status read = socket_->ReadExactly(frame->data(), frame->size(), deadline); !read.ok()) return read;
  usable_ = true;
  return std::shared_ptr<const std::string>(std::move(frame));
}

}  // namespace kafscale::client

// One synchronous connection to one Kafka broker. Opening it negotiates API
// versions (ApiVersions), so each call is sent at the highest version both
// sides support within the caller's bounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "client/framing.h"
#include "client/tcp_socket.h"
#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::client {

struct ConnectionOptions {
  std::string client_id = "kafscale-cli";
  // Bounds connecting, and each request from send to complete response.
  std::chrono::milliseconds request_timeout{30000};
};

class BrokerConnection : NonCopyable {
 public:
  // Connects and runs ApiVersions (v3, falling back to v0 if the broker asks).
  // Errors: Unavailable/Timeout/IOError from the network, Corruption or
  // InvalidArgument when the broker's ApiVersions answer is unusable.
  static Result<std::unique_ptr<BrokerConnection>> Open(const std::string& host, int port,
                                                        const ConnectionOptions& options);

  // "host:port", for messages.
  const std::string& address() const { return socket_->peer(); }

  // False once an I/O error, timeout or garbled response left the stream in
  // an unknown state; every later call then fails and the owner should
  // reconnect.
  bool usable() const { return usable_; }

  // The highest version in [min_version, max_version] that the broker also
  // supports. Errors: InvalidArgument naming the API when there is none.
  Result<int16_t> NegotiateVersion(int16_t api_key, int16_t min_version, int16_t max_version) const;

  // Sends `request` at the highest common version not above `max_version`
  // (callers cap it where later versions change fields they fill) and waits
  // for the response. Kafka error codes inside the response are the caller's
  // to read. Errors: as NegotiateVersion, network errors, Corruption.
  // Not thread-safe: one call at a time per connection.
  template <typename Response, typename Request>
  Result<Response> Call(const Request& request, int16_t max_version = Request::kMaxVersion) {
    static_assert(Response::kApiKey == Request::kApiKey, "response type of another API");
    Result<int16_t> version = NegotiateVersion(Request::kApiKey, Request::kMinVersion, max_version);
    if (!version.ok()) return version.status();
    return CallAtVersion<Response>(request, *version);
  }

 private:
  BrokerConnection(std::unique_ptr<TcpSocket> socket, ConnectionOptions options)
      : socket_(std::move(socket)), options_(std::move(options)) {}

  template <typename Response, typename Request>
  Result<Response> CallAtVersion(const Request& request, int16_t version) {
    const int32_t correlation_id = next_correlation_id_++;
    Result<std::shared_ptr<const std::string>> frame =
        RoundTrip(EncodeRequestFrame(request, version, correlation_id, options_.client_id));
    if (!frame.ok()) return frame.status();
    Result<Response> response = DecodeResponseFrame<Response>(std::move(*frame), version, correlation_id);
    if (!response.ok()) usable_ = false;
    return response;
  }

  // Writes `request_frame` and reads one response frame (without its size).
  Result<std::shared_ptr<const std::string>> RoundTrip(const std::string& request_frame);
  Status NegotiateApiVersions();

  std::unique_ptr<TcpSocket> socket_;
  ConnectionOptions options_;
  int32_t next_correlation_id_ = 1;
  bool usable_ = true;
  // API key -> the broker's [min, max] versions.
  std::map<int16_t, std::pair<int16_t, int16_t>> broker_versions_;
};

}  // namespace kafscale::client

// TCP server speaking Kafka's framing: 4-byte big-endian size, then the
// request. Many connections; pipelined requests on one connection are
// processed concurrently and answered in order.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "common/noncopyable.h"
#include "common/status.h"
#include "net/request_processor.h"

namespace kafscale::net {

struct ServerOptions {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 9092;
  size_t max_request_bytes = 100 * 1024 * 1024;
  // Requests of one connection being processed at once; reading pauses above
  // it. A producer keeps about one Produce per partition waiting for its
  // flush, so this must exceed the partitions one client writes to (64
  // capped a 100-partition producer); produced bytes are bounded apart
  // (KAFSCALE_MAX_BUFFER_BYTES).
  size_t max_in_flight_per_connection = 4096;
};

class Connection;

class KafkaServer : NonCopyable {
 public:
  KafkaServer(boost::asio::io_context& io, ServerOptions options, RequestProcessor& processor);
  ~KafkaServer();

  // Binds and listens. Fails with a message naming the address.
  Status Listen();
  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Starts accepting on the io_context. Must be called after Listen.
  void Start();
  // Stops accepting new connections; existing ones keep going.
  void StopAccepting();
  // Closes every connection.
  void CloseAll();
  size_t connection_count() const { return connections_.size(); }
  // Connections accepted since construction.
  uint64_t connections_accepted() const { return next_connection_id_ - 1; }
  // Requests read but not yet answered, over all connections.
  size_t requests_in_flight() const;

 private:
  boost::asio::awaitable<void> AcceptLoop();
  void Forget(uint64_t id);

  boost::asio::io_context& io_;
  ServerOptions options_;
  RequestProcessor& processor_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint64_t next_connection_id_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections_;
  friend class Connection;
};

}  // namespace kafscale::net

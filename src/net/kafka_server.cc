#include "net/kafka_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <deque>
#include <optional>
#include <spdlog/spdlog.h>

#include "common/async.h"
#include "common/buffer_pool.h"

namespace kafscale::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// Smallest valid request: api key, api version, correlation id.
constexpr uint32_t kMinRequestBytes = 8;
}  // namespace

// One client connection: a reader that frames requests and starts their
// processing, and a writer that sends finished responses in request order.
class Connection : public std::enable_shared_from_this<Connection>, NonCopyable {
 public:
  Connection(KafkaServer& server, tcp::socket socket, uint64_t id)
      : server_(server),
        socket_(std::move(socket)),
        writer_wakeup_(socket_.get_executor()),
        reader_wakeup_(socket_.get_executor()) {
    info_.id = id;
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    info_.peer = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);
  }

  void Start() {
    auto self = shared_from_this();
    asio::co_spawn(socket_.get_executor(), [self]() { return self->ReadLoop(); }, asio::detached);
    asio::co_spawn(socket_.get_executor(), [self]() { return self->WriteLoop(); }, asio::detached);
  }

  size_t requests_in_flight() const { return queue_.size(); }

  // Idempotent; logs `reason` once when non-empty.
  void Close(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    if (!reason.empty()) spdlog::warn("closing connection peer={} reason=\"{}\"", info_.peer, reason);
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    writer_wakeup_.cancel();
    reader_wakeup_.cancel();
    server_.Forget(info_.id);
  }

 private:
  struct Slot {
    bool done = false;
    ProcessOutcome outcome;
  };

  static void Wake(asio::steady_timer& timer) { timer.cancel(); }
  static asio::awaitable<void> Sleep(asio::steady_timer& timer) {
    timer.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> ReadLoop() {
    auto self = shared_from_this();
    const size_t max_bytes = server_.options_.max_request_bytes;
    while (!closed_) {
      uint8_t prefix[4];
      boost::system::error_code ec;
      co_await asio::async_read(socket_, asio::buffer(prefix), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        Close(ec == asio::error::eof || closed_ ? "" : "read failed: " + ec.message());
        co_return;
      }
      const uint32_t size = (uint32_t(prefix[0]) << 24) | (uint32_t(prefix[1]) << 16) |
                            (uint32_t(prefix[2]) << 8) | uint32_t(prefix[3]);
      if (size < kMinRequestBytes || size > max_bytes) {
        Close("request size " + std::to_string(size) + " outside [" + std::to_string(kMinRequestBytes) +
              ", " + std::to_string(max_bytes) + "]");
        co_return;
      }
      auto frame = BufferPool::Shared().Acquire(size);
      co_await asio::async_read(socket_, asio::buffer(frame->data(), size),
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        Close(closed_ ? "" : "truncated request: " + ec.message());
        co_return;
      }
      while (!closed_ && queue_.size() >= server_.options_.max_in_flight_per_connection) {
        co_await Sleep(reader_wakeup_);
      }
      if (closed_) co_return;
      auto slot = std::make_shared<Slot>();
      queue_.push_back(slot);
      asio::co_spawn(socket_.get_executor(), ProcessOne(self, std::move(frame), std::move(slot)), asio::detached);
    }
  }

  // Parameters, not lambda captures: g++ 12 mishandles coroutine lambdas
  // that own captures.
  static asio::awaitable<void> ProcessOne(std::shared_ptr<Connection> self,
                                          std::shared_ptr<const std::string> frame, std::shared_ptr<Slot> slot) {
    try {
      slot->outcome = co_await self->server_.processor_.Process(frame, self->info_);
    } catch (...) {
      // The slot must finish either way, or the responses after it never go.
      slot->outcome.kind = ProcessOutcome::Kind::kClose;
      slot->outcome.close_reason = "request failed: " + DescribeException(std::current_exception());
    }
    slot->done = true;
    Wake(self->writer_wakeup_);
  }

  // Sends finished responses in request order: every finished one at the
  // front of the queue in one write, since a flush answers many produce
  // requests at once and one system call (and one wake-up of the client)
  // beats one per response.
  asio::awaitable<void> WriteLoop() {
    auto self = shared_from_this();
    std::vector<std::shared_ptr<Slot>> sending;
    std::vector<std::array<uint8_t, 4>> prefixes;
    std::vector<asio::const_buffer> buffers;
    while (!closed_) {
      if (queue_.empty() || !queue_.front()->done) {
        co_await Sleep(writer_wakeup_);
        continue;
      }
      sending.clear();
      std::optional<std::string> close_reason;
      while (!queue_.empty() && queue_.front()->done && !close_reason) {
        std::shared_ptr<Slot> slot = std::move(queue_.front());
        queue_.pop_front();
        if (slot->outcome.kind == ProcessOutcome::Kind::kClose) close_reason = slot->outcome.close_reason;
        if (slot->outcome.kind == ProcessOutcome::Kind::kRespond) sending.push_back(std::move(slot));
      }
      Wake(reader_wakeup_);
      prefixes.resize(sending.size());  // before buffers point into it
      buffers.clear();
      for (size_t i = 0; i < sending.size(); ++i) {
        const ResponseFrame& response = sending[i]->outcome.response;
        const auto size = static_cast<uint32_t>(response.size());
        prefixes[i] = {uint8_t(size >> 24), uint8_t(size >> 16), uint8_t(size >> 8), uint8_t(size)};
        buffers.emplace_back(prefixes[i].data(), prefixes[i].size());
        for (auto piece : response.pieces) buffers.emplace_back(piece.data(), piece.size());
      }
      if (!buffers.empty()) {
        boost::system::error_code ec;
        co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          Close(closed_ ? "" : "write failed: " + ec.message());
          co_return;
        }
      }
      if (close_reason) {
        Close(*close_reason);
        co_return;
      }
    }
  }

  KafkaServer& server_;
  tcp::socket socket_;
  ConnectionInfo info_;
  asio::steady_timer writer_wakeup_;
  asio::steady_timer reader_wakeup_;
  std::deque<std::shared_ptr<Slot>> queue_;
  bool closed_ = false;
};

KafkaServer::KafkaServer(asio::io_context& io, ServerOptions options, RequestProcessor& processor)
    : io_(io), options_(std::move(options)), processor_(processor), acceptor_(io) {}

KafkaServer::~KafkaServer() { CloseAll(); }

Status KafkaServer::Listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.listen_host, ec);
  if (ec) return Status::InvalidArgument("bad listen address " + options_.listen_host + ": " + ec.message());
  tcp::endpoint endpoint(address, options_.listen_port);
  const std::string where = options_.listen_host + ":" + std::to_string(options_.listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen on " + where + ": " + ec.message());
  return Status::OK();
}

uint16_t KafkaServer::port() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void KafkaServer::Start() {
  asio::co_spawn(io_, [this]() { return AcceptLoop(); }, AbortOnException{"Kafka accept loop"});
}

asio::awaitable<void> KafkaServer::AcceptLoop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    const uint64_t id = next_connection_id_++;
    auto connection = std::make_shared<Connection>(*this, std::move(socket), id);
    connections_.emplace(id, connection);
    connection->Start();
  }
}

void KafkaServer::StopAccepting() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void KafkaServer::CloseAll() {
  StopAccepting();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, connection] : connections) connection->Close("");
}

void KafkaServer::Forget(uint64_t id) { connections_.erase(id); }

size_t KafkaServer::requests_in_flight() const {
  size_t total = 0;
  for (const auto& [id, connection] : connections_) total += connection->requests_in_flight();
  return total;
}

}  // namespace kafscale::net

#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace kafscale::etcd_test {

namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Writes all of `data` (blocking); false if the peer is gone.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::send(fd, data, size, MSG_NOSIGNAL);
    if (written <= 0) return false;
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  const bool listening = listen_fd_ >= 0 &&
                         ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                         ::listen(listen_fd_, 16) == 0 &&
                         ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
                         ::pipe2(wake_fds_, O_CLOEXEC) == 0;
  EXPECT_TRUE(listening) << "proxy setup failed";
  if (!listening) return;
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::Wake() {
  const char byte = 0;
  if (wake_fds_[1] >= 0) (void)!::write(wake_fds_[1], &byte, 1);
}

void TcpProxy::CutConnections(bool refusing) {
  std::unique_lock<std::mutex> lock(mu_);
  refusing_ = refusing;
  const uint64_t ticket = ++cuts_requested_;
  lock.unlock();
  Wake();
  lock.lock();
  done_cv_.wait(lock, [&] { return cuts_done_ >= ticket; });
}

void TcpProxy::CloseAll() {
  for (auto [client, server] : connections_) {
    ::close(client);
    ::close(server);
  }
  connections_.clear();
}

void TcpProxy::Run() {
  while (true) {
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    for (auto [client, server] : connections_) {
      fds.push_back({client, POLLIN, 0});
      fds.push_back({server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;

    bool refusing = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      refusing = refusing_;
      if (cuts_done_ < cuts_requested_) {
        char drain[64];
        (void)!::read(wake_fds_[0], drain, sizeof(drain));
        CloseAll();
        cuts_done_ = cuts_requested_;
        done_cv_.notify_all();
        continue;
      }
    }
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        if (!refusing) std::this_thread::sleep_for(connect_delay_.load());
        const int server = refusing ? -1 : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in target = Loopback(target_port_);
        if (server >= 0 && ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0) {
          connections_.emplace_back(client, server);
        } else {
          if (server >= 0) ::close(server);
          ::close(client);
        }
      }
    }
    // Forward what arrived; a closed side closes the pair.
    std::vector<std::pair<int, int>> closed;
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const auto& connection = connections_[(i - 2) / 2];
      const int from = fds[i].fd;
      const int to = from == connection.first ? connection.second : connection.first;
      char buffer[64 * 1024];
      const ssize_t got = ::recv(from, buffer, sizeof(buffer), 0);
      if (got <= 0 || !WriteAll(to, buffer, static_cast<size_t>(got))) closed.push_back(connection);
    }
    for (const auto& connection : closed) {
      auto it = std::find(connections_.begin(), connections_.end(), connection);
      if (it == connections_.end()) continue;  // both sides reported it
      ::close(it->first);
      ::close(it->second);
      connections_.erase(it);
    }
  }
  CloseAll();
}

}  // namespace kafscale::etcd_test

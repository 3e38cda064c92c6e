#include "unhealthy_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string_view>

namespace kafscale::etcd_test {

namespace {

constexpr std::string_view kBody = R"({"error":"etcdserver: no leader","message":"etcdserver: no leader","code":14})";

// Reads one request (headers, then Content-Length bytes of body).
bool ReadRequest(int fd) {
  std::string data;
  char buffer[4096];
  while (true) {
    const size_t header_end = data.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      size_t length = 0;
      const size_t field = data.find("Content-Length: ");
      if (field != std::string::npos && field < header_end) length = std::stoul(data.substr(field + 16));
      if (data.size() >= header_end + 4 + length) return true;
    }
    const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<size_t>(got));
  }
}

}  // namespace

UnhealthyServer::UnhealthyServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool listening = listen_fd_ >= 0 &&
                         ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                         ::listen(listen_fd_, 16) == 0 &&
                         ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  EXPECT_TRUE(listening) << "server setup failed";
  if (!listening) return;
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

UnhealthyServer::~UnhealthyServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void UnhealthyServer::Run() {
  while (!stopping_) {
    // Short polls so the destructor is noticed.
    pollfd listen{listen_fd_, POLLIN, 0};
    if (::poll(&listen, 1, 50) <= 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (ReadRequest(client)) {
      ++requests_;
      const std::string answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                 "Connection: close\r\nContent-Length: " +
                                 std::to_string(kBody.size()) + "\r\n\r\n" + std::string(kBody);
      (void)!::send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    ::close(client);
  }
}

}  // namespace kafscale::etcd_test

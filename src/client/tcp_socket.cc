#include "client/tcp_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kafscale::client {

namespace {

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

Result<std::unique_ptr<TcpSocket>> TcpSocket::Connect(const std::string& host, int port,
                                                      Clock::time_point deadline) {
  const std::string peer = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const int resolved = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses);
  if (resolved != 0) {
    return Status::Unavailable("cannot resolve " + peer + ": " + gai_strerror(resolved));
  }
  std::string last_error = "no address";
  for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
    const int fd = socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          address->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText(errno);
      continue;
    }
    auto candidate = std::unique_ptr<TcpSocket>(new TcpSocket(fd, peer));
    if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = ErrnoText(errno);
        continue;
      }
      if (Status waited = candidate->Wait(POLLOUT, deadline, "connecting"); !waited.ok()) {
        freeaddrinfo(addresses);
        return waited;
      }
      int error = 0;
      socklen_t length = sizeof(error);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        last_error = ErrnoText(error);
        continue;
      }
    }
    // Requests are whole frames written at once; Nagle would only add delay.
    const int enable = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable));
    freeaddrinfo(addresses);
    return candidate;
  }
  freeaddrinfo(addresses);
  return Status::Unavailable("cannot connect to " + peer + ": " + last_error);
}

TcpSocket::~TcpSocket() { close(fd_); }

Status TcpSocket::Wait(short events, Clock::time_point deadline, std::string_view doing) {
  for (;;) {
    pollfd entry{fd_, events, 0};
    const int ready = poll(&entry, 1, MillisUntil(deadline));
    if (ready > 0) return Status::OK();
    if (ready == 0) return Status::Timeout("timed out " + std::string(doing) + " " + peer_);
    if (errno != EINTR) return Status::IOError(std::string(doing) + " " + peer_ + ": " + ErrnoText(errno));
  }
}

Status TcpSocket::WriteAll(std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t written = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written > 0) {
      bytes.remove_prefix(static_cast<size_t>(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (Status waited = Wait(POLLOUT, deadline, "writing to"); !waited.ok()) return waited;
    } else {
      return Status::IOError("writing to " + peer_ + ": " + ErrnoText(errno));
    }
  }
  return Status::OK();
}

Result<size_t> TcpSocket::ReadSome(char* out, size_t capacity, Clock::time_point deadline) {
  for (;;) {
    const ssize_t got = recv(fd_, out, capacity, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status::IOError("reading from " + peer_ + ": " + ErrnoText(errno));
    }
    if (Status waited = Wait(POLLIN, deadline, "reading from"); !waited.ok()) return waited;
  }
}

Status TcpSocket::ReadExactly(char* out, size_t size, Clock::time_point deadline) {
  while (size > 0) {
    Result<size_t> got = ReadSome(out, size, deadline);
    if (!got.ok()) return got.status();
    if (*got == 0) return Status::IOError(peer_ + " closed the connection");
    out += *got;
    size -= *got;
  }
  return Status::OK();
}

}  // namespace kafscale::client

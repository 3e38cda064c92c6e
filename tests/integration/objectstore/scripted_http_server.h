// A loopback HTTP server that answers each request with the next reply of a
// script, for testing how a client handles failures S3 rarely produces on
// demand (5xx, slow answers, errors inside 200s). One connection per request
// ("Connection: close"); requests are recorded for the test to inspect.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale::testing {

class ScriptedHttpServer : NonCopyable {
 public:
  struct Reply {
    int status = 200;
    std::string body{};
    std::vector<std::pair<std::string, std::string>> headers{};
    std::chrono::milliseconds delay{0};  // before answering
  };
  struct Recorded {
    std::string request_line;  // "PUT /bucket/key?x=y HTTP/1.1"
    std::string headers;       // the header lines, lower-cased, "\r\n"-separated
    std::string body;
  };

  // Listens on a free loopback port; requests beyond the script get an
  // empty 200. A reply may set its own Content-Length (for HEAD answers).
  explicit ScriptedHttpServer(std::deque<Reply> script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(listener_, 16);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Recorded> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      Answer(connection);
      ::close(connection);
    }
  }

  void Answer(int connection) {
    std::string received;
    size_t header_end;
    char buffer[65536];
    while ((header_end = received.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      received.append(buffer, static_cast<size_t>(n));
    }
    size_t body_size = 0;
    std::string head = received.substr(0, header_end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      body_size = std::stoul(head.substr(at + 17));
    }
    while (received.size() < header_end + 4 + body_size) {
      ssize_t n = ::recv(connection, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      received.append(buffer, static_cast<size_t>(n));
    }
    Reply reply;
    {
      std::lock_guard lock(mutex_);
      size_t request_line_end = head.find("\r\n");
      requests_.push_back({received.substr(0, request_line_end),
                           request_line_end == std::string::npos ? "" : head.substr(request_line_end + 2),
                           received.substr(header_end + 4, body_size)});
      if (!script_.empty()) {
        reply = std::move(script_.front());
        script_.pop_front();
      }
    }
    std::this_thread::sleep_for(reply.delay);
    std::string answer = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\nConnection: close\r\n";
    bool has_length = false;
    for (const auto& [name, value] : reply.headers) {
      answer += name + ": " + value + "\r\n";
      has_length = has_length || name == "Content-Length";
    }
    if (!has_length) answer += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    answer += "\r\n" + reply.body;
    ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::deque<Reply> script_;        // guarded by mutex_
  std::vector<Recorded> requests_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kafscale::testing

// A loopback TCP forwarder between a client under test and a server, which
// a test can use to cut connections or refuse new ones while the server
// itself keeps running.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale::etcd_test {

class TcpProxy : NonCopyable {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:target_port.
  explicit TcpProxy(uint16_t target_port);
  // Closes every connection and stops forwarding.
  ~TcpProxy();

  uint16_t port() const { return port_; }

  // Closes every open connection; while `refusing`, new ones are closed as
  // soon as they are accepted. Returns once the proxy has done so.
  void CutConnections(bool refusing);
  // Forwards new connections again.
  void Accept() { CutConnections(false); }
  // Connects new connections to the server only after `delay` (the client's
  // TCP connect succeeds at once; the server answers late), like a slow or
  // distant server. Call before the first connection.
  void DelayNewConnections(std::chrono::milliseconds delay) { connect_delay_ = delay; }

 private:
  void Run();
  void Wake();
  void CloseAll();

  const uint16_t target_port_;
  std::atomic<std::chrono::milliseconds> connect_delay_{std::chrono::milliseconds(0)};
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable done_cv_;
  bool stopping_ = false;
  bool refusing_ = false;
  uint64_t cuts_requested_ = 0;
  uint64_t cuts_done_ = 0;
  // Only the proxy thread touches the connections: (client fd, server fd).
  std::vector<std::pair<int, int>> connections_;
};

}  // namespace kafscale::etcd_test

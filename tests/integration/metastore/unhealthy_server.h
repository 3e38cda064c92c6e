// An HTTP server on loopback that answers every request with 503 and an
// etcd-style "no leader" error, as a member that has lost its quorum does;
// it counts the requests it got.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "common/noncopyable.h"

namespace kafscale::etcd_test {

class UnhealthyServer : NonCopyable {
 public:
  UnhealthyServer();
  ~UnhealthyServer();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  void Run();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace kafscale::etcd_test

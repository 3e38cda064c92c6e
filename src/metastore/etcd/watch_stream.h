// WatchStream: one etcd watch (a Watch gRPC stream) run on its own thread.
//
// Delivery: events go to the callback in revision order, each revision at
// most once. When the stream breaks or the endpoint fails, the stream
// reconnects (to the next endpoint, with backoff up to 2 s) and resumes at
// the revision after the last one it has seen in full: the last delivered
// event's, or a later one named by a progress notification (etcd sends
// those only when the watch is in sync, so nothing before them is
// pending). If etcd has compacted past that revision the events in between
// are lost: the stream logs an error and ends, delivering nothing more
// (never a gap); WatchPrefix checks the start revision, so this happens
// only for a compaction while disconnected.
//
// Stopping: RequestStop cancels the stream in flight, wakes any backoff
// sleep and ends a wait for a connection within 50 ms. Authenticating a
// reconnect is the one wait it does not interrupt (bounded by the client's
// request timeout).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/noncopyable.h"
#include "common/status.h"
#include "metastore/etcd/client.h"
#include "metastore/metadata_store.h"

namespace kafscale::etcd {

// Counts running watch threads so their owner can wait for all of them,
// including threads detached because a callback destroyed its own watch.
// Thread-safe.
class ThreadCounter : NonCopyable {
 public:
  void Add();
  void Done();
  void WaitForZero();

 private:
  std::mutex mu_;
  std::condition_variable zero_cv_;
  int running_ = 0;
};

class WatchStream : NonCopyable {
 public:
  // Watches keys starting with `prefix` from `start_revision` (> 0).
  WatchStream(std::shared_ptr<EtcdClient> client, std::string prefix, int64_t start_revision,
              WatchCallback callback);
  ~WatchStream();

  // Runs until RequestStop or a compaction ends the watch. Call on one
  // thread only.
  void Run();
  // Asks Run to return soon. Callable from any thread, including from the
  // callback; after it, Run calls the callback no more.
  void RequestStop();

 private:
  enum class Outcome { kReconnect, kConnected, kEnded };

  bool stopping() const { return stop_.load(); }
  // One connection from connect to close. kConnected if etcd accepted the
  // watch before the connection ended (the backoff restarts).
  Outcome RunConnection(size_t endpoint_index);
  // Handles one stream message. Sets *why when the connection must be
  // dropped, and *ended too when the watch cannot go on.
  void HandleMessage(const etcdserverpb::WatchResponse& response, size_t endpoint_index, const std::string& token,
                     bool* created, bool* ended, std::string* why);
  void Deliver(std::vector<WatchEvent> events);
  // Sleeps up to `duration`, returning early when stopping.
  void Sleep(std::chrono::milliseconds duration);

  const std::shared_ptr<EtcdClient> client_;
  const std::string prefix_;
  const WatchCallback callback_;

  std::atomic<bool> stop_{false};
  std::mutex mu_;                        // guards the two below
  std::condition_variable stop_cv_;      // wakes Sleep
  grpc::ClientContext* stream_context_ = nullptr;  // of the stream in flight, to cancel it
  int64_t connection_start_revision_ = 0;     // the revision the current connection asked for
  int64_t resume_revision_ = 0;               // where a reconnect starts
  bool in_trouble_ = false;  // a connection failed and none has worked since
};

}  // namespace kafscale::etcd

// A gRPC server on loopback that answers every KV call with UNAVAILABLE
// "etcdserver: no leader", as an etcd member that has lost its quorum does;
// it counts the calls it got.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "common/noncopyable.h"
#include "metastore/etcd/proto/etcd_rpc.grpc.pb.h"

namespace kafscale::etcd_test {

class UnhealthyServer : NonCopyable {
 public:
  UnhealthyServer();
  ~UnhealthyServer();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return service_.requests.load(); }

 private:
  struct NoLeader final : etcdserverpb::KV::Service {
    grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest*, etcdserverpb::RangeResponse*) override;
    grpc::Status Put(grpc::ServerContext*, const etcdserverpb::PutRequest*, etcdserverpb::PutResponse*) override;
    grpc::Status DeleteRange(grpc::ServerContext*, const etcdserverpb::DeleteRangeRequest*,
                             etcdserverpb::DeleteRangeResponse*) override;
    grpc::Status Txn(grpc::ServerContext*, const etcdserverpb::TxnRequest*, etcdserverpb::TxnResponse*) override;
    grpc::Status Answer();
    std::atomic<int> requests{0};
  };

  NoLeader service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace kafscale::etcd_test

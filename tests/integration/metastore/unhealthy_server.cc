#include "unhealthy_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <gtest/gtest.h>

namespace kafscale::etcd_test {

grpc::Status UnhealthyServer::NoLeader::Answer() {
  ++requests;
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader");
}

grpc::Status UnhealthyServer::NoLeader::Range(grpc::ServerContext*, const etcdserverpb::RangeRequest*,
                                              etcdserverpb::RangeResponse*) {
  return Answer();
}

grpc::Status UnhealthyServer::NoLeader::Put(grpc::ServerContext*, const etcdserverpb::PutRequest*,
                                            etcdserverpb::PutResponse*) {
  return Answer();
}

grpc::Status UnhealthyServer::NoLeader::DeleteRange(grpc::ServerContext*, const etcdserverpb::DeleteRangeRequest*,
                                                    etcdserverpb::DeleteRangeResponse*) {
  return Answer();
}

grpc::Status UnhealthyServer::NoLeader::Txn(grpc::ServerContext*, const etcdserverpb::TxnRequest*,
                                            etcdserverpb::TxnResponse*) {
  return Answer();
}

UnhealthyServer::UnhealthyServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  EXPECT_NE(server_, nullptr);
  EXPECT_GT(port_, 0);
}

UnhealthyServer::~UnhealthyServer() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace kafscale::etcd_test

#include "metastore/etcd/errors.h"

#include <gtest/gtest.h>

namespace kafscale::etcd {
namespace {

TEST(EtcdErrorTest, StatusMappingFollowsTheStoreContract) {
  auto code = [](int grpc_code, std::string message) {
    return StatusFromError(EtcdError{grpc_code, std::move(message)}).code();
  };
  using Code = Status::Code;
  EXPECT_EQ(code(3, "etcdserver: authentication failed, invalid user ID or password"), Code::kPermissionDenied);
  EXPECT_EQ(code(3, "etcdserver: user name is empty"), Code::kPermissionDenied);
  EXPECT_EQ(code(7, "etcdserver: permission denied"), Code::kPermissionDenied);
  EXPECT_EQ(code(16, "etcdserver: invalid auth token"), Code::kPermissionDenied);
  EXPECT_EQ(code(3, "etcdserver: duplicate key given in txn request"), Code::kInvalidArgument);
  EXPECT_EQ(code(5, "etcdserver: requested lease not found"), Code::kNotFound);
  EXPECT_EQ(code(11, "etcdserver: mvcc: required revision has been compacted"), Code::kNotFound);
  EXPECT_EQ(code(11, "etcdserver: mvcc: required revision is a future revision"), Code::kInvalidArgument);
  EXPECT_EQ(code(14, "etcdserver: request timed out"), Code::kUnavailable);
  EXPECT_EQ(code(8, "etcdserver: too many requests"), Code::kUnavailable);
  EXPECT_EQ(code(4, "context deadline exceeded"), Code::kTimeout);
  EXPECT_EQ(code(13, "internal"), Code::kIOError);
  EXPECT_NE(StatusFromError(EtcdError{11, "mvcc: required revision has been compacted"}).message().find("compacted"),
            std::string::npos);
}

TEST(EtcdErrorTest, InvalidTokensAreTheOnesANewTokenMayFix) {
  EXPECT_TRUE(IsInvalidToken(ErrorFromGrpc(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "etcdserver: invalid auth token"))));
  EXPECT_TRUE(IsInvalidToken(EtcdError{9, "etcdserver: revision of auth store is old"}));
  EXPECT_FALSE(IsInvalidToken(ErrorFromGrpc(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                                         "etcdserver: authentication failed, invalid user ID or password"))));
}

}  // namespace
}  // namespace kafscale::etcd

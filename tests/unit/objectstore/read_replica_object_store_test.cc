#include "objectstore/read_replica_object_store.h"

#include <gtest/gtest.h>

#include "objectstore/fault_injecting_object_store.h"
#include "objectstore/memory_object_store.h"

namespace kafscale {
namespace {

// Both sides wrapped so tests can count calls and inject failures; the same
// key holds different bytes on each side so a read shows which one answered.
class ReadReplicaObjectStoreTest : public ::testing::Test {
 protected:
  uint64_t ReplicaCalls() const {
    uint64_t calls = 0;
    for (ObjectStoreOp op : {ObjectStoreOp::kPut, ObjectStoreOp::kGet, ObjectStoreOp::kHead, ObjectStoreOp::kList,
                             ObjectStoreOp::kDeleteBatch}) {
      calls += replica_.CallCount(op);
    }
    return calls;
  }

  MemoryObjectStore primary_inner_;
  MemoryObjectStore replica_inner_;
  FaultInjectingObjectStore primary_{primary_inner_};
  FaultInjectingObjectStore replica_{replica_inner_};
  ReadReplicaObjectStore store_{primary_, replica_};
};

TEST_F(ReadReplicaObjectStoreTest, ReplicaHitNeverReachesThePrimary) {
  ASSERT_TRUE(primary_inner_.Put("seg", "primary bytes").ok());
  ASSERT_TRUE(replica_inner_.Put("seg", "replica").ok());
  std::string out;
  ASSERT_TRUE(store_.Get("seg", &out, 1, 3).ok());
  EXPECT_EQ(out, "epl");
  ObjectInfo info;
  ASSERT_TRUE(store_.Head("seg", &info).ok());
  EXPECT_EQ(info.size, 7u);
  EXPECT_EQ(primary_.CallCount(ObjectStoreOp::kGet), 0u);
  EXPECT_EQ(primary_.CallCount(ObjectStoreOp::kHead), 0u);
}

TEST_F(ReadReplicaObjectStoreTest, ReplicaMissFallsBackToThePrimary) {
  ASSERT_TRUE(primary_inner_.Put("seg", "primary bytes").ok());
  std::string out;
  ASSERT_TRUE(store_.Get("seg", &out).ok());
  EXPECT_EQ(out, "primary bytes");
  ObjectInfo info;
  ASSERT_TRUE(store_.Head("seg", &info).ok());
  EXPECT_EQ(info.size, 13u);
  EXPECT_EQ(replica_.CallCount(ObjectStoreOp::kGet), 1u);
  EXPECT_EQ(replica_.CallCount(ObjectStoreOp::kHead), 1u);
}

TEST_F(ReadReplicaObjectStoreTest, ReplicaFailureFallsBackToThePrimary) {
  ASSERT_TRUE(primary_inner_.Put("seg", "primary bytes").ok());
  ASSERT_TRUE(replica_inner_.Put("seg", "replica").ok());
  replica_.FailNext(ObjectStoreOp::kGet, 1, Status::Unavailable("replica region down"));
  replica_.FailNext(ObjectStoreOp::kHead, 1, Status::PermissionDenied("replica credentials revoked"));
  std::string out = "stale";
  ASSERT_TRUE(store_.Get("seg", &out).ok());
  EXPECT_EQ(out, "primary bytes");
  ObjectInfo info;
  ASSERT_TRUE(store_.Head("seg", &info).ok());
  EXPECT_EQ(info.size, 13u);
  // The failures were one-off: the next read is the replica's again.
  ASSERT_TRUE(store_.Get("seg", &out).ok());
  EXPECT_EQ(out, "replica");
}

TEST_F(ReadReplicaObjectStoreTest, WhenBothFailThePrimarysErrorIsReturned) {
  replica_.FailNext(ObjectStoreOp::kGet, 1, Status::Unavailable("replica down"));
  std::string out;
  EXPECT_TRUE(store_.Get("missing", &out).IsNotFound());
  ObjectInfo info;
  primary_.FailNext(ObjectStoreOp::kHead, 1, Status::Timeout("primary slow"));
  Status s = store_.Head("missing", &info);
  EXPECT_EQ(s.code(), Status::Code::kTimeout) << s.ToString();
  EXPECT_EQ(s.message(), "primary slow");
}

TEST_F(ReadReplicaObjectStoreTest, WritesListingsAndDeletesGoToThePrimaryOnly) {
  ASSERT_TRUE(store_.Put("a", "1").ok());
  ASSERT_TRUE(store_.PutIfAbsent("b", "2").ok());
  EXPECT_TRUE(store_.PutIfAbsent("b", "3").IsAlreadyExists());
  ListPage page;
  ASSERT_TRUE(store_.List("", "", 10, &page).ok());
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[1].key, "b");
  ASSERT_TRUE(store_.DeleteBatch({"a"}).ok());

  EXPECT_EQ(ReplicaCalls(), 0u);
  std::vector<ObjectInfo> left;
  ASSERT_TRUE(ListAll(primary_inner_, "", &left).ok());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "b");
  std::string out;
  ASSERT_TRUE(primary_inner_.Get("b", &out).ok());
  EXPECT_EQ(out, "2");
  ASSERT_TRUE(ListAll(replica_inner_, "", &left).ok());
  EXPECT_TRUE(left.empty());
}

}  // namespace
}  // namespace kafscale

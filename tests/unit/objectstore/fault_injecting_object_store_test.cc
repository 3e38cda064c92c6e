#include "objectstore/fault_injecting_object_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "objectstore/memory_object_store.h"

namespace kafscale {
namespace {

class FaultInjectingObjectStoreTest : public ::testing::Test {
 protected:
  MemoryObjectStore inner_;
  FaultInjectingObjectStore store_{inner_};
};

TEST_F(FaultInjectingObjectStoreTest, FailsTheNextNCallsOfOneOperation) {
  store_.FailNext(ObjectStoreOp::kPut, 2, Status::Unavailable("injected"));
  EXPECT_EQ(store_.Put("a", "1").code(), Status::Code::kUnavailable);
  std::string out;
  EXPECT_TRUE(store_.Get("a", &out).IsNotFound());  // other operations pass, and nothing was stored
  EXPECT_EQ(store_.Put("a", "2").code(), Status::Code::kUnavailable);
  EXPECT_TRUE(store_.Put("a", "3").ok());
  ASSERT_TRUE(store_.Get("a", &out).ok());
  EXPECT_EQ(out, "3");
  EXPECT_EQ(store_.CallCount(ObjectStoreOp::kPut), 3u);
  EXPECT_EQ(store_.CallCount(ObjectStoreOp::kGet), 2u);
  EXPECT_EQ(store_.CallCount(ObjectStoreOp::kHead), 0u);
}

TEST_F(FaultInjectingObjectStoreTest, KeyPrefixLimitsWhichCallsFail) {
  ASSERT_TRUE(inner_.Put("topic-a/0/x", "a").ok());
  ASSERT_TRUE(inner_.Put("topic-b/0/x", "b").ok());
  store_.FailNext(ObjectStoreOp::kGet, 1, Status::Timeout("slow"), "topic-b/");
  std::string out;
  EXPECT_TRUE(store_.Get("topic-a/0/x", &out).ok());
  EXPECT_EQ(store_.Get("topic-b/0/x", &out).code(), Status::Code::kTimeout);
  EXPECT_TRUE(store_.Get("topic-b/0/x", &out).ok());

  store_.FailNext(ObjectStoreOp::kList, 1, Status::IOError("list"), "topic-b/");
  ListPage page;
  EXPECT_TRUE(store_.List("topic-a/", "", 10, &page).ok());
  EXPECT_EQ(store_.List("topic-b/0/", "", 10, &page).code(), Status::Code::kIOError);

  store_.FailNext(ObjectStoreOp::kDeleteBatch, 1, Status::IOError("delete"), "topic-b/");
  EXPECT_TRUE(store_.DeleteBatch({"topic-a/0/x"}).ok());
  EXPECT_EQ(store_.DeleteBatch({"other", "topic-b/0/x"}).code(), Status::Code::kIOError);
  ObjectInfo info;
  EXPECT_TRUE(store_.Head("topic-b/0/x", &info).ok());  // the failed delete did nothing
}

TEST_F(FaultInjectingObjectStoreTest, RulesQueueInOrder) {
  store_.FailNext(ObjectStoreOp::kHead, 1, Status::Unavailable("first"));
  store_.FailNext(ObjectStoreOp::kHead, 1, Status::PermissionDenied("second"));
  ObjectInfo info;
  EXPECT_EQ(store_.Head("k", &info).code(), Status::Code::kUnavailable);
  EXPECT_EQ(store_.Head("k", &info).code(), Status::Code::kPermissionDenied);
  EXPECT_TRUE(store_.Head("k", &info).IsNotFound());
}

TEST_F(FaultInjectingObjectStoreTest, TornPutLeavesAPrefixAndReportsTheError) {
  ASSERT_TRUE(store_.Put("seg", "old object").ok());
  store_.TearNextPut(4, Status::IOError("connection reset"), "seg");
  EXPECT_EQ(store_.Put("seg", "new object bytes").code(), Status::Code::kIOError);
  std::string out;
  ASSERT_TRUE(inner_.Get("seg", &out).ok());
  EXPECT_EQ(out, "new ");
  ASSERT_TRUE(store_.Put("seg", "whole").ok());
  ASSERT_TRUE(inner_.Get("seg", &out).ok());
  EXPECT_EQ(out, "whole");

  store_.TearNextPut(100, Status::IOError("reset"));
  EXPECT_FALSE(store_.Put("short", "abc").ok());
  ASSERT_TRUE(inner_.Get("short", &out).ok());
  EXPECT_EQ(out, "abc");
}

TEST_F(FaultInjectingObjectStoreTest, LatencyDelaysCalls) {
  store_.SetLatency(ObjectStoreOp::kHead, std::chrono::milliseconds(60));
  ObjectInfo info;
  auto start = std::chrono::steady_clock::now();
  store_.Head("k", &info);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
  start = std::chrono::steady_clock::now();
  store_.Put("k", "v");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
}

TEST_F(FaultInjectingObjectStoreTest, ClearFaultsDropsEverything) {
  store_.FailNext(ObjectStoreOp::kPut, 5, Status::Unavailable("x"));
  store_.TearNextPut(1, Status::IOError("y"));
  store_.SetLatency(ObjectStoreOp::kPut, std::chrono::milliseconds(500));
  store_.ClearFaults();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(store_.Put("k", "v").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}

TEST_F(FaultInjectingObjectStoreTest, FailuresAreCountedExactlyUnderConcurrency) {
  constexpr int kThreads = 8, kCallsPerThread = 200, kFailures = 300;
  store_.FailNext(ObjectStoreOp::kPut, kFailures, Status::Unavailable("x"));
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        if (!store_.Put("k" + std::to_string(t), "v").ok()) ++failed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), kFailures);
  EXPECT_EQ(store_.CallCount(ObjectStoreOp::kPut), static_cast<uint64_t>(kThreads * kCallsPerThread));
}

}  // namespace
}  // namespace kafscale

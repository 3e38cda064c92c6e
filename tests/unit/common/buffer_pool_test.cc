#include "common/buffer_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace kafscale {
namespace {

TEST(BufferPoolTest, AReleasedBufferIsHandedOutAgainWithItsCapacity) {
  BufferPool pool(64 * 1024 * 1024);
  const char* first_bytes = nullptr;
  {
    std::shared_ptr<std::string> buffer = pool.Acquire(100 * 1024);
    EXPECT_EQ(buffer->size(), 100 * 1024u);
    EXPECT_GE(buffer->capacity(), 100 * 1024u);
    first_bytes = buffer->data();
  }
  EXPECT_GT(pool.idle_bytes(), 0u);
  // A request of the same class gets the same memory back, sized as asked.
  std::shared_ptr<std::string> again = pool.Acquire(0, 110 * 1024);
  EXPECT_EQ(again->data(), first_bytes);
  EXPECT_EQ(again->size(), 0u);
  EXPECT_GE(again->capacity(), 110 * 1024u);
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPoolTest, AppendsUpToTheCapacityAskedForNeverReallocate) {
  BufferPool pool(64 * 1024 * 1024);
  std::shared_ptr<std::string> buffer = pool.Acquire(0, 300 * 1024);
  const char* bytes = buffer->data();
  for (int i = 0; i < 300; ++i) buffer->append(std::string(1024, 'x'));
  EXPECT_EQ(buffer->data(), bytes);
  EXPECT_EQ(buffer->size(), 300 * 1024u);
}

TEST(BufferPoolTest, SmallAndHugeBuffersAreNotKept) {
  BufferPool pool(1024 * 1024 * 1024);
  pool.Acquire(1000);
  pool.Acquire(BufferPool::kMaxPooledBytes + 1);
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPoolTest, IdleBytesStayWithinTheBound) {
  BufferPool pool(1024 * 1024);
  std::vector<std::shared_ptr<std::string>> held;
  for (int i = 0; i < 10; ++i) held.push_back(pool.Acquire(256 * 1024));
  held.clear();
  EXPECT_EQ(pool.idle_bytes(), 1024 * 1024u);  // four of the ten kept
}

TEST(BufferPoolTest, TheBufferIdleLongestMakesRoomWhateverItsSize) {
  BufferPool pool(1024 * 1024);
  std::shared_ptr<std::string> old_big = pool.Acquire(512 * 1024);
  std::vector<std::shared_ptr<std::string>> small;
  for (int i = 0; i < 3; ++i) small.push_back(pool.Acquire(256 * 1024));
  std::vector<const char*> small_bytes;
  for (const auto& buffer : small) small_bytes.push_back(buffer->data());
  old_big.reset();  // idle longest
  small.clear();    // the third one released has no room left: the big one goes
  EXPECT_EQ(pool.idle_bytes(), 768 * 1024u);
  std::vector<std::shared_ptr<std::string>> again;
  for (int i = 0; i < 3; ++i) again.push_back(pool.Acquire(256 * 1024));
  for (int i = 0; i < 3; ++i) EXPECT_NE(std::find(small_bytes.begin(), small_bytes.end(), again[i]->data()), small_bytes.end());
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPoolTest, AnIdleBufferMuchLargerThanAskedForIsNotHandedOut) {
  BufferPool pool(64 * 1024 * 1024);
  pool.Acquire(4 * 1024 * 1024);
  EXPECT_EQ(pool.idle_bytes(), 4 * 1024 * 1024u);
  std::shared_ptr<std::string> small = pool.Acquire(0, 256 * 1024);
  EXPECT_LT(small->capacity(), 1024 * 1024u);
  EXPECT_EQ(pool.idle_bytes(), 4 * 1024 * 1024u);
  std::shared_ptr<std::string> next_class_down = pool.Acquire(0, 3 * 1024 * 1024);
  EXPECT_EQ(next_class_down->capacity(), 4 * 1024 * 1024u);
}

TEST(BufferPoolTest, LentBytesRaiseTheBoundAndTakingThemBackFreesIdleBuffers) {
  BufferPool pool(256 * 1024);
  pool.LendSpareBytes(2 * 1024 * 1024);
  std::vector<std::shared_ptr<std::string>> held;
  for (int i = 0; i < 8; ++i) held.push_back(pool.Acquire(256 * 1024));
  held.clear();
  EXPECT_EQ(pool.idle_bytes(), 2 * 1024 * 1024u);
  pool.LendSpareBytes(512 * 1024);
  EXPECT_EQ(pool.idle_bytes(), 512 * 1024u);
  pool.LendSpareBytes(0);  // the pool's own bound remains
  EXPECT_EQ(pool.idle_bytes(), 256 * 1024u);
}

TEST(BufferPoolTest, ABufferThatOutgrewItsClassIsFreedNotKept) {
  BufferPool pool(64 * 1024 * 1024);
  {
    std::shared_ptr<std::string> buffer = pool.Acquire(0, 64 * 1024);
    buffer->append(std::string(200 * 1024, 'y'));  // reallocates past the class
  }
  EXPECT_EQ(pool.idle_bytes(), 0u);
}

TEST(BufferPoolTest, BuffersMayBeReleasedOnOtherThreads) {
  BufferPool pool(8 * 1024 * 1024);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool] {
      for (int i = 0; i < 200; ++i) {
        std::shared_ptr<std::string> buffer = pool.Acquire(64 * 1024 + static_cast<size_t>(i) * 1024);
        (*buffer)[0] = 'z';
        std::thread([moved = std::move(buffer)] {}).join();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(pool.idle_bytes(), 8 * 1024 * 1024u);
}

}  // namespace
}  // namespace kafscale

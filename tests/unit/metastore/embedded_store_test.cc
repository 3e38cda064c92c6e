#include "metastore/embedded_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "metadata_store_contract.h"

namespace kafscale {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

INSTANTIATE_TEST_SUITE_P(Embedded, MetadataStoreContractTest,
                         ::testing::Values(MetadataStoreFactory{
                             "embedded",
                             [](const std::string& dir) -> std::unique_ptr<MetadataStore> {
                               auto store = EmbeddedMetadataStore::Open(dir);
                               EXPECT_TRUE(store.ok()) << store.status().ToString();
                               if (!store.ok()) return nullptr;
                               return std::move(store).value();
                             }}),
                         MetadataStoreFactoryName);

class EmbeddedStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<EmbeddedMetadataStore> MustOpen(const EmbeddedMetadataStore::Options& options = {}) {
    auto store = EmbeddedMetadataStore::Open(dir_.path(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::vector<fs::path> LogFiles() const {
    std::vector<fs::path> logs;
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("wal-", 0) == 0) logs.push_back(entry.path());
    }
    return logs;
  }

  fs::path OnlyLogFile() const {
    std::vector<fs::path> logs = LogFiles();
    EXPECT_EQ(logs.size(), 1u);
    return logs.empty() ? fs::path() : logs.front();
  }

  static std::map<std::string, KeyValue> Contents(MetadataStore& store) {
    std::vector<KeyValue> kvs;
    EXPECT_TRUE(store.Range("", &kvs).ok());
    std::map<std::string, KeyValue> contents;
    for (KeyValue& kv : kvs) contents[kv.key] = kv;
    return contents;
  }

  static void ExpectSameContents(const std::map<std::string, KeyValue>& expected,
                                 const std::map<std::string, KeyValue>& actual) {
    ASSERT_EQ(expected.size(), actual.size());
    for (const auto& [key, kv] : expected) {
      auto it = actual.find(key);
      ASSERT_NE(it, actual.end()) << key;
      EXPECT_EQ(it->second.value, kv.value) << key;
      EXPECT_EQ(it->second.version, kv.version) << key;
      EXPECT_EQ(it->second.create_revision, kv.create_revision) << key;
      EXPECT_EQ(it->second.mod_revision, kv.mod_revision) << key;
      EXPECT_EQ(it->second.lease, kv.lease) << key;
    }
  }

  static int64_t CurrentRevision(MetadataStore& store) {
    std::vector<KeyValue> ignored;
    int64_t revision = 0;
    EXPECT_TRUE(store.Range("", &ignored, &revision).ok());
    return revision;
  }

  ScratchDir dir_;
};

TEST_F(EmbeddedStoreTest, DataAndRevisionsSurviveReopen) {
  std::map<std::string, KeyValue> before;
  int64_t revision_before = 0;
  {
    auto store = MustOpen();
    ASSERT_TRUE(store->Put("a", "1").ok());
    ASSERT_TRUE(store->Put("a", "2").ok());
    ASSERT_TRUE(store->Put("b", "3").ok());
    ASSERT_TRUE(store->Delete("b").ok());
    TxnResult result;
    ASSERT_TRUE(store->Txn({}, {TxnOp::Put("c", "4"), TxnOp::Put("d", "5")}, {}, &result).ok());
    before = Contents(*store);
    revision_before = CurrentRevision(*store);
  }
  auto store = MustOpen();
  ExpectSameContents(before, Contents(*store));
  EXPECT_EQ(CurrentRevision(*store), revision_before);
  ASSERT_TRUE(store->Put("e", "6").ok());
  KeyValue e;
  ASSERT_TRUE(store->Get("e", &e).ok());
  EXPECT_EQ(e.mod_revision, revision_before + 1);
}

TEST_F(EmbeddedStoreTest, NoOpWritesDoNotAdvanceTheRevision) {
  auto store = MustOpen();
  const int64_t start = CurrentRevision(*store);
  ASSERT_TRUE(store->Delete("absent").ok());
  TxnResult result;
  ASSERT_TRUE(store->Txn({}, {TxnOp::DeletePrefix("none/"), TxnOp::Get("x")}, {}, &result).ok());
  EXPECT_EQ(result.revision, start);
  EXPECT_EQ(CurrentRevision(*store), start);
}

TEST_F(EmbeddedStoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  auto store = MustOpen();
  auto second = EmbeddedMetadataStore::Open(dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
}

TEST_F(EmbeddedStoreTest, LeasesSurviveRestartWithFullTtl) {
  LeaseId lease = 0;
  {
    auto store = MustOpen();
    ASSERT_TRUE(store->GrantLease(2, &lease).ok());
    ASSERT_TRUE(store->Put("bound", "v", lease).ok());
    std::this_thread::sleep_for(1500ms);  // most of the TTL passes before the restart
  }
  auto store = MustOpen();
  std::this_thread::sleep_for(1000ms);  // past the original deadline, within the restored TTL
  KeyValue kv;
  ASSERT_TRUE(store->Get("bound", &kv).ok());
  EXPECT_EQ(kv.lease, lease);
  ASSERT_TRUE(store->KeepAlive(lease).ok());
  LeaseId next = 0;
  ASSERT_TRUE(store->GrantLease(5, &next).ok());
  EXPECT_NE(next, lease) << "lease ids are not reused after a restart";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store->Get("bound", &kv).ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(store->Get("bound", &kv).IsNotFound());
}

TEST_F(EmbeddedStoreTest, TornTailIsDroppedAndLaterWritesSurvive) {
  {
    auto store = MustOpen();
    for (const char* key : {"k1", "k2", "k3"}) ASSERT_TRUE(store->Put(key, "value").ok());
  }
  const fs::path log = OnlyLogFile();
  fs::resize_file(log, fs::file_size(log) - 3);
  {
    auto store = MustOpen();
    KeyValue kv;
    EXPECT_TRUE(store->Get("k2", &kv).ok());
    EXPECT_TRUE(store->Get("k3", &kv).IsNotFound());
    ASSERT_TRUE(store->Put("k4", "value").ok());
  }
  auto store = MustOpen();
  KeyValue kv;
  EXPECT_TRUE(store->Get("k4", &kv).ok());
  EXPECT_TRUE(store->Get("k1", &kv).ok());
}

TEST_F(EmbeddedStoreTest, ZeroFilledTailIsDropped) {
  {
    auto store = MustOpen();
    ASSERT_TRUE(store->Put("k", "v").ok());
  }
  const fs::path log = OnlyLogFile();
  fs::resize_file(log, fs::file_size(log) + 4096);  // as after a crash mid-extend
  auto store = MustOpen();
  KeyValue kv;
  EXPECT_TRUE(store->Get("k", &kv).ok());
  EXPECT_EQ(fs::file_size(OnlyLogFile()), fs::file_size(log));
}

TEST_F(EmbeddedStoreTest, CorruptRecordBeforeTheEndIsReported) {
  {
    auto store = MustOpen();
    for (const char* key : {"k1", "k2", "k3"}) ASSERT_TRUE(store->Put(key, "value").ok());
  }
  const fs::path log = OnlyLogFile();
  {
    std::fstream file(log, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(12);  // inside the first record's payload
    file.put('\x5a');
  }
  auto store = EmbeddedMetadataStore::Open(dir_.path());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
  EXPECT_NE(store.status().message().find("wal-"), std::string::npos) << store.status().message();
}

TEST_F(EmbeddedStoreTest, SnapshotAndLogReplayRebuildTheState) {
  EmbeddedMetadataStore::Options options;
  options.snapshot_log_bytes = 4096;
  std::map<std::string, KeyValue> before;
  LeaseId lease = 0;
  {
    auto store = MustOpen(options);
    ASSERT_TRUE(store->GrantLease(60, &lease).ok());
    for (int i = 0; i < 400; ++i) {
      const std::string key = "key/" + std::to_string(i % 37);
      if (i % 11 == 0) {
        ASSERT_TRUE(store->Delete(key).ok());
      } else {
        ASSERT_TRUE(store->Put(key, std::string(40, static_cast<char>('a' + i % 26)), i % 5 == 0 ? lease : 0).ok());
      }
    }
    before = Contents(*store);
  }
  EXPECT_TRUE(fs::exists(fs::path(dir_.path()) / "snapshot"));
  const fs::path log = OnlyLogFile();
  EXPECT_NE(log.filename(), "wal-1.log") << "the log was restarted after a snapshot";
  EXPECT_LT(fs::file_size(log), 4096u + 512u);

  auto store = MustOpen(options);
  ExpectSameContents(before, Contents(*store));
  ASSERT_TRUE(store->RevokeLease(lease).ok()) << "the lease came back from the snapshot";
  for (const auto& [key, kv] : Contents(*store)) EXPECT_EQ(kv.lease, 0) << key;
}

TEST_F(EmbeddedStoreTest, CorruptSnapshotIsReported) {
  EmbeddedMetadataStore::Options options;
  options.snapshot_log_bytes = 512;
  {
    auto store = MustOpen(options);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->Put("k" + std::to_string(i), std::string(30, 'x')).ok());
  }
  const fs::path snapshot = fs::path(dir_.path()) / "snapshot";
  ASSERT_TRUE(fs::exists(snapshot));
  {
    std::fstream file(snapshot, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(snapshot) / 2));
    file.put('\x00');
    file.seekp(static_cast<std::streamoff>(fs::file_size(snapshot) / 2 + 1));
    file.put('\x7f');
  }
  auto store = EmbeddedMetadataStore::Open(dir_.path(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
}

// A child process writes as fast as it can and reports each acknowledged
// key through a pipe; it is killed with SIGKILL mid-stream. Every key it
// reported must be there after reopening.
TEST_F(EmbeddedStoreTest, KillNineKeepsEveryAcknowledgedWrite) {
  EmbeddedMetadataStore::Options options;
  options.snapshot_log_bytes = 16 * 1024;  // so snapshots happen during the run too
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto store = EmbeddedMetadataStore::Open(dir_.path(), options);
    if (!store.ok()) ::_exit(2);
    for (uint32_t i = 0;; ++i) {
      if (!(*store)->Put("crash/" + std::to_string(i), std::string(100, 'v')).ok()) ::_exit(3);
      if (::write(pipe_fds[1], &i, sizeof(i)) != sizeof(i)) ::_exit(4);
    }
  }
  ::close(pipe_fds[1]);
  std::vector<uint32_t> acknowledged;
  uint32_t index = 0;
  while (acknowledged.size() < 400 && ::read(pipe_fds[0], &index, sizeof(index)) == sizeof(index)) {
    acknowledged.push_back(index);
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wait_status)) << "child exited early with " << WEXITSTATUS(wait_status);
  while (::read(pipe_fds[0], &index, sizeof(index)) == sizeof(index)) acknowledged.push_back(index);
  ::close(pipe_fds[0]);
  ASSERT_GE(acknowledged.size(), 400u);

  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  for (uint32_t i : acknowledged) {
    KeyValue kv;
    ASSERT_TRUE(store->Get("crash/" + std::to_string(i), &kv).ok()) << "lost acknowledged write " << i;
  }
}

TEST_F(EmbeddedStoreTest, ConcurrentWritersAreAllDurable) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 150;
  int64_t start = 0;
  {
    auto store = MustOpen();
    start = CurrentRevision(*store);
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kPutsPerThread; ++i) {
          if (!store->Put("w" + std::to_string(t) + "/" + std::to_string(i), "v").ok()) ++failures;
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(CurrentRevision(*store), start + kThreads * kPutsPerThread);
  }
  auto store = MustOpen();
  EXPECT_EQ(Contents(*store).size(), static_cast<size_t>(kThreads * kPutsPerThread));
  EXPECT_EQ(CurrentRevision(*store), start + kThreads * kPutsPerThread);
}

TEST_F(EmbeddedStoreTest, WatchFromCompactedRevisionFails) {
  EmbeddedMetadataStore::Options options;
  options.watch_history_events = 10;
  auto store = MustOpen(options);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->Put("k", std::to_string(i)).ok());
  const int64_t revision = CurrentRevision(*store);

  std::unique_ptr<Watch> watch;
  Status status = store->WatchPrefix("", 2, [](const std::vector<WatchEvent>&) {}, &watch);
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_NE(status.message().find("compacted"), std::string::npos);

  std::mutex mu;
  std::condition_variable cv;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(store
                  ->WatchPrefix("", revision - 4,
                                [&](const std::vector<WatchEvent>& batch) {
                                  std::lock_guard<std::mutex> lock(mu);
                                  events.insert(events.end(), batch.begin(), batch.end());
                                  cv.notify_all();
                                },
                                &watch)
                  .ok());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return events.size() >= 5; }));
  EXPECT_EQ(events.front().kv.mod_revision, revision - 4);
  EXPECT_EQ(events.back().kv.value, "49");
  lock.unlock();
  watch.reset();
}

TEST_F(EmbeddedStoreTest, HistoryIsKeptForASlowWatcher) {
  EmbeddedMetadataStore::Options options;
  options.watch_history_events = 4;
  auto store = MustOpen(options);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> values;
  std::atomic<bool> release{false};
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store
                  ->WatchPrefix("", 0,
                                [&](const std::vector<WatchEvent>& batch) {
                                  while (!release.load()) std::this_thread::sleep_for(5ms);
                                  std::lock_guard<std::mutex> lock(mu);
                                  for (const WatchEvent& event : batch) values.push_back(event.kv.value);
                                  cv.notify_all();
                                },
                                &watch)
                  .ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(store->Put("k", std::to_string(i)).ok());
  release = true;
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return values.size() >= 40; }));
  for (int i = 0; i < 40; ++i) EXPECT_EQ(values[i], std::to_string(i));
  lock.unlock();
  watch.reset();
}

TEST_F(EmbeddedStoreTest, WatchReplaysTheLogAfterReopen) {
  int64_t first = 0;
  {
    auto store = MustOpen();
    ASSERT_TRUE(store->Put("r/a", "1").ok());
    first = CurrentRevision(*store);
    ASSERT_TRUE(store->Put("r/a", "2").ok());
  }
  auto store = MustOpen();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> values;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store
                  ->WatchPrefix("r/", first,
                                [&](const std::vector<WatchEvent>& batch) {
                                  std::lock_guard<std::mutex> lock(mu);
                                  for (const WatchEvent& event : batch) values.push_back(event.kv.value);
                                  cv.notify_all();
                                },
                                &watch)
                  .ok());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return values.size() >= 2; }));
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2"}));
  lock.unlock();
  watch.reset();
}

TEST_F(EmbeddedStoreTest, CallbackMayDestroyItsOwnWatch) {
  auto store = MustOpen();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Watch> watch;
  int calls = 0;
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(store
                  ->WatchPrefix("",  0,
                                [&](const std::vector<WatchEvent>&) {
                                  std::lock_guard<std::mutex> guard(mu);
                                  ++calls;
                                  watch.reset();
                                  cv.notify_all();
                                },
                                &watch)
                  .ok());
  lock.unlock();
  ASSERT_TRUE(store->Put("a", "1").ok());
  lock.lock();
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return calls > 0; }));
  lock.unlock();
  ASSERT_TRUE(store->Put("b", "2").ok());
  std::this_thread::sleep_for(200ms);
  lock.lock();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(watch, nullptr);
}

}  // namespace
}  // namespace kafscale

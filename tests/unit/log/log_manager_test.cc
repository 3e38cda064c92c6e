// LogManager against in-memory/embedded stores: acknowledgement only after
// the flush, offsets assigned without gaps, rollback on a failed flush,
// recovery from the stores, corrupt segments never served, one WAL object per
// flush for every partition, compaction into segments that loses nothing and
// serves nothing twice whenever it is interrupted, and ownership:
// only the holder of the partition lease writes, a fenced writer can neither
// commit nor overwrite what a newer owner committed, and other brokers read
// what the owner commits.
#include "log/log_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "cluster/topic_record.h"
#include "metastore/embedded_store.h"
#include "metastore/fault_injecting_metadata_store.h"
#include "metastore/keys.h"
#include "objectstore/fault_injecting_object_store.h"
#include "objectstore/memory_object_store.h"
#include "storage/record_batch.h"
#include "storage/segment_format.h"
#include "storage/segment_key.h"
#include "storage/wal_format.h"

namespace kafscale::log {
namespace {

namespace asio = boost::asio;
using kafka::ErrorCode;

std::string Batch(int count, int64_t first_timestamp, const std::string& tag) {
  std::vector<Record> records;
  for (int i = 0; i < count; ++i) {
    Record r;
    r.offset_delta = i;
    r.timestamp_delta = i;
    r.key = tag + "-k" + std::to_string(i);
    r.value = tag + "-v" + std::to_string(i);
    records.push_back(std::move(r));
  }
  BatchBuilderOptions options;
  options.base_timestamp = first_timestamp;
  return EncodeBatch(options, records);
}

// Passes every call to `inner` and records the uploads holding a large run
// of pieces adjacent in memory whose address and object offset differ modulo
// the direct-I/O block: the embedded store copies such a run rather than
// writing it from memory.
class CopiedRunRecorder final : public ObjectStore {
 public:
  static constexpr size_t kBlock = 4096;
  explicit CopiedRunRecorder(ObjectStore& inner) : inner_(inner) {}

  std::vector<std::string> CopiedUploads() const {
    std::lock_guard lock(mu_);
    return copied_;
  }

  Status Put(const std::string& key, const ObjectBody& data) override {
    Record(key, data);
    return inner_.Put(key, data);
  }
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override {
    Record(key, data);
    return inner_.PutIfAbsent(key, data);
  }
  Status Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) override {
    return inner_.Get(key, out, offset, length);
  }
  Status Head(const std::string& key, ObjectInfo* info) override { return inner_.Head(key, info); }
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys, ListPage* page) override {
    return inner_.List(prefix, continuation, max_keys, page);
  }
  Status DeleteBatch(const std::vector<std::string>& keys) override { return inner_.DeleteBatch(keys); }

 private:
  void Record(const std::string& key, const ObjectBody& data) {
    uint64_t offset = 0;
    uint64_t run_offset = 0;
    std::string_view run;
    bool copied = false;
    auto check = [&] {
      copied = copied || (run.size() >= 16 * kBlock &&
                          (reinterpret_cast<uintptr_t>(run.data()) - run_offset) % kBlock != 0);
    };
    for (std::string_view piece : data.pieces()) {
      if (!run.empty() && piece.data() == run.data() + run.size()) {
        run = std::string_view(run.data(), run.size() + piece.size());
      } else {
        check();
        run = piece;
        run_offset = offset;
      }
      offset += piece.size();
    }
    check();
    std::lock_guard lock(mu_);
    if (copied) copied_.push_back(key);
  }

  ObjectStore& inner_;
  mutable std::mutex mu_;
  std::vector<std::string> copied_;
};

class LogManagerTest : public ::testing::Test {
 protected:
  // Runs a coroutine on the test's io_context until it completes.
  template <typename F>
  auto Run(F f) {
    auto future = asio::co_spawn(io_, f(), asio::use_future);
    io_.restart();
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) io_.run_one();
    return future.get();
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kafscale-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto opened = EmbeddedMetadataStore::Open(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    metadata_ = std::move(opened).value();
    topic_.name = "orders";
    topic_.id = kafka::Uuid::Random();
    topic_.partitions = 2;
    options_.flush_interval = std::chrono::milliseconds(5);
  }
  void TearDown() override {
    Stop();
    metadata_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Flushes and lets the flush loop end before the LogManager goes away.
  void Stop() {
    if (!logs_) return;
    Run([&]() -> asio::awaitable<int> {
      co_await logs_->Shutdown();
      co_return 0;
    });
    io_.restart();
    io_.poll();
    logs_.reset();
  }

  // Stores the topic's record, as TopicManager would (WAL garbage collection
  // reads its id).
  void StoreTopic() { ASSERT_TRUE(metadata_->Put(keys::TopicConfigKey(topic_.name), cluster::EncodeTopicRecord(topic_)).ok()); }

  // Builds a fresh LogManager on the same stores, as a restarted broker would.
  void Restart() {
    Stop();
    StoreTopic();
    faulty_metadata_ = std::make_unique<FaultInjectingMetadataStore>(*metadata_);
    logs_ = std::make_unique<LogManager>(io_.get_executor(), pool_, faulty_, *faulty_metadata_, options_);
    std::vector<const cluster::TopicInfo*> topics = {&topic_};
    Status recovered = Run([&]() -> asio::awaitable<Status> { co_return co_await logs_->Recover(topics); });
    ASSERT_TRUE(recovered.ok()) << recovered.ToString();
    logs_->Start();
    OwnPartitions(*logs_);
  }

  // Creates the topic's (empty) partitions, as TopicManager would, and owns them.
  void CreateTopic() {
    StoreTopic();
    logs_->OnTopicCreated(topic_);
    OwnPartitions(*logs_);
  }

  // Takes each partition's lease anew (a new tenure) and makes `logs` its writer.
  void OwnPartitions(LogManager& logs) {
    for (int32_t p = 0; p < topic_.partitions; ++p) {
      if (logs.Owner(topic_.name, p) || !TakeLease(p).ok()) continue;
      KeyValue lease;
      ASSERT_TRUE(metadata_->Get(keys::PartitionLeaseKey(topic_.name, p), &lease).ok());
      const cluster::OwnershipToken token{static_cast<int32_t>(lease.version), lease.create_revision};
      Run([&]() -> asio::awaitable<Status> { co_return co_await logs.TakeOwnership(topic_.name, p, token); });
    }
  }

  // Replaces the partition lease, as another broker taking over would.
  Status TakeLease(int32_t partition) {
    const std::string key = keys::PartitionLeaseKey(topic_.name, partition);
    Status deleted = metadata_->Delete(key);
    return deleted.ok() ? metadata_->Put(key, "broker") : deleted;
  }

  Status AppendDurably(int32_t partition, const std::string& batch, int64_t* base_offset) {
    return AppendDurablyTo(*logs_, partition, batch, base_offset);
  }
  Status AppendDurablyTo(LogManager& logs, int32_t partition, const std::string& batch, int64_t* base_offset) {
    AppendResult appended = logs.Append(topic_.name, partition, kafka::Records::FromString(batch), 1 << 20);
    if (appended.error != ErrorCode::kNone) return Status::InvalidArgument(appended.message);
    *base_offset = appended.base_offset;
    auto ticket = appended.ticket;
    return Run([&]() -> asio::awaitable<Status> {
      co_return co_await logs.WaitDurable(ticket, std::chrono::steady_clock::now() + std::chrono::seconds(5));
    });
  }

  ReadResult ReadAt(int32_t partition, int64_t offset) { return ReadFrom(*logs_, partition, offset); }
  ReadResult ReadFrom(LogManager& logs, int32_t partition, int64_t offset) {
    return Run([&]() -> asio::awaitable<ReadResult> {
      co_return co_await logs.Read(topic_.name, partition, offset, 1 << 20);
    });
  }

  // Appends a batch of `count` records tagged `tag` + the partition number to
  // every partition at once, then waits until each append is durable.
  void AppendToEveryPartition(int count, const std::string& tag) {
    std::vector<AppendResult> appends;
    for (int32_t p = 0; p < topic_.partitions; ++p) {
      appends.push_back(logs_->Append(topic_.name, p,
                                      kafka::Records::FromString(Batch(count, 1000, tag + std::to_string(p))), 1 << 20));
      ASSERT_EQ(appends.back().error, ErrorCode::kNone);
    }
    ASSERT_TRUE(RunUntil([&] {
      return std::all_of(appends.begin(), appends.end(), [](const AppendResult& a) { return a.ticket->done; });
    }));
    for (const AppendResult& a : appends) ASSERT_TRUE(a.ticket->status.ok()) << a.ticket->status.ToString();
  }

  // Runs the io_context until `done` holds or 10 s pass; returns `done()`.
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    io_.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(std::chrono::milliseconds(5));
    return done();
  }

  // Keys of the objects under `prefix`.
  std::vector<std::string> Objects(const std::string& prefix) {
    std::vector<ObjectInfo> listed;
    EXPECT_TRUE(ListAll(objects_, prefix, &listed).ok());
    std::vector<std::string> keys;
    for (const ObjectInfo& object : listed) keys.push_back(object.key);
    return keys;
  }
  std::vector<std::string> WalObjects() { return Objects("default/~wal/"); }
  // The index of a stored WAL object (empty, and a test failure, when it
  // cannot be read or parsed).
  std::vector<WalRange> WalIndex(const std::string& key) {
    std::string object;
    std::vector<WalRange> ranges;
    EXPECT_TRUE(objects_.Get(key, &object).ok()) << key;
    EXPECT_TRUE(ParseWalIndex(object, &ranges).ok()) << key;
    return ranges;
  }
  // The stored WAL object records (what flushes commit).
  std::vector<WalObjectRecord> WalObjectRecords() {
    std::vector<KeyValue> kvs;
    EXPECT_TRUE(metadata_->Range(keys::WalObjectsPrefix(), &kvs).ok());
    std::vector<WalObjectRecord> records;
    for (const KeyValue& kv : kvs) {
      if (keys::IsWalIndexMarkerKey(kv.key)) continue;
      Result<WalObjectRecord> record = DecodeWalObjectRecord(kv.value);
      EXPECT_TRUE(record.ok()) << kv.key << ": " << record.status().ToString();
      if (record.ok()) records.push_back(std::move(*record));
    }
    return records;
  }
  // A LogManager of another broker on the same stores, recovered (so
  // watching what is committed), not yet started.
  std::unique_ptr<LogManager> OtherBroker() {
    auto other = std::make_unique<LogManager>(io_.get_executor(), pool_, faulty_, *metadata_, options_);
    std::vector<const cluster::TopicInfo*> topics = {&topic_};
    Status recovered = Run([&]() -> asio::awaitable<Status> { co_return co_await other->Recover(topics); });
    EXPECT_TRUE(recovered.ok()) << recovered.ToString();
    return other;
  }
  void StopOther(LogManager& other) {
    Run([&]() -> asio::awaitable<int> {
      co_await other.Shutdown();
      co_return 0;
    });
  }

  // The stored WAL start of a partition (-1 when absent).
  int64_t StoredWalStart(int32_t partition) {
    KeyValue kv;
    if (!metadata_->Get(keys::WalStartKey(topic_.name, partition), &kv).ok()) return -1;
    Result<int64_t> start = ParseNextOffset(kv.value);
    return start.ok() ? *start : -1;
  }
  // Waits until the partition's committed data is all in segments.
  bool WaitCompacted(int32_t partition) {
    return RunUntil([&] { return StoredWalStart(partition) == logs_->Latest(topic_.name, partition).offset; });
  }

  // Every record value of the partition read from `offset` on, in order.
  std::vector<std::string> ReadValues(LogManager& logs, int32_t partition, int64_t offset) {
    std::vector<std::string> values;
    while (offset < logs.Latest(topic_.name, partition).offset) {
      ReadResult read = ReadFrom(logs, partition, offset);
      if (read.error != ErrorCode::kNone || read.records.slices.empty()) break;
      for (const kafka::SharedSlice& slice : read.records.slices) {
        std::vector<Record> records;
        EXPECT_TRUE(DecodeRecords(slice.bytes, &records).ok());
        const int64_t base = GetBaseOffset(slice.bytes.data());
        for (const Record& record : records) {
          if (base + record.offset_delta < offset) continue;
          values.push_back(record.value.value_or(""));
        }
        offset = base + records.size();
      }
    }
    return values;
  }

  // The first record value of a read's first batch.
  static std::string FirstValue(const ReadResult& read) {
    std::vector<Record> records;
    if (read.records.slices.empty() || !DecodeRecords(read.records.slices.front().bytes, &records).ok() ||
        records.empty()) {
      return "";
    }
    return records.front().value.value_or("");
  }

  std::filesystem::path dir_;
  asio::io_context io_;
  asio::thread_pool pool_{2};
  MemoryObjectStore objects_;
  CopiedRunRecorder recorder_{objects_};
  FaultInjectingObjectStore faulty_{recorder_};
  std::unique_ptr<EmbeddedMetadataStore> metadata_;
  std::unique_ptr<FaultInjectingMetadataStore> faulty_metadata_;  // what logs_ uses
  cluster::TopicInfo topic_;
  LogOptions options_;
  std::unique_ptr<LogManager> logs_;
};

TEST_F(LogManagerTest, RecordsBecomeVisibleOnlyWhenDurableWithConsecutiveOffsets) {
  Restart();
  CreateTopic();
  AppendResult pending = logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(3, 1000, "a")), 1 << 20);
  ASSERT_EQ(pending.error, ErrorCode::kNone);
  EXPECT_EQ(pending.base_offset, 0);
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 0) << "not durable yet, so not visible";

  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 2000, "b"), &base).ok());
  EXPECT_EQ(base, 3);
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 5);
  ReadResult read = ReadAt(0, 0);
  ASSERT_EQ(read.error, ErrorCode::kNone);
  EXPECT_EQ(read.high_watermark, 5);
  const std::string bytes = read.records.Flatten();
  std::vector<BatchLocation> batches;
  ASSERT_TRUE(ScanBatches(bytes, &batches).ok());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 0);
  EXPECT_EQ(batches[1].base_offset, 3);
  EXPECT_EQ(batches[1].last_offset, 4);
}

TEST_F(LogManagerTest, OneFlushWritesOneObjectForEveryPartition) {
  options_.flush_interval = std::chrono::milliseconds(50);
  Restart();
  CreateTopic();
  AppendResult first = logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(3, 1000, "p0")), 1 << 20);
  AppendResult second = logs_->Append(topic_.name, 1, kafka::Records::FromString(Batch(2, 1000, "p1")), 1 << 20);
  ASSERT_EQ(first.error, ErrorCode::kNone);
  ASSERT_EQ(second.error, ErrorCode::kNone);
  ASSERT_TRUE(RunUntil([&] { return first.ticket->done && second.ticket->done; }));
  ASSERT_TRUE(first.ticket->status.ok()) << first.ticket->status.ToString();
  ASSERT_TRUE(second.ticket->status.ok());

  const std::vector<std::string> wal = WalObjects();
  ASSERT_EQ(wal.size(), 1u) << "both partitions in one object";
  EXPECT_TRUE(Objects("default/orders/").empty()) << "no per-partition object before compaction";
  const std::vector<WalRange> ranges = WalIndex(wal[0]);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].last_offset, 2);
  EXPECT_EQ(ranges[1].last_offset, 1);
  // One record commits both ranges, naming where they are in the object.
  const std::vector<WalObjectRecord> records = WalObjectRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].object_key, wal[0]);
  ASSERT_EQ(records[0].ranges.size(), 2u);
  const WalObjectRecord::Range& range = records[0].ranges[1];
  EXPECT_EQ(range.topic, topic_.name);
  EXPECT_EQ(range.topic_id, topic_.id.ToBase64());
  EXPECT_EQ(range.partition, 1);
  EXPECT_EQ(range.base_offset, 0);
  EXPECT_EQ(range.last_offset, 1);
  EXPECT_EQ(range.position, ranges[1].position);
  EXPECT_EQ(range.length, ranges[1].length);
  EXPECT_EQ(StoredWalStart(0), 0);
  EXPECT_EQ(logs_->counters().wal_objects_written, 1u);

  Restart();  // read back from the WAL object, not the flush's memory
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"p0-v0", "p0-v1", "p0-v2"}));
  EXPECT_EQ(ReadValues(*logs_, 1, 1), (std::vector<std::string>{"p1-v1"}));
}

// Appends that outgrow a partition's append buffer continue in another one
// (nothing buffered is copied): the flush still writes one range, and the
// batches read back in order from memory and from the object.
TEST_F(LogManagerTest, AppendsBeyondOneBufferFlushAsOneRangeInOrder) {
  options_.flush_interval = std::chrono::milliseconds(50);
  Restart();
  CreateTopic();
  std::vector<std::string> expected;
  std::vector<AppendResult> appends;
  for (int i = 0; i < 6; ++i) {
    const std::string tag = "b" + std::to_string(i);
    const std::string batch = Batch(2000, 1000, tag);  // about 40 KiB: two fill a 64 KiB buffer
    appends.push_back(logs_->Append(topic_.name, 0, kafka::Records::FromString(batch), 1 << 20));
    ASSERT_EQ(appends.back().error, ErrorCode::kNone);
    for (int r = 0; r < 2000; ++r) expected.push_back(tag + "-v" + std::to_string(r));
  }
  ASSERT_TRUE(RunUntil([&] { return appends.back().ticket->done; }));
  ASSERT_TRUE(appends.back().ticket->status.ok()) << appends.back().ticket->status.ToString();

  const std::vector<std::string> wal = WalObjects();
  ASSERT_EQ(wal.size(), 1u);
  const std::vector<WalRange> ranges = WalIndex(wal[0]);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].base_offset, 0);
  EXPECT_EQ(ranges[0].last_offset, 11999);
  EXPECT_EQ(ReadValues(*logs_, 0, 0), expected);  // from the flush's buffers, cached
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), expected);  // from the object
}

// With a range alignment (the embedded store's direct I/O), large ranges sit
// in the object at their offset in the segment they will be compacted into,
// modulo the alignment; everything reads back as produced.
TEST_F(LogManagerTest, AlignedWalRangesReadBackFromMemoryAndFromTheObject) {
  options_.flush_interval = std::chrono::milliseconds(50);
  options_.wal_range_alignment = 4096;
  Restart();
  CreateTopic();
  AppendResult small = logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(3, 1000, "s")), 1 << 20);
  AppendResult large = logs_->Append(topic_.name, 1, kafka::Records::FromString(Batch(8000, 1000, "l")), 1 << 20);
  ASSERT_EQ(small.error, ErrorCode::kNone);
  ASSERT_EQ(large.error, ErrorCode::kNone);
  ASSERT_TRUE(RunUntil([&] { return small.ticket->done && large.ticket->done; }));
  ASSERT_TRUE(large.ticket->status.ok()) << large.ticket->status.ToString();

  const std::vector<std::string> wal = WalObjects();
  ASSERT_EQ(wal.size(), 1u);
  const std::vector<WalRange> ranges = WalIndex(wal[0]);
  ASSERT_EQ(ranges.size(), 2u);
  ASSERT_GE(ranges[1].length, 16 * 4096u);
  EXPECT_EQ(ranges[1].position % 4096, kSegmentHeaderSize);
  EXPECT_TRUE(recorder_.CopiedUploads().empty());
  std::vector<std::string> expected_large;
  for (int r = 0; r < 8000; ++r) expected_large.push_back("l-v" + std::to_string(r));
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"s-v0", "s-v1", "s-v2"}));  // cached
  EXPECT_EQ(ReadValues(*logs_, 1, 0), expected_large);
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"s-v0", "s-v1", "s-v2"}));  // from the object
  EXPECT_EQ(ReadValues(*logs_, 1, 0), expected_large);
}

// Append buffers start where their batches will lie in the compacted
// segment, so neither the WAL objects nor the segments have a large run of
// bytes the embedded store would have to copy, whichever flush a segment
// starts at.
TEST_F(LogManagerTest, WalObjectsAndSegmentsAreUploadedFromMemoryAtTheirAlignment) {
  options_.wal_range_alignment = 4096;
  options_.compacted_segment_bytes = 512 * 1024;  // three of the flushes below
  options_.compaction_interval = std::chrono::minutes(10);  // compacted by size only
  Restart();
  CreateTopic();
  constexpr int kFlushes = 7;
  for (int f = 0; f < kFlushes; ++f) {
    ASSERT_NO_FATAL_FAILURE(AppendToEveryPartition(8000, "f" + std::to_string(f) + "p"));
  }
  // Two segments of three flushes per partition; the seventh stays in the WAL.
  ASSERT_TRUE(RunUntil([&] {
    const std::vector<std::string> keys = Objects("default/orders/");
    return std::count_if(keys.begin(), keys.end(), [](const std::string& k) { return k.ends_with(".kfs"); }) == 4;
  }));
  EXPECT_EQ(recorder_.CopiedUploads(), std::vector<std::string>{});
  EXPECT_EQ(ReadValues(*logs_, 1, 6 * 8000).front(), "f6p1-v0");
  EXPECT_EQ(ReadValues(*logs_, 0, 0).size(), 7 * 8000u);
}

TEST_F(LogManagerTest, AFlushOfManyPartitionsCommitsInSeveralTransactionsAndIsCollectedWhole) {
  // etcd takes at most 128 compares and 128 ops per transaction: a partition
  // costs one compare (its lease; two and one op on its first commit, which
  // stores its WAL start), and every transaction writes one object record.
  topic_.partitions = 200;
  options_.flush_interval = std::chrono::milliseconds(50);
  Restart();
  CreateTopic();
  ASSERT_NO_FATAL_FAILURE(AppendToEveryPartition(1, "p"));
  EXPECT_EQ(WalObjects().size(), 1u);
  EXPECT_EQ(logs_->counters().wal_commit_txns, 4u);  // 64 + 64 + 64 + 8 first commits
  ASSERT_NO_FATAL_FAILURE(AppendToEveryPartition(1, "q"));
  EXPECT_EQ(WalObjects().size(), 2u);
  EXPECT_EQ(logs_->counters().wal_commit_txns, 6u);  // 128 + 72
  EXPECT_EQ(WalObjectRecords().size(), 6u);

  options_.compaction_interval = std::chrono::milliseconds(0);
  Restart();  // reads every range back from the object, then compacts it away
  for (int32_t p = 0; p < topic_.partitions; p += 33) {
    const std::string suffix = std::to_string(p) + "-v0";
    EXPECT_EQ(ReadValues(*logs_, p, 0), (std::vector<std::string>{"p" + suffix, "q" + suffix}));
  }
  ASSERT_TRUE(RunUntil([&] { return WalObjects().empty(); }));
  EXPECT_TRUE(WalObjectRecords().empty());
  EXPECT_EQ(ReadValues(*logs_, 199, 0), (std::vector<std::string>{"p199-v0", "q199-v0"}));
}

// A flush of many partitions commits in several transactions at once. While
// one of them is still on its way the others may be compacted already; the
// object must stay until every transaction is recorded (or it is older than
// any commit can be), else the late one acknowledges records in a deleted
// object.
TEST_F(LogManagerTest, AnObjectIsCollectedOnlyOnceEveryTransactionOfItsFlushIsRecorded) {
  topic_.partitions = 200;
  options_.flush_interval = std::chrono::milliseconds(50);
  options_.compaction_interval = std::chrono::milliseconds(0);
  Restart();
  CreateTopic();
  ASSERT_NO_FATAL_FAILURE(AppendToEveryPartition(1, "p"));
  std::vector<KeyValue> records;
  ASSERT_TRUE(metadata_->Range(keys::WalObjectsPrefix(), &records).ok());
  std::erase_if(records, [](const KeyValue& kv) { return keys::IsWalIndexMarkerKey(kv.key); });
  ASSERT_EQ(records.size(), 4u);
  EXPECT_TRUE(records.back().key.ends_with("/3of4")) << records.back().key;
  // The last transaction has not landed yet.
  ASSERT_TRUE(metadata_->Delete(records.back().key).ok());

  for (int32_t p = 0; p < topic_.partitions; ++p) ASSERT_TRUE(WaitCompacted(p)) << p;
  io_.restart();
  io_.run_for(std::chrono::seconds(3));  // garbage is collected every second
  EXPECT_EQ(WalObjects().size(), 1u);
  EXPECT_EQ(WalObjectRecords().size(), 3u);
  // Nor when that transaction was refused and redone per partition, until
  // every one of them is recorded.
  const std::string split_part = keys::WalObjectRecordSplitPart(records.back().key, 0, 2);
  ASSERT_TRUE(metadata_->Put(split_part, records.back().value).ok());
  io_.restart();
  io_.run_for(std::chrono::seconds(2));
  EXPECT_EQ(WalObjects().size(), 1u);
  EXPECT_EQ(WalObjectRecords().size(), 4u);

  ASSERT_TRUE(metadata_->Put(keys::WalObjectRecordSplitPart(records.back().key, 1, 2), records.back().value).ok());
  ASSERT_TRUE(RunUntil([&] { return WalObjects().empty(); }));
  EXPECT_TRUE(WalObjectRecords().empty());
}

TEST_F(LogManagerTest, CompactionMovesWalRangesIntoSegmentsAndDeletesTheObjects) {
  options_.compaction_interval = std::chrono::milliseconds(0);
  options_.flush_interval = std::chrono::hours(1);
  options_.flush_bytes = 1;  // every append is flushed on its own
  options_.compacted_segment_bytes = 1;
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(AppendDurably(1, Batch(1, 1000, "x"), &base).ok());
  ASSERT_TRUE(WaitCompacted(0));
  ASSERT_TRUE(WaitCompacted(1));
  ObjectInfo info;
  EXPECT_TRUE(objects_.Head(SegmentKey("default", "orders", 0, 0), &info).ok());
  EXPECT_TRUE(objects_.Head(IndexKey("default", "orders", 0, 0), &info).ok());
  EXPECT_TRUE(objects_.Head(SegmentKey("default", "orders", 1, 0), &info).ok());
  ASSERT_TRUE(RunUntil([&] { return WalObjects().empty(); })) << "WAL objects are deleted once compacted";
  EXPECT_TRUE(WalObjectRecords().empty());
  // Counted once the compaction resumes after its commit, which the store
  // (and so the checks above) may see first.
  ASSERT_TRUE(RunUntil([&] { return logs_->counters().segments_compacted >= 2; }));
  EXPECT_EQ(logs_->counters().segments_compacted, 2u);
  // next_offset says where segments end, for the original KafScale's readers.
  KeyValue next;
  ASSERT_TRUE(metadata_->Get(keys::NextOffsetKey(topic_.name, 0), &next).ok());
  EXPECT_EQ(next.value, "2");

  ASSERT_TRUE(AppendDurably(0, Batch(1, 1000, "b"), &base).ok());
  EXPECT_EQ(base, 2);
  Restart();  // the next offset comes from the newest committed WAL range
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 3);
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"a-v0", "a-v1", "b-v0"}));
  EXPECT_EQ(ReadValues(*logs_, 1, 0), (std::vector<std::string>{"x-v0"}));
}

TEST_F(LogManagerTest, InterruptedCompactionLosesNothingAndServesNothingTwice) {
  options_.compaction_interval = std::chrono::milliseconds(0);
  Restart();
  CreateTopic();
  // The segment is uploaded but its index upload fails: as a crash between
  // the two, nothing is committed and the WAL start stays.
  faulty_.FailNext(ObjectStoreOp::kPut, 1, Status::Unavailable("injected"), IndexKey("default", "orders", 0, 0));
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "a"), &base).ok());
  ASSERT_TRUE(RunUntil([&] { return faulty_.CallCount(ObjectStoreOp::kPut) >= 3; }));
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"a-v0", "a-v1", "a-v2"}));
  // The next pass replaces the orphaned segment and commits.
  ASSERT_TRUE(WaitCompacted(0));
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"a-v0", "a-v1", "a-v2"}));
}

TEST_F(LogManagerTest, CompactionStartsOnceAPartitionHasASegmentOfWalBytes) {
  options_.compaction_interval = std::chrono::hours(1);
  options_.compacted_segment_bytes = 200;  // more than one small batch, less than two
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(1, 1000, "a"), &base).ok());
  ASSERT_TRUE(AppendDurably(1, Batch(1, 1000, "x"), &base).ok());
  io_.restart();
  io_.run_for(std::chrono::milliseconds(600));  // a few compactor passes
  EXPECT_EQ(StoredWalStart(0), 0) << "under compacted_segment_bytes and within the interval: not compacted yet";
  ASSERT_TRUE(AppendDurably(0, Batch(5, 1000, "b"), &base).ok());
  EXPECT_TRUE(WaitCompacted(0));
  EXPECT_EQ(StoredWalStart(1), 0);

  // A new owner counts the WAL bytes it finds.
  options_.compacted_segment_bytes = 1 << 20;
  Restart();
  ASSERT_TRUE(AppendDurably(1, Batch(5, 1000, "y"), &base).ok());
  io_.restart();
  io_.run_for(std::chrono::milliseconds(600));
  EXPECT_EQ(StoredWalStart(1), 0);
  options_.compacted_segment_bytes = 200;
  Restart();
  EXPECT_TRUE(WaitCompacted(1));
  EXPECT_EQ(ReadValues(*logs_, 1, 0), (std::vector<std::string>{"x-v0", "y-v0", "y-v1", "y-v2", "y-v3", "y-v4"}));
}

TEST_F(LogManagerTest, WalDataFillingHalfTheCacheCompactsTheLargestPartitionsEarly) {
  options_.compaction_interval = std::chrono::hours(1);
  options_.compacted_segment_bytes = 1 << 20;
  const std::string large = Batch(20, 1000, "a");
  const std::string small = Batch(1, 1000, "x");
  options_.cache_bytes = 2 * large.size();  // half of it holds either partition's data, not both
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(1, small, &base).ok());
  ASSERT_TRUE(AppendDurably(0, large, &base).ok());
  EXPECT_TRUE(WaitCompacted(0));
  io_.restart();
  io_.run_for(std::chrono::milliseconds(600));  // a few compactor passes
  EXPECT_EQ(StoredWalStart(1), 0) << "what is left fits in half the cache: the small partition waits";
  EXPECT_EQ(ReadValues(*logs_, 0, 0).size(), 20u);
}

TEST_F(LogManagerTest, FencedCompactionMovesNothing) {
  options_.compaction_interval = std::chrono::hours(1);
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(TakeLease(0).ok());  // another broker took over
  options_.compaction_interval = std::chrono::milliseconds(0);
  // A zombie compactor: its segment upload may land, its commit cannot.
  std::unique_ptr<LogManager> other = OtherBroker();
  LogManager& zombie = *other;
  KeyValue lease;
  ASSERT_TRUE(metadata_->Get(keys::PartitionLeaseKey(topic_.name, 0), &lease).ok());
  const cluster::OwnershipToken token{3, lease.create_revision};
  ASSERT_TRUE(Run([&]() -> asio::awaitable<Status> { co_return co_await zombie.TakeOwnership(topic_.name, 0, token); })
                  .ok());
  ASSERT_TRUE(TakeLease(0).ok());  // ... and lost it again before compacting
  zombie.Start();
  ASSERT_TRUE(RunUntil([&] { return faulty_.CallCount(ObjectStoreOp::kPut) >= 2; }));
  io_.run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(StoredWalStart(0), 0) << "the fenced compaction committed nothing";
  EXPECT_EQ(zombie.counters().segments_compacted, 0u);
  Run([&]() -> asio::awaitable<int> {
    co_await zombie.Shutdown();
    co_return 0;
  });
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"a-v0", "a-v1"}));
}

TEST_F(LogManagerTest, FailedFlushAcknowledgesNothingAndReusesOffsets) {
  Restart();
  CreateTopic();
  faulty_.FailNext(ObjectStoreOp::kPut, 1, Status::Unavailable("injected"));
  int64_t base = -1;
  Status failed = AppendDurably(1, Batch(4, 1000, "lost"), &base);
  EXPECT_EQ(failed.code(), Status::Code::kUnavailable);
  EXPECT_EQ(logs_->Latest(topic_.name, 1).offset, 0);

  ASSERT_TRUE(AppendDurably(1, Batch(2, 1000, "kept"), &base).ok());
  EXPECT_EQ(base, 0) << "offsets of the failed flush are assigned again";
  EXPECT_EQ(logs_->Latest(topic_.name, 1).offset, 2);
}

TEST_F(LogManagerTest, PipelinedFlushesKeepAcknowledgedOffsetsDenseWhenOneFails) {
  options_.flush_interval = std::chrono::milliseconds(2);
  Restart();
  CreateTopic();
  // Slow uploads make flushes overlap: several upload while one commits.
  // The first upload fails; flushes already holding later offsets of the
  // partition must fail with it rather than leave a gap or give up the
  // partition.
  faulty_.SetLatency(ObjectStoreOp::kPut, std::chrono::milliseconds(15));
  faulty_.FailNext(ObjectStoreOp::kPut, 1, Status::Unavailable("injected"));
  std::vector<AppendResult> appends;
  io_.restart();
  for (int i = 0; i < 40; ++i) {
    appends.push_back(
        logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(1, 1000, "r" + std::to_string(i))), 1 << 20));
    ASSERT_EQ(appends.back().error, ErrorCode::kNone);
    io_.run_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(RunUntil([&] {
    return std::all_of(appends.begin(), appends.end(), [](const AppendResult& a) { return a.ticket->done; });
  }));
  faulty_.ClearFaults();
  std::vector<std::string> acknowledged;
  size_t failed = 0;
  for (size_t i = 0; i < appends.size(); ++i) {
    if (!appends[i].ticket->status.ok()) {
      ++failed;
      continue;
    }
    EXPECT_EQ(appends[i].base_offset, static_cast<int64_t>(acknowledged.size())) << "append " << i;
    acknowledged.push_back("r" + std::to_string(i) + "-v0");
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(acknowledged.size(), 0u);
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, static_cast<int64_t>(acknowledged.size()));
  EXPECT_EQ(ReadValues(*logs_, 0, 0), acknowledged);
  EXPECT_TRUE(logs_->Owner(topic_.name, 0).has_value()) << "a failed upload is no reason to give up the partition";
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), acknowledged);
}

TEST_F(LogManagerTest, ACommitThatMayHaveAppliedMakesTheOwnerReadThePartitionAgain) {
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  // The commit applies but its answer is lost, as with a timeout.
  faulty_metadata_->FailNextTxns(1, Status::Unavailable("injected lost answer"), /*after_applying=*/true);
  Status lost = AppendDurably(0, Batch(2, 1000, "b"), &base);
  EXPECT_FALSE(lost.ok());
  EXPECT_FALSE(logs_->Owner(topic_.name, 0).has_value()) << "the broker no longer knows what is committed";
  OwnPartitions(*logs_);  // taken again (as the next reconciliation pass would): reads what is committed
  ASSERT_TRUE(AppendDurably(0, Batch(1, 1000, "c"), &base).ok());
  EXPECT_EQ(base, 4) << "after the records whose commit applied, never over them";
  const std::vector<std::string> committed{"a-v0", "a-v1", "b-v0", "b-v1", "c-v0"};
  EXPECT_EQ(ReadValues(*logs_, 0, 0), committed);
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), committed);
}

// Fixture for flushes uploaded while an earlier one is slow: every append is
// flushed on its own.
class FlushOrderTest : public LogManagerTest {
 protected:
  void SetUp() override {
    LogManagerTest::SetUp();
    options_.flush_interval = std::chrono::hours(1);
    options_.flush_bytes = 1;
    options_.compacted_segment_bytes = 1;
    Restart();
    CreateTopic();
  }

  // Appends one record and waits until its flush uploads (or starts
  // uploading, when uploads are slow).
  AppendResult AppendAndUpload(int32_t partition, const std::string& prefix) {
    const size_t puts_before = faulty_.CallCount(ObjectStoreOp::kPut);
    AppendResult result =
        logs_->Append(topic_.name, partition, kafka::Records::FromString(Batch(1, 1000, prefix)), 1 << 20);
    EXPECT_EQ(result.error, ErrorCode::kNone);
    EXPECT_TRUE(RunUntil([&] { return faulty_.CallCount(ObjectStoreOp::kPut) > puts_before; }));
    return result;
  }

  // Three flushes: partition 0 with a slow upload (long enough for the two
  // after it on a busy machine), then partition 1, then partition 0 again.
  struct ThreeFlushes {
    AppendResult slow;
    AppendResult other;
    AppendResult fast;
  };
  ThreeFlushes UploadTwoFlushesBehindASlowOne() {
    ThreeFlushes flushes;
    faulty_.SetLatency(ObjectStoreOp::kPut, std::chrono::milliseconds(1000));
    flushes.slow = AppendAndUpload(0, "slow");
    faulty_.SetLatency(ObjectStoreOp::kPut, std::chrono::milliseconds(0));
    flushes.other = AppendAndUpload(1, "other");
    flushes.fast = AppendAndUpload(0, "fast");
    return flushes;
  }
};

TEST_F(FlushOrderTest, FlushesUploadedDuringASlowUploadCommitAfterItInOneTransaction) {
  const uint64_t txns_before = logs_->counters().wal_commit_txns;
  // The next flushes upload at once, without waiting for the slow upload...
  auto [slow, other, fast] = UploadTwoFlushesBehindASlowOne();
  io_.restart();
  io_.run_for(std::chrono::milliseconds(50));
  // ...but commit only after the flush before them, all three at once.
  EXPECT_FALSE(slow.ticket->done);
  EXPECT_FALSE(other.ticket->done);
  EXPECT_FALSE(fast.ticket->done);
  ASSERT_TRUE(RunUntil([&] { return slow.ticket->done && fast.ticket->done && other.ticket->done; }));
  for (const AppendResult* a : {&slow, &fast, &other}) EXPECT_TRUE(a->ticket->status.ok()) << a->ticket->status.ToString();
  EXPECT_EQ(logs_->counters().wal_commit_txns - txns_before, 1u);
  EXPECT_EQ(WalObjectRecords().size(), 3u);  // one per object
  EXPECT_EQ(slow.base_offset, 0);
  EXPECT_EQ(fast.base_offset, 1);
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"slow-v0", "fast-v0"}));
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"slow-v0", "fast-v0"}));
  EXPECT_EQ(ReadValues(*logs_, 1, 0), (std::vector<std::string>{"other-v0"}));
}

TEST_F(FlushOrderTest, AFencedPartitionInFlushesCommittingTogetherFailsAlone) {
  const uint64_t txns_before = logs_->counters().wal_commit_txns;
  auto [slow, other, fast] = UploadTwoFlushesBehindASlowOne();
  ASSERT_TRUE(TakeLease(1).ok());  // partition 1's lease expired and another broker took it
  ASSERT_TRUE(RunUntil([&] { return slow.ticket->done && fast.ticket->done && other.ticket->done; }));
  EXPECT_TRUE(slow.ticket->status.ok()) << slow.ticket->status.ToString();
  EXPECT_TRUE(fast.ticket->status.ok()) << fast.ticket->status.ToString();
  EXPECT_TRUE(other.ticket->status.IsConflict()) << other.ticket->status.ToString();
  EXPECT_FALSE(logs_->Owner(topic_.name, 1).has_value());
  // The three flushes' transaction was refused; then each committed alone.
  EXPECT_EQ(logs_->counters().wal_commit_txns - txns_before, 4u);
  EXPECT_EQ(WalObjectRecords().size(), 2u);
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"slow-v0", "fast-v0"}));
  EXPECT_EQ(logs_->Latest(topic_.name, 1).offset, 0);
}

TEST_F(LogManagerTest, RestartRecoversCommittedDataAndContinuesOffsets) {
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "a"), &base).ok());
  ASSERT_TRUE(AppendDurably(0, Batch(3, 5000, "b"), &base).ok());

  Restart();
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 6);
  ReadResult read = ReadAt(0, 4);
  ASSERT_EQ(read.error, ErrorCode::kNone);
  std::vector<Record> records;
  ASSERT_TRUE(DecodeRecords(read.records.slices.front().bytes, &records).ok());
  EXPECT_EQ(records.at(1).value, "b-v1");
  ASSERT_TRUE(AppendDurably(0, Batch(1, 9000, "c"), &base).ok());
  EXPECT_EQ(base, 6);

  OffsetLookup by_time = Run([&]() -> asio::awaitable<OffsetLookup> {
    co_return co_await logs_->ForTimestamp(topic_.name, 0, 5001);
  });
  EXPECT_EQ(by_time.offset, 4);
  EXPECT_EQ(by_time.timestamp, 5001);
}

TEST_F(LogManagerTest, CorruptSegmentIsReportedAndNeverServed) {
  options_.compaction_interval = std::chrono::milliseconds(0);
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "a"), &base).ok());
  ASSERT_TRUE(WaitCompacted(0));
  const std::string key = SegmentKey("default", "orders", 0, 0);
  std::string bytes;
  ASSERT_TRUE(objects_.Get(key, &bytes).ok());
  bytes[40] ^= 0x5a;  // inside the first batch
  ASSERT_TRUE(objects_.Put(key, bytes).ok());

  Restart();  // a new cache: the segment must be read from the store
  ReadResult read = ReadAt(0, 0);
  EXPECT_EQ(read.error, ErrorCode::kKafkaStorageError);
  EXPECT_EQ(read.records.size(), 0u);
}

TEST_F(LogManagerTest, CorruptWalRangeIsReportedAndNeverServed) {
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "a"), &base).ok());
  const std::vector<std::string> wal = WalObjects();
  ASSERT_EQ(wal.size(), 1u);
  std::string bytes;
  ASSERT_TRUE(objects_.Get(wal[0], &bytes).ok());
  bytes[kWalHeaderSize + 70] ^= 0x5a;  // inside the first batch's records
  ASSERT_TRUE(objects_.Put(wal[0], bytes).ok());

  Restart();
  ReadResult read = ReadAt(0, 0);
  EXPECT_EQ(read.error, ErrorCode::kKafkaStorageError);
  EXPECT_EQ(read.records.size(), 0u);
}

TEST_F(LogManagerTest, UncommittedSegmentIsIgnored) {
  options_.compaction_interval = std::chrono::milliseconds(0);
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(WaitCompacted(0));
  // A segment uploaded by a broker that died before committing its offset.
  std::string bytes;
  ASSERT_TRUE(objects_.Get(SegmentKey("default", "orders", 0, 0), &bytes).ok());
  ASSERT_TRUE(objects_.Put(SegmentKey("default", "orders", 0, 2), bytes).ok());

  Restart();
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 2);
  ASSERT_TRUE(AppendDurably(0, Batch(1, 1000, "b"), &base).ok());
  EXPECT_EQ(base, 2);
  ReadResult read = ReadAt(0, 2);
  ASSERT_EQ(read.error, ErrorCode::kNone);
  std::vector<Record> records;
  ASSERT_TRUE(DecodeRecords(read.records.slices.front().bytes, &records).ok());
  EXPECT_EQ(records.at(0).value, "b-v0");
  ASSERT_TRUE(WaitCompacted(0)) << "the orphan at base 2 is replaced by the compacted segment";
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"a-v0", "a-v1", "b-v0"}));
}

TEST_F(LogManagerTest, FullBufferFlushesBeforeTheInterval) {
  options_.flush_interval = std::chrono::hours(1);
  options_.flush_bytes = 1;
  Restart();
  CreateTopic();
  int64_t base = -1;
  EXPECT_TRUE(AppendDurably(1, Batch(5, 1000, "a"), &base).ok());
}

TEST_F(LogManagerTest, InvalidBatchesAreRejectedForThatPartitionOnly) {
  Restart();
  CreateTopic();
  std::string corrupt = Batch(2, 1000, "x");
  corrupt.back() ^= 1;
  EXPECT_EQ(logs_->Append(topic_.name, 0, kafka::Records::FromString(corrupt), 1 << 20).error,
            ErrorCode::kCorruptMessage);
  EXPECT_EQ(logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(2, 1000, "y")), 10).error,
            ErrorCode::kMessageTooLarge);
  EXPECT_EQ(logs_->Append(topic_.name, 9, kafka::Records::FromString(Batch(1, 1000, "z")), 1 << 20).error,
            ErrorCode::kUnknownTopicOrPartition);
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(1, Batch(1, 1000, "ok"), &base).ok());
  EXPECT_EQ(base, 0);
}

TEST_F(LogManagerTest, ReadingASegmentLoadsTheNextOnesInTheBackground) {
  options_.max_segments_per_read = 1;
  options_.readahead_segments = 2;
  options_.compaction_interval = std::chrono::milliseconds(0);
  options_.flush_bytes = 1;  // one segment per append
  options_.compacted_segment_bytes = 1;
  Restart();
  CreateTopic();
  int64_t base = -1;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "s" + std::to_string(i)), &base).ok());
    ASSERT_TRUE(WaitCompacted(0));
  }
  Restart();  // an empty cache but for the newest segment, verified when taking ownership
  ASSERT_EQ(FirstValue(ReadAt(0, 0)), "s0-v0");
  auto cached = [&](int64_t segment_base) {
    return logs_->cache().Contains(SegmentKey("default", "orders", 0, segment_base));
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  io_.restart();
  while (!(cached(2) && cached(4)) && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(cached(2));
  EXPECT_TRUE(cached(4));
  EXPECT_FALSE(cached(6)) << "only readahead_segments ahead";
}

TEST_F(LogManagerTest, ProducersWaitWhileTooMuchIsNotYetDurable) {
  options_.flush_interval = std::chrono::hours(1);
  options_.max_buffered_bytes = 1;
  Restart();
  CreateTopic();
  AppendResult appended = logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(3, 1000, "a")), 1 << 20);
  ASSERT_EQ(appended.error, ErrorCode::kNone);
  EXPECT_GT(logs_->buffered_bytes(), 0u);
  auto wait = [&](std::chrono::milliseconds timeout) {
    return Run([&]() -> asio::awaitable<bool> {
      co_return co_await logs_->WaitForBufferSpace(std::chrono::steady_clock::now() + timeout);
    });
  };
  EXPECT_FALSE(wait(std::chrono::milliseconds(50))) << "full until a flush makes the records durable";
  Run([&]() -> asio::awaitable<int> {
    co_await logs_->Shutdown();  // flushes
    co_return 0;
  });
  EXPECT_EQ(logs_->buffered_bytes(), 0u);
  EXPECT_TRUE(wait(std::chrono::milliseconds(50)));
}

TEST_F(LogManagerTest, AProduceRequestWaitingForItsRecordsCountsAgainstTheBuffer) {
  options_.max_buffered_bytes = 1000;
  Restart();
  auto wait = [&]() {
    return Run([&]() -> asio::awaitable<bool> {
      co_return co_await logs_->WaitForBufferSpace(std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    });
  };
  {
    const LogManager::BufferHold request(*logs_, 600);
    EXPECT_TRUE(wait());
    const LogManager::BufferHold another(*logs_, 600);
    EXPECT_EQ(logs_->buffered_bytes(), 1200u);
    EXPECT_FALSE(wait()) << "full while the requests wait";
  }
  EXPECT_EQ(logs_->buffered_bytes(), 0u);
  EXPECT_TRUE(wait());
}

TEST_F(LogManagerTest, OnlyTheOwnerAppends) {
  Restart();
  logs_->OnTopicCreated(topic_);
  EXPECT_EQ(logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(1, 1000, "x")), 1 << 20).error,
            ErrorCode::kNotLeaderOrFollower);
  OwnPartitions(*logs_);
  int64_t base = -1;
  EXPECT_TRUE(AppendDurably(0, Batch(1, 1000, "x"), &base).ok());
}

TEST_F(LogManagerTest, FencedOwnerCommitsNothingAndStopsWriting) {
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(TakeLease(0).ok());  // the lease expired and another broker took it

  Status fenced = AppendDurably(0, Batch(2, 1000, "late"), &base);
  EXPECT_TRUE(fenced.IsConflict()) << fenced.ToString();
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 2);
  EXPECT_FALSE(logs_->Owner(topic_.name, 0).has_value());
  EXPECT_EQ(logs_->Append(topic_.name, 0, kafka::Records::FromString(Batch(1, 1000, "x")), 1 << 20).error,
            ErrorCode::kNotLeaderOrFollower);
  // Only the owner's commit is stored.
  const std::vector<WalObjectRecord> records = WalObjectRecords();
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].ranges.size(), 1u);
  EXPECT_EQ(records[0].ranges[0].base_offset, 0);
  EXPECT_EQ(records[0].ranges[0].last_offset, 1);
}

TEST_F(LogManagerTest, ZombieNeverReplacesWhatANewOwnerCommitted) {
  Restart();
  CreateTopic();
  // The zombie still believes it owns partition 0; a new owner takes over.
  std::unique_ptr<LogManager> other = OtherBroker();
  LogManager& owner = *other;
  owner.Start();
  ASSERT_TRUE(TakeLease(0).ok());
  KeyValue lease;
  ASSERT_TRUE(metadata_->Get(keys::PartitionLeaseKey(topic_.name, 0), &lease).ok());
  const cluster::OwnershipToken token{2, lease.create_revision};
  ASSERT_TRUE(Run([&]() -> asio::awaitable<Status> { co_return co_await owner.TakeOwnership(topic_.name, 0, token); })
                  .ok());
  int64_t base = -1;
  ASSERT_TRUE(AppendDurablyTo(owner, 0, Batch(3, 1000, "new"), &base).ok());
  EXPECT_EQ(base, 0);

  Status zombie = AppendDurably(0, Batch(1, 1000, "zombie"), &base);
  EXPECT_TRUE(zombie.IsConflict()) << zombie.ToString();
  Restart();  // a fresh cache reads the stored segment
  EXPECT_EQ(FirstValue(ReadAt(0, 0)), "new-v0");
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 3);
  StopOther(owner);
}

TEST_F(LogManagerTest, ReadersSeeWhatTheOwnerCommits) {
  Restart();
  CreateTopic();
  std::unique_ptr<LogManager> reader = OtherBroker();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(1, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(AppendDurably(1, Batch(2, 1000, "b"), &base).ok());
  // The reader learns each commit through its watch of WAL object records.
  ASSERT_TRUE(RunUntil([&] { return reader->Latest(topic_.name, 1).offset == 4; }));
  EXPECT_EQ(FirstValue(ReadFrom(*reader, 1, 2)), "b-v0");
  EXPECT_EQ(FirstValue(ReadFrom(*reader, 1, 0)), "a-v0");
  ASSERT_TRUE(AppendDurably(1, Batch(1, 1000, "c"), &base).ok());
  ASSERT_TRUE(RunUntil([&] { return reader->Latest(topic_.name, 1).offset == 5; }));
  EXPECT_EQ(FirstValue(ReadFrom(*reader, 1, 4)), "c-v0");
  EXPECT_EQ(reader->Append(topic_.name, 1, kafka::Records::FromString(Batch(1, 1000, "x")), 1 << 20).error,
            ErrorCode::kNotLeaderOrFollower);
  StopOther(*reader);
}

TEST_F(LogManagerTest, ANewOwnerContinuesAfterThePreviousOwnersLastCommit) {
  Restart();
  CreateTopic();
  std::unique_ptr<LogManager> next = OtherBroker();
  next->Start();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(2, 1000, "a"), &base).ok());
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "b"), &base).ok());
  // Taken over at once: the new owner waits until its index holds every
  // commit before its lease, whatever its watch delivered so far.
  ASSERT_TRUE(TakeLease(0).ok());
  OwnPartitions(*next);
  ASSERT_TRUE(AppendDurablyTo(*next, 0, Batch(1, 1000, "c"), &base).ok());
  EXPECT_EQ(base, 5);
  const std::vector<std::string> committed{"a-v0", "a-v1", "b-v0", "b-v1", "b-v2", "c-v0"};
  EXPECT_EQ(ReadValues(*next, 0, 0), committed);
  StopOther(*next);
  Restart();
  EXPECT_EQ(ReadValues(*logs_, 0, 0), committed);
}

TEST_F(LogManagerTest, ATopicCreatedAgainUnderTheSameNameStartsEmpty) {
  options_.compaction_interval = std::chrono::hours(1);  // the old ranges stay in WAL objects
  Restart();
  CreateTopic();
  int64_t base = -1;
  ASSERT_TRUE(AppendDurably(0, Batch(3, 1000, "old"), &base).ok());
  // Deleted (its partition keys go with it) and created again: a new id.
  ASSERT_TRUE(Run([&]() -> asio::awaitable<Status> { co_return co_await logs_->DropTopicData(topic_); }).ok());
  TxnResult deleted;
  ASSERT_TRUE(metadata_->Txn({}, {TxnOp::DeletePrefix(keys::TopicPrefix(topic_.name))}, {}, &deleted).ok());
  topic_.id = kafka::Uuid::Random();
  ASSERT_FALSE(WalObjectRecords().empty()) << "the deleted topic's record is still there";
  CreateTopic();
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 0);
  ASSERT_TRUE(AppendDurably(0, Batch(1, 1000, "new"), &base).ok());
  EXPECT_EQ(base, 0);
  Restart();  // recovers from the records of both incarnations
  EXPECT_EQ(logs_->Latest(topic_.name, 0).offset, 1);
  EXPECT_EQ(ReadValues(*logs_, 0, 0), (std::vector<std::string>{"new-v0"}));
}

}  // namespace
}  // namespace kafscale::log

// FaultInjectingObjectStore: wraps another ObjectStore and makes chosen calls
// fail, slow down, or leave torn objects behind, so tests can exercise retry,
// health tracking and crash recovery. Also counts calls (object-store
// requests are the main running cost on S3).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "objectstore/object_store.h"

namespace kafscale {

// PutIfAbsent counts as kPut: both are uploads, so rules for kPut (tears
// included) and CallCount(kPut) cover whichever one the code under test uses.
enum class ObjectStoreOp { kPut, kGet, kHead, kList, kDeleteBatch };

class FaultInjectingObjectStore final : public ObjectStore {
 public:
  // Wraps `inner`, which must outlive this store. With no faults set, every
  // call passes straight through.
  explicit FaultInjectingObjectStore(ObjectStore& inner);

  // The next `count` calls of `op` whose key starts with `key_prefix` fail
  // with `error` (which must not be OK) without reaching the inner store. The
  // key of a List is its prefix; a DeleteBatch matches when any of its keys
  // does. A call takes one failure from the oldest matching rule.
  // Thread-safe, like every method here.
  void FailNext(ObjectStoreOp op, size_t count, Status error, std::string key_prefix = "");

  // The next Put whose key starts with `key_prefix` stores only the first
  // `kept_bytes` bytes of its data (all of it if shorter) and returns `error`,
  // as a crash in the middle of an upload to a store without atomic
  // replacement would. Queued with the FailNext rules for kPut.
  void TearNextPut(size_t kept_bytes, Status error, std::string key_prefix = "");

  // Every later call of `op` sleeps `latency` before doing anything; zero
  // turns the delay off.
  void SetLatency(ObjectStoreOp op, std::chrono::milliseconds latency);

  // Drops every pending failure, tear and latency.
  void ClearFaults();

  // Calls of `op` made to this store so far, failed ones included.
  uint64_t CallCount(ObjectStoreOp op) const;

  // ObjectStore: the inner store's behaviour, subject to the faults above.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys,
              ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

 private:
  static constexpr size_t kOpCount = 5;

  struct FaultRule {
    ObjectStoreOp op;
    size_t remaining;
    Status error;
    std::string key_prefix;
    std::optional<size_t> torn_bytes;  // set for a torn Put
  };

  using PutFunction = Status (ObjectStore::*)(const std::string&, const ObjectBody&);
  // Put and PutIfAbsent: `put` of the inner store, subject to the kPut rules.
  Status FaultyPut(PutFunction put, const std::string& key, const ObjectBody& data);
  // Counts the call, applies the latency, then takes one failure from the
  // oldest rule for `op` matching any of `keys`, if there is one.
  std::optional<FaultRule> BeginCall(ObjectStoreOp op, std::span<const std::string> keys);

  ObjectStore& inner_;
  std::array<std::atomic<uint64_t>, kOpCount> call_counts_{};
  std::mutex mutex_;
  std::vector<FaultRule> rules_;                          // guarded by mutex_
  std::array<std::chrono::milliseconds, kOpCount> latency_{};  // guarded by mutex_
};

}  // namespace kafscale

#include "objectstore/fault_injecting_object_store.h"

#include <algorithm>
#include <cassert>
#include <thread>

namespace kafscale {

namespace {

size_t Index(ObjectStoreOp op) { return static_cast<size_t>(op); }

}  // namespace

FaultInjectingObjectStore::FaultInjectingObjectStore(ObjectStore& inner) : inner_(inner) {}

void FaultInjectingObjectStore::FailNext(ObjectStoreOp op, size_t count, Status error, std::string key_prefix) {
  assert(!error.ok());
  if (count == 0) return;
  std::lock_guard lock(mutex_);
  rules_.push_back(FaultRule{op, count, std::move(error), std::move(key_prefix), std::nullopt});
}

void FaultInjectingObjectStore::TearNextPut(size_t kept_bytes, Status error, std::string key_prefix) {
  assert(!error.ok());
  std::lock_guard lock(mutex_);
  rules_.push_back(FaultRule{ObjectStoreOp::kPut, 1, std::move(error), std::move(key_prefix), kept_bytes});
}

void FaultInjectingObjectStore::SetLatency(ObjectStoreOp op, std::chrono::milliseconds latency) {
  std::lock_guard lock(mutex_);
  latency_[Index(op)] = latency;
}

void FaultInjectingObjectStore::ClearFaults() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  latency_.fill(std::chrono::milliseconds::zero());
}

uint64_t FaultInjectingObjectStore::CallCount(ObjectStoreOp op) const {
  return call_counts_[Index(op)].load(std::memory_order_relaxed);
}

std::optional<FaultInjectingObjectStore::FaultRule> FaultInjectingObjectStore::BeginCall(
    ObjectStoreOp op, std::span<const std::string> keys) {
  std::chrono::milliseconds latency;
  {
    std::lock_guard lock(mutex_);
    latency = latency_[Index(op)];
  }
  // Counted after the latency is chosen: a test that sees the count may
  // change the latency of later calls only.
  call_counts_[Index(op)].fetch_add(1, std::memory_order_relaxed);
  // Sleep unlocked so concurrent calls are delayed in parallel, as on a slow network.
  if (latency > std::chrono::milliseconds::zero()) std::this_thread::sleep_for(latency);

  std::lock_guard lock(mutex_);
  auto matches = [&](const FaultRule& rule) {
    return rule.op == op && std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
             return key.starts_with(rule.key_prefix);
           });
  };
  auto rule = std::find_if(rules_.begin(), rules_.end(), matches);
  if (rule == rules_.end()) return std::nullopt;
  FaultRule taken = *rule;
  if (--rule->remaining == 0) rules_.erase(rule);
  return taken;
}

Status FaultInjectingObjectStore::Put(const std::string& key, const ObjectBody& data) {
  return FaultyPut(&ObjectStore::Put, key, data);
}

Status FaultInjectingObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  return FaultyPut(&ObjectStore::PutIfAbsent, key, data);
}

Status FaultInjectingObjectStore::FaultyPut(PutFunction put, const std::string& key, const ObjectBody& data) {
  std::optional<FaultRule> fault = BeginCall(ObjectStoreOp::kPut, std::span(&key, 1));
  if (!fault) return (inner_.*put)(key, data);
  if (fault->torn_bytes) {
    // The torn object's own write result does not matter: the caller sees
    // the injected error either way.
    std::string storage;
    std::string_view bytes = data.Contiguous(&storage);
    (inner_.*put)(key, bytes.substr(0, std::min(*fault->torn_bytes, bytes.size())));
  }
  return fault->error;
}

Status FaultInjectingObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  if (auto fault = BeginCall(ObjectStoreOp::kGet, std::span(&key, 1))) return fault->error;
  return inner_.Get(key, out, offset, length);
}

Status FaultInjectingObjectStore::Head(const std::string& key, ObjectInfo* info) {
  if (auto fault = BeginCall(ObjectStoreOp::kHead, std::span(&key, 1))) return fault->error;
  return inner_.Head(key, info);
}

Status FaultInjectingObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                                       ListPage* page) {
  if (auto fault = BeginCall(ObjectStoreOp::kList, std::span(&prefix, 1))) return fault->error;
  return inner_.List(prefix, continuation, max_keys, page);
}

Status FaultInjectingObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  if (auto fault = BeginCall(ObjectStoreOp::kDeleteBatch, keys)) return fault->error;
  return inner_.DeleteBatch(keys);
}

}  // namespace kafscale

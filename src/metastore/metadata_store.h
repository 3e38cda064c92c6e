// MetadataStore: a small, strongly consistent key-value store with etcd's
// semantics (revisions, compare-and-swap transactions, leases, watches).
// Topics, partition offsets, group state and ownership live here.
//
// Thread-safety: every implementation is safe to call from many threads.
// Calls block; the broker runs them off its network thread.
// Errors: NotFound only where documented; Unavailable/Timeout for retriable
// trouble reaching the store; Conflict is never returned by Txn (a failed
// comparison is reported through TxnResult::succeeded).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale {

using LeaseId = int64_t;  // 0 means "no lease"

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;  // number of puts since creation; 0 means absent
  LeaseId lease = 0;
};

struct Compare {
  enum class Target { kValue, kVersion, kCreateRevision, kModRevision };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  std::string value;       // used when target == kValue
  int64_t number = 0;      // used for the revision and version targets

  // A key that does not exist has version, create and mod revision 0. As in
  // etcd, a kValue comparison against a missing key is always false (even
  // kNotEqual); use Absent() or VersionEquals to test for existence.
  static Compare VersionEquals(std::string key, int64_t version);
  static Compare ValueEquals(std::string key, std::string value);
  static Compare ModRevisionEquals(std::string key, int64_t revision);
  // Holds while the key is the incarnation created at `revision` (a lease
  // key taken again after it expired has a new create revision).
  static Compare CreateRevisionEquals(std::string key, int64_t revision);
  static Compare Absent(std::string key) { return VersionEquals(std::move(key), 0); }
};

struct TxnOp {
  enum class Type { kPut, kDelete, kDeletePrefix, kDeleteRange, kGet, kGetPrefix };
  Type type = Type::kPut;
  std::string key;  // or prefix for the *Prefix types, or range begin
  std::string value;
  LeaseId lease = 0;
  std::string range_end;  // used by kDeleteRange: the exclusive end

  static TxnOp Put(std::string key, std::string value, LeaseId lease = 0);
  static TxnOp Delete(std::string key);
  static TxnOp DeletePrefix(std::string prefix);
  // Deletes every key k with begin <= k < end, comparing bytes as unsigned
  // (etcd's DeleteRange with range_end), with one delete event per deleted
  // key. end <= begin is an empty range and deletes nothing, as in etcd.
  // Txn answers InvalidArgument for an empty begin ("key is not provided"),
  // an empty end (etcd would read it as "just the key begin"), and a put in
  // the same branch to a key inside [begin, end) (a key written twice).
  static TxnOp DeleteRange(std::string begin, std::string end);
  static TxnOp Get(std::string key);
  static TxnOp GetPrefix(std::string prefix);
};

struct TxnResult {
  bool succeeded = false;  // true when every compare held
  int64_t revision = 0;    // store revision after the transaction
  // One entry per op of the branch that ran; filled for kGet/kGetPrefix.
  std::vector<std::vector<KeyValue>> results;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete: key and mod_revision of the deletion
};

// Receives events in revision order. Called on a store-owned thread, never
// while the store's lock is held, so it may call the store (Get, Put...).
// Must not block for long (it delays every other watch of the store) and
// must not throw.
using WatchCallback = std::function<void(const std::vector<WatchEvent>& events)>;

class Watch : NonCopyable {
 public:
  virtual ~Watch() = default;  // destruction cancels the watch
};

class MetadataStore : NonCopyable {
 public:
  virtual ~MetadataStore() = default;

  // Reads one key. NotFound if it does not exist.
  // Every call below reports only state that is durable, and an OK write is
  // durable. Out-parameters are owned by the caller and fully overwritten on
  // success; their contents are unspecified on error. An empty key (not
  // prefix) is InvalidArgument, as in etcd.
  virtual Status Get(const std::string& key, KeyValue* out) = 0;

  // Reads every key starting with `prefix`, in ascending key order, and the
  // store revision the read reflects.
  virtual Status Range(const std::string& prefix, std::vector<KeyValue>* out,
                       int64_t* revision = nullptr) = 0;

  // Writes key=value, bound to `lease` when non-zero (the key is deleted when
  // the lease expires or is revoked). Durable when OK is returned. NotFound
  // if `lease` is non-zero and not a live lease.
  virtual Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) = 0;

  // Deletes one key; deleting an absent key is OK.
  virtual Status Delete(const std::string& key) = 0;

  // Atomically: if every compare holds, runs `success`, else `failure`.
  // Ops run in order and all writes share one new revision; a get sees the
  // branch's earlier writes. The store revision only advances when a key
  // changes. InvalidArgument for more than 128 compares or ops per branch
  // (etcd's default limit) or a branch that writes one key twice; NotFound
  // if a put names a lease that is not live (then nothing is applied).
  virtual Status Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                     const std::vector<TxnOp>& failure, TxnResult* result) = 0;

  // Grants a lease that expires ttl_seconds after its last keep-alive.
  // InvalidArgument if ttl_seconds <= 0 or above 9,000,000,000 (etcd's
  // maximum).
  virtual Status GrantLease(int64_t ttl_seconds, LeaseId* id) = 0;
  // Refreshes a lease. NotFound if it already expired.
  virtual Status KeepAlive(LeaseId id) = 0;
  // Revokes a lease now, deleting every key bound to it (in one revision).
  // NotFound if the lease does not exist (or already expired).
  virtual Status RevokeLease(LeaseId id) = 0;

  // Watches keys starting with `prefix`, delivering every change with
  // revision >= start_revision (0 means "from now"). Delivery resumes across
  // reconnects without gaps or repeats. The watch ends when the returned
  // handle is destroyed; once the destructor returns the callback is not
  // running and will not run again (destroying a handle inside its own
  // callback is allowed and skips that wait). Handles must be destroyed
  // before the store. NotFound (message says "compacted") when
  // start_revision is older than the history the store keeps; the caller
  // then re-reads with Range and watches from the revision it returned + 1.
  virtual Status WatchPrefix(const std::string& prefix, int64_t start_revision,
                             WatchCallback callback, std::unique_ptr<Watch>* handle) = 0;
};

}  // namespace kafscale

#include "metadata_store_contract.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "watch_event_collector.h"

namespace kafscale {

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/kafscale-meta-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string MetadataStoreFactoryName(const ::testing::TestParamInfo<MetadataStoreFactory>& info) {
  return info.param.name;
}

void MetadataStoreContractTest::SetUp() {
  scratch_dir_ = std::make_unique<ScratchDir>();
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  prefix_ = "/contract-test/" + std::string(test->name()) + "/" + std::to_string(::getpid()) + "-" +
            std::to_string(now) + "/";
  store_ = GetParam().open(scratch_dir_->path());
  ASSERT_NE(store_, nullptr);
}

void MetadataStoreContractTest::TearDown() {
  if (store_ != nullptr) {
    TxnResult ignored;
    store_->Txn({}, {TxnOp::DeletePrefix(prefix_)}, {}, &ignored);
  }
  store_.reset();
  scratch_dir_.reset();
}

namespace {

using namespace std::chrono_literals;

using testing::EventCollector;

// Polls `condition` every 100 ms until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

TxnResult MustTxn(MetadataStore& store, const std::vector<Compare>& compares,
                  const std::vector<TxnOp>& success, const std::vector<TxnOp>& failure = {}) {
  TxnResult result;
  Status status = store.Txn(compares, success, failure, &result);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return result;
}

KeyValue MustGet(MetadataStore& store, const std::string& key) {
  KeyValue kv;
  Status status = store.Get(key, &kv);
  EXPECT_TRUE(status.ok()) << key << ": " << status.ToString();
  return kv;
}

bool Exists(MetadataStore& store, const std::string& key) {
  KeyValue kv;
  Status status = store.Get(key, &kv);
  EXPECT_TRUE(status.ok() || status.IsNotFound()) << status.ToString();
  return status.ok();
}

Compare MakeCompare(std::string key, Compare::Target target, Compare::Op op, int64_t number) {
  Compare compare;
  compare.key = std::move(key);
  compare.target = target;
  compare.op = op;
  compare.number = number;
  return compare;
}

// ---------------------------------------------------------------------------
// Get / Range / Put / Delete

TEST_P(MetadataStoreContractTest, GetOfMissingKeyIsNotFound) {
  KeyValue kv;
  EXPECT_TRUE(store_->Get(Key("missing"), &kv).IsNotFound());
}

TEST_P(MetadataStoreContractTest, EmptyKeyIsInvalid) {
  KeyValue kv;
  EXPECT_EQ(store_->Get("", &kv).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Put("", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Delete("").code(), Status::Code::kInvalidArgument);
}

TEST_P(MetadataStoreContractTest, PutThenGetReturnsValueAndMetadata) {
  ASSERT_TRUE(store_->Put(Key("k"), "v1").ok());
  KeyValue kv = MustGet(*store_, Key("k"));
  EXPECT_EQ(kv.key, Key("k"));
  EXPECT_EQ(kv.value, "v1");
  EXPECT_EQ(kv.version, 1);
  EXPECT_GT(kv.create_revision, 0);
  EXPECT_EQ(kv.mod_revision, kv.create_revision);
  EXPECT_EQ(kv.lease, 0);
}

TEST_P(MetadataStoreContractTest, PutsAdvanceVersionAndRevisions) {
  ASSERT_TRUE(store_->Put(Key("k"), "v1").ok());
  KeyValue first = MustGet(*store_, Key("k"));
  ASSERT_TRUE(store_->Put(Key("k"), "v2").ok());
  KeyValue second = MustGet(*store_, Key("k"));
  ASSERT_TRUE(store_->Put(Key("other"), "x").ok());
  KeyValue other = MustGet(*store_, Key("other"));

  EXPECT_EQ(second.value, "v2");
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(second.create_revision, first.create_revision);
  EXPECT_GT(second.mod_revision, first.mod_revision);
  EXPECT_GT(other.mod_revision, second.mod_revision);

  std::vector<KeyValue> kvs;
  int64_t revision = 0;
  ASSERT_TRUE(store_->Range(Key(""), &kvs, &revision).ok());
  EXPECT_GE(revision, other.mod_revision);
}

TEST_P(MetadataStoreContractTest, BinaryValuesRoundTrip) {
  const std::string value("\0\x01\xff\n", 4);
  ASSERT_TRUE(store_->Put(Key("bin"), value).ok());
  EXPECT_EQ(MustGet(*store_, Key("bin")).value, value);
  ASSERT_TRUE(store_->Put(Key("empty"), "").ok());
  EXPECT_EQ(MustGet(*store_, Key("empty")).version, 1);
}

TEST_P(MetadataStoreContractTest, DeleteRemovesKeyAndRecreateStartsOver) {
  ASSERT_TRUE(store_->Put(Key("k"), "v1").ok());
  ASSERT_TRUE(store_->Put(Key("k"), "v2").ok());
  KeyValue before = MustGet(*store_, Key("k"));
  ASSERT_TRUE(store_->Delete(Key("k")).ok());
  EXPECT_FALSE(Exists(*store_, Key("k")));
  EXPECT_TRUE(store_->Delete(Key("k")).ok()) << "deleting an absent key is OK";

  ASSERT_TRUE(store_->Put(Key("k"), "v3").ok());
  KeyValue after = MustGet(*store_, Key("k"));
  EXPECT_EQ(after.version, 1);
  EXPECT_GT(after.create_revision, before.mod_revision);
}

TEST_P(MetadataStoreContractTest, RangeReturnsPrefixInKeyOrder) {
  for (const char* name : {"dir/b", "dir/a", "dir/c/deep", "dir-sibling", "di"}) {
    ASSERT_TRUE(store_->Put(Key(name), name).ok());
  }
  std::vector<KeyValue> kvs;
  int64_t revision = 0;
  ASSERT_TRUE(store_->Range(Key("dir/"), &kvs, &revision).ok());
  ASSERT_EQ(kvs.size(), 3u);
  EXPECT_EQ(kvs[0].key, Key("dir/a"));
  EXPECT_EQ(kvs[1].key, Key("dir/b"));
  EXPECT_EQ(kvs[2].key, Key("dir/c/deep"));
  EXPECT_EQ(kvs[2].value, "dir/c/deep");
  for (const KeyValue& kv : kvs) EXPECT_LE(kv.mod_revision, revision);

  ASSERT_TRUE(store_->Range(Key("nothing/"), &kvs).ok());
  EXPECT_TRUE(kvs.empty());
}

// ---------------------------------------------------------------------------
// Transactions

TEST_P(MetadataStoreContractTest, TxnValueCompareChoosesTheBranch) {
  ASSERT_TRUE(store_->Put(Key("k"), "old").ok());
  TxnResult swapped = MustTxn(*store_, {Compare::ValueEquals(Key("k"), "old")},
                              {TxnOp::Put(Key("k"), "new")}, {TxnOp::Put(Key("lost"), "1")});
  EXPECT_TRUE(swapped.succeeded);
  EXPECT_EQ(MustGet(*store_, Key("k")).value, "new");
  EXPECT_FALSE(Exists(*store_, Key("lost")));

  TxnResult refused = MustTxn(*store_, {Compare::ValueEquals(Key("k"), "old")},
                              {TxnOp::Put(Key("k"), "newer")}, {TxnOp::Put(Key("lost"), "1")});
  EXPECT_FALSE(refused.succeeded);
  EXPECT_EQ(MustGet(*store_, Key("k")).value, "new");
  EXPECT_TRUE(Exists(*store_, Key("lost")));
}

TEST_P(MetadataStoreContractTest, TxnVersionCompare) {
  ASSERT_TRUE(store_->Put(Key("k"), "a").ok());
  ASSERT_TRUE(store_->Put(Key("k"), "b").ok());
  EXPECT_FALSE(MustTxn(*store_, {Compare::VersionEquals(Key("k"), 1)}, {TxnOp::Put(Key("k"), "x")}).succeeded);
  EXPECT_TRUE(MustTxn(*store_, {Compare::VersionEquals(Key("k"), 2)}, {TxnOp::Put(Key("k"), "c")}).succeeded);
  EXPECT_EQ(MustGet(*store_, Key("k")).value, "c");
  EXPECT_TRUE(MustTxn(*store_, {MakeCompare(Key("k"), Compare::Target::kVersion, Compare::Op::kGreater, 2)}, {})
                  .succeeded);
  EXPECT_TRUE(MustTxn(*store_, {MakeCompare(Key("k"), Compare::Target::kVersion, Compare::Op::kLess, 4)}, {})
                  .succeeded);
  EXPECT_FALSE(MustTxn(*store_, {MakeCompare(Key("k"), Compare::Target::kVersion, Compare::Op::kNotEqual, 3)}, {})
                   .succeeded);
}

TEST_P(MetadataStoreContractTest, TxnModRevisionCompareIsCompareAndSwap) {
  ASSERT_TRUE(store_->Put(Key("k"), "a").ok());
  const KeyValue seen = MustGet(*store_, Key("k"));
  ASSERT_TRUE(store_->Put(Key("k"), "b").ok());  // a concurrent writer
  EXPECT_FALSE(MustTxn(*store_, {Compare::ModRevisionEquals(Key("k"), seen.mod_revision)},
                       {TxnOp::Put(Key("k"), "mine")})
                   .succeeded);
  const KeyValue current = MustGet(*store_, Key("k"));
  EXPECT_TRUE(MustTxn(*store_, {Compare::ModRevisionEquals(Key("k"), current.mod_revision)},
                      {TxnOp::Put(Key("k"), "mine")})
                  .succeeded);
  EXPECT_EQ(MustGet(*store_, Key("k")).value, "mine");
}

TEST_P(MetadataStoreContractTest, TxnCreateRevisionCompare) {
  ASSERT_TRUE(store_->Put(Key("k"), "a").ok());
  const KeyValue kv = MustGet(*store_, Key("k"));
  EXPECT_TRUE(MustTxn(*store_,
                      {MakeCompare(Key("k"), Compare::Target::kCreateRevision, Compare::Op::kEqual,
                                   kv.create_revision)},
                      {})
                  .succeeded);
  EXPECT_TRUE(MustTxn(*store_,
                      {MakeCompare(Key("absent"), Compare::Target::kCreateRevision, Compare::Op::kEqual, 0)},
                      {})
                  .succeeded);
  EXPECT_FALSE(MustTxn(*store_,
                       {MakeCompare(Key("k"), Compare::Target::kCreateRevision, Compare::Op::kLess,
                                    kv.create_revision)},
                       {})
                   .succeeded);
}

TEST_P(MetadataStoreContractTest, TxnAbsentKeyComparesAsZero) {
  EXPECT_TRUE(MustTxn(*store_, {Compare::Absent(Key("k"))}, {TxnOp::Put(Key("k"), "first")}).succeeded);
  EXPECT_FALSE(MustTxn(*store_, {Compare::Absent(Key("k"))}, {TxnOp::Put(Key("k"), "second")}).succeeded);
  EXPECT_EQ(MustGet(*store_, Key("k")).value, "first");
  EXPECT_TRUE(MustTxn(*store_, {Compare::ModRevisionEquals(Key("absent"), 0)}, {}).succeeded);
  // As in etcd, a value comparison on a missing key fails whatever the operator.
  EXPECT_FALSE(MustTxn(*store_, {Compare::ValueEquals(Key("absent"), "")}, {}).succeeded);
  Compare not_equal = Compare::ValueEquals(Key("absent"), "x");
  not_equal.op = Compare::Op::kNotEqual;
  EXPECT_FALSE(MustTxn(*store_, {not_equal}, {}).succeeded);
}

TEST_P(MetadataStoreContractTest, TxnAllComparesMustHold) {
  ASSERT_TRUE(store_->Put(Key("a"), "1").ok());
  ASSERT_TRUE(store_->Put(Key("b"), "2").ok());
  EXPECT_TRUE(MustTxn(*store_, {Compare::ValueEquals(Key("a"), "1"), Compare::ValueEquals(Key("b"), "2")}, {})
                  .succeeded);
  EXPECT_FALSE(MustTxn(*store_, {Compare::ValueEquals(Key("a"), "1"), Compare::ValueEquals(Key("b"), "x")}, {})
                   .succeeded);
}

TEST_P(MetadataStoreContractTest, TxnReturnsGetResultsAndSharesOneRevision) {
  ASSERT_TRUE(store_->Put(Key("d/x"), "x").ok());
  TxnResult result = MustTxn(*store_, {}, {
      TxnOp::Put(Key("d/y"), "y"),
      TxnOp::Put(Key("z"), "z"),
      TxnOp::Get(Key("d/x")),
      TxnOp::Get(Key("missing")),
      TxnOp::GetPrefix(Key("d/")),
  });
  ASSERT_TRUE(result.succeeded);
  ASSERT_EQ(result.results.size(), 5u);
  EXPECT_TRUE(result.results[0].empty());
  EXPECT_TRUE(result.results[1].empty());
  ASSERT_EQ(result.results[2].size(), 1u);
  EXPECT_EQ(result.results[2][0].value, "x");
  EXPECT_TRUE(result.results[3].empty());
  ASSERT_EQ(result.results[4].size(), 2u);  // sees the put earlier in the txn
  EXPECT_EQ(result.results[4][0].key, Key("d/x"));
  EXPECT_EQ(result.results[4][1].key, Key("d/y"));
  EXPECT_EQ(result.results[4][1].mod_revision, result.revision);

  EXPECT_EQ(MustGet(*store_, Key("d/y")).mod_revision, result.revision);
  EXPECT_EQ(MustGet(*store_, Key("z")).mod_revision, result.revision);
}

TEST_P(MetadataStoreContractTest, TxnFailureBranchResults) {
  ASSERT_TRUE(store_->Put(Key("k"), "current").ok());
  TxnResult result = MustTxn(*store_, {Compare::ValueEquals(Key("k"), "expected")},
                             {TxnOp::Put(Key("k"), "new")}, {TxnOp::Get(Key("k"))});
  EXPECT_FALSE(result.succeeded);
  ASSERT_EQ(result.results.size(), 1u);
  ASSERT_EQ(result.results[0].size(), 1u);
  EXPECT_EQ(result.results[0][0].value, "current");
}

TEST_P(MetadataStoreContractTest, TxnDeleteAndDeletePrefix) {
  for (const char* name : {"t/a", "t/b/c", "t-other", "single"}) ASSERT_TRUE(store_->Put(Key(name), "v").ok());
  TxnResult result = MustTxn(*store_, {}, {TxnOp::DeletePrefix(Key("t/")), TxnOp::Delete(Key("single"))});
  EXPECT_TRUE(result.succeeded);
  std::vector<KeyValue> kvs;
  ASSERT_TRUE(store_->Range(Key(""), &kvs).ok());
  ASSERT_EQ(kvs.size(), 1u);
  EXPECT_EQ(kvs[0].key, Key("t-other"));
}

std::vector<std::string> KeysUnder(MetadataStore& store, const std::string& prefix) {
  std::vector<KeyValue> kvs;
  Status status = store.Range(prefix, &kvs);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::vector<std::string> keys;
  for (const KeyValue& kv : kvs) keys.push_back(kv.key);
  return keys;
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeDeletesExactlyBeginToEnd) {
  // Bytes compare as unsigned: "\x80" sorts after "5", "\xff" after all.
  const std::vector<std::string> doomed = {"r/m", std::string("r/m\0", 4), "r/m/x", "r/m4\xff"};
  const std::vector<std::string> kept = {"r/l", "r/l\xff", "r/m5", "r/m50", "r/m7", "r/m\x80", "r/n"};
  for (const auto& names : {doomed, kept}) {
    for (const std::string& name : names) ASSERT_TRUE(store_->Put(Key(name), "v").ok());
  }
  TxnResult result = MustTxn(*store_, {}, {TxnOp::DeleteRange(Key("r/m"), Key("r/m5"))});
  EXPECT_TRUE(result.succeeded);
  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_TRUE(result.results[0].empty());

  std::vector<std::string> expected;
  for (const std::string& name : kept) expected.push_back(Key(name));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(KeysUnder(*store_, Key("r/")), expected);
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeOfWalKeysWatchesOneDeletePerKey) {
  auto wal = [this](int base) {
    char digits[32];
    std::snprintf(digits, sizeof(digits), "%020d", base);
    return Key("log/wal/") + digits;
  };
  for (int base : {0, 7, 10, 99, 100, 1000}) ASSERT_TRUE(store_->Put(wal(base), "v").ok());
  EventCollector collector;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_->WatchPrefix(Key("log/"), 0, collector.Callback(), &watch).ok());

  TxnResult result = MustTxn(*store_, {}, {TxnOp::DeleteRange(wal(7), wal(100))});
  ASSERT_TRUE(result.succeeded);
  EXPECT_EQ(KeysUnder(*store_, Key("log/wal/")), (std::vector<std::string>{wal(0), wal(100), wal(1000)}));
  ASSERT_TRUE(store_->Put(Key("log/after"), "x").ok());  // marks the end of the txn's events

  std::vector<WatchEvent> events = collector.WaitFor(4);
  ASSERT_EQ(events.size(), 4u);
  const std::vector<std::string> deleted = {wal(7), wal(10), wal(99)};
  for (size_t i = 0; i < deleted.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(events[i].type, WatchEvent::Type::kDelete);
    EXPECT_EQ(events[i].kv.key, deleted[i]);
    EXPECT_EQ(events[i].kv.mod_revision, result.revision);
  }
  EXPECT_EQ(events[3].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[3].kv.key, Key("log/after"));
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeDependsOnTheCompare) {
  for (const char* name : {"g/a", "g/b", "guard"}) ASSERT_TRUE(store_->Put(Key(name), "v").ok());
  TxnResult refused = MustTxn(*store_, {Compare::ValueEquals(Key("guard"), "other")},
                              {TxnOp::DeleteRange(Key("g/"), Key("g0"))});
  EXPECT_FALSE(refused.succeeded);
  EXPECT_EQ(KeysUnder(*store_, Key("g/")), (std::vector<std::string>{Key("g/a"), Key("g/b")}));

  TxnResult failure_branch = MustTxn(*store_, {Compare::ValueEquals(Key("guard"), "other")}, {},
                                     {TxnOp::DeleteRange(Key("g/b"), Key("g/c"))});
  EXPECT_FALSE(failure_branch.succeeded);
  EXPECT_EQ(KeysUnder(*store_, Key("g/")), (std::vector<std::string>{Key("g/a")}));
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeRejectsAPutInsideItsRange) {
  ASSERT_TRUE(store_->Put(Key("d/b"), "v").ok());
  TxnResult result;
  for (const char* inside : {"d/a", "d/b", "d/bz"}) {
    SCOPED_TRACE(inside);
    EXPECT_EQ(store_->Txn({}, {TxnOp::DeleteRange(Key("d/a"), Key("d/c")), TxnOp::Put(Key(inside), "new")}, {},
                          &result)
                  .code(),
              Status::Code::kInvalidArgument);
    EXPECT_EQ(store_->Txn({}, {}, {TxnOp::Put(Key(inside), "new"), TxnOp::DeleteRange(Key("d/a"), Key("d/c"))},
                          &result)
                  .code(),
              Status::Code::kInvalidArgument);
  }
  EXPECT_EQ(MustGet(*store_, Key("d/b")).value, "v") << "nothing of a rejected txn is applied";

  // The end is exclusive: a put to it (or before begin) does not overlap.
  EXPECT_TRUE(MustTxn(*store_, {},
                      {TxnOp::Put(Key("d/c"), "end"), TxnOp::DeleteRange(Key("d/a"), Key("d/c")),
                       TxnOp::Put(Key("d/"), "before")})
                  .succeeded);
  EXPECT_EQ(KeysUnder(*store_, Key("d/")), (std::vector<std::string>{Key("d/"), Key("d/c")}));
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeOfNothingIsOk) {
  ASSERT_TRUE(store_->Put(Key("e/a"), "v").ok());
  ASSERT_TRUE(store_->Put(Key("e/z"), "v").ok());
  // An empty key range; begin == end; end < begin (end "\0" is etcd's "every
  // key from begin", which must not leak through).
  for (const auto& [begin, end] : std::vector<std::pair<std::string, std::string>>{
           {Key("e/b"), Key("e/y")}, {Key("e/a"), Key("e/a")}, {Key("e/z"), Key("e/a")},
           {Key("e/a"), std::string(1, '\0')}}) {
    TxnResult result = MustTxn(*store_, {}, {TxnOp::DeleteRange(begin, end)});
    EXPECT_TRUE(result.succeeded);
  }
  EXPECT_EQ(KeysUnder(*store_, Key("e/")), (std::vector<std::string>{Key("e/a"), Key("e/z")}));
}

TEST_P(MetadataStoreContractTest, TxnDeleteRangeNeedsBeginAndEnd) {
  ASSERT_TRUE(store_->Put(Key("k"), "v").ok());
  TxnResult result;
  EXPECT_EQ(store_->Txn({}, {TxnOp::DeleteRange("", Key("z"))}, {}, &result).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Txn({}, {TxnOp::DeleteRange(Key("k"), "")}, {}, &result).code(),
            Status::Code::kInvalidArgument)
      << "an empty end would mean the single key begin in etcd";
  EXPECT_TRUE(Exists(*store_, Key("k")));
}

TEST_P(MetadataStoreContractTest, TxnOpLimitIs128PerBranch) {
  std::vector<TxnOp> ops;
  for (int i = 0; i < 128; ++i) ops.push_back(TxnOp::Put(Key("n/" + std::to_string(i)), "v"));
  EXPECT_TRUE(MustTxn(*store_, {}, ops).succeeded);
  ops.push_back(TxnOp::Put(Key("n/128"), "v"));
  TxnResult result;
  EXPECT_EQ(store_->Txn({}, ops, {}, &result).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Txn({}, {}, ops, &result).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(Exists(*store_, Key("n/128")));
}

TEST_P(MetadataStoreContractTest, TxnRejectsWritingOneKeyTwice) {
  TxnResult result;
  EXPECT_EQ(store_->Txn({}, {TxnOp::Put(Key("k"), "1"), TxnOp::Put(Key("k"), "2")}, {}, &result).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->Txn({}, {TxnOp::Put(Key("k"), "1"), TxnOp::Delete(Key("k"))}, {}, &result).code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(Exists(*store_, Key("k")));
}

// ---------------------------------------------------------------------------
// Leases

TEST_P(MetadataStoreContractTest, PutWithUnknownLeaseIsNotFound) {
  EXPECT_TRUE(store_->Put(Key("k"), "v", 0x5eed1234567).IsNotFound());
  EXPECT_FALSE(Exists(*store_, Key("k")));
  TxnResult result;
  EXPECT_TRUE(store_->Txn({}, {TxnOp::Put(Key("a"), "v"), TxnOp::Put(Key("b"), "v", 0x5eed1234567)}, {}, &result)
                  .IsNotFound());
  EXPECT_FALSE(Exists(*store_, Key("a"))) << "nothing of a rejected txn is applied";
}

TEST_P(MetadataStoreContractTest, GrantLeaseRejectsNonPositiveTtl) {
  LeaseId lease = 0;
  EXPECT_EQ(store_->GrantLease(0, &lease).code(), Status::Code::kInvalidArgument);
}

TEST_P(MetadataStoreContractTest, LeaseExpiryDeletesBoundKeys) {
  LeaseId lease = 0;
  ASSERT_TRUE(store_->GrantLease(2, &lease).ok());
  ASSERT_NE(lease, 0);
  ASSERT_TRUE(store_->Put(Key("bound"), "v", lease).ok());
  ASSERT_TRUE(store_->Put(Key("free"), "v").ok());
  EXPECT_EQ(MustGet(*store_, Key("bound")).lease, lease);

  EXPECT_TRUE(Eventually([&] { return !Exists(*store_, Key("bound")); }, 10s));
  EXPECT_TRUE(Exists(*store_, Key("free")));
  EXPECT_TRUE(store_->KeepAlive(lease).IsNotFound());
  EXPECT_TRUE(store_->Put(Key("late"), "v", lease).IsNotFound());
}

TEST_P(MetadataStoreContractTest, KeepAliveKeepsBoundKeys) {
  LeaseId lease = 0;
  ASSERT_TRUE(store_->GrantLease(2, &lease).ok());
  ASSERT_TRUE(store_->Put(Key("bound"), "v", lease).ok());
  const auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(store_->KeepAlive(lease).ok());
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_TRUE(Exists(*store_, Key("bound")));
  ASSERT_TRUE(store_->RevokeLease(lease).ok());
}

TEST_P(MetadataStoreContractTest, RevokeDeletesBoundKeysInOneRevision) {
  LeaseId lease = 0;
  ASSERT_TRUE(store_->GrantLease(30, &lease).ok());
  ASSERT_TRUE(store_->Put(Key("l/a"), "v", lease).ok());
  ASSERT_TRUE(store_->Put(Key("l/b"), "v", lease).ok());
  ASSERT_TRUE(store_->Put(Key("l/c"), "v").ok());
  ASSERT_TRUE(store_->Put(Key("l/c"), "rebound", lease).ok());
  ASSERT_TRUE(store_->Put(Key("l/d"), "v", lease).ok());
  ASSERT_TRUE(store_->Put(Key("l/d"), "unbound").ok());  // a put without lease detaches

  EventCollector collector;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_->WatchPrefix(Key("l/"), 0, collector.Callback(), &watch).ok());
  ASSERT_TRUE(store_->RevokeLease(lease).ok());
  EXPECT_FALSE(Exists(*store_, Key("l/a")));
  EXPECT_FALSE(Exists(*store_, Key("l/b")));
  EXPECT_FALSE(Exists(*store_, Key("l/c")));
  EXPECT_TRUE(Exists(*store_, Key("l/d")));
  EXPECT_TRUE(store_->KeepAlive(lease).IsNotFound());
  EXPECT_TRUE(store_->RevokeLease(lease).IsNotFound());

  std::vector<WatchEvent> events = collector.WaitFor(3);
  ASSERT_EQ(events.size(), 3u);
  for (const WatchEvent& event : events) {
    EXPECT_EQ(event.type, WatchEvent::Type::kDelete);
    EXPECT_EQ(event.kv.mod_revision, events[0].kv.mod_revision);
  }
}

// ---------------------------------------------------------------------------
// Watches

TEST_P(MetadataStoreContractTest, WatchSeesEveryChangeInOrder) {
  EventCollector collector;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_->WatchPrefix(Key("w/"), 0, collector.Callback(), &watch).ok());

  ASSERT_TRUE(store_->Put(Key("w/a"), "1").ok());
  ASSERT_TRUE(store_->Put(Key("outside"), "x").ok());
  ASSERT_TRUE(store_->Put(Key("w/b"), "2").ok());
  ASSERT_TRUE(store_->Put(Key("w/a"), "3").ok());
  ASSERT_TRUE(store_->Delete(Key("w/b")).ok());
  MustTxn(*store_, {}, {TxnOp::Put(Key("w/c"), "4"), TxnOp::Delete(Key("w/a"))});

  std::vector<WatchEvent> events = collector.WaitFor(6);
  ASSERT_EQ(events.size(), 6u);
  struct Expected {
    WatchEvent::Type type;
    std::string key;
    std::string value;
    int64_t version;
  };
  const std::vector<Expected> expected = {
      {WatchEvent::Type::kPut, Key("w/a"), "1", 1},    {WatchEvent::Type::kPut, Key("w/b"), "2", 1},
      {WatchEvent::Type::kPut, Key("w/a"), "3", 2},    {WatchEvent::Type::kDelete, Key("w/b"), "", 0},
      {WatchEvent::Type::kPut, Key("w/c"), "4", 1},    {WatchEvent::Type::kDelete, Key("w/a"), "", 0},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(events[i].type, expected[i].type);
    EXPECT_EQ(events[i].kv.key, expected[i].key);
    if (expected[i].type == WatchEvent::Type::kPut) {
      EXPECT_EQ(events[i].kv.value, expected[i].value);
      EXPECT_EQ(events[i].kv.version, expected[i].version);
    }
    if (i > 0) {
      EXPECT_GE(events[i].kv.mod_revision, events[i - 1].kv.mod_revision);
    }
  }
  EXPECT_LT(events[3].kv.mod_revision, events[4].kv.mod_revision);
  EXPECT_EQ(events[4].kv.mod_revision, events[5].kv.mod_revision) << "one txn, one revision";
  EXPECT_EQ(events[5].kv.mod_revision, MustGet(*store_, Key("w/c")).mod_revision);
}

TEST_P(MetadataStoreContractTest, WatchFromOlderRevisionReplaysHistory) {
  ASSERT_TRUE(store_->Put(Key("h/k"), "1").ok());
  const int64_t first_revision = MustGet(*store_, Key("h/k")).mod_revision;
  ASSERT_TRUE(store_->Put(Key("h/k"), "2").ok());
  ASSERT_TRUE(store_->Delete(Key("h/k")).ok());

  EventCollector collector;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_->WatchPrefix(Key("h/"), first_revision + 1, collector.Callback(), &watch).ok());
  ASSERT_TRUE(store_->Put(Key("h/k"), "3").ok());

  std::vector<WatchEvent> events = collector.WaitFor(3);
  ASSERT_EQ(events.size(), 3u) << "starts at the given revision, skipping the first put";
  EXPECT_EQ(events[0].kv.value, "2");
  EXPECT_EQ(events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.value, "3");
  EXPECT_EQ(events[2].kv.version, 1);
}

TEST_P(MetadataStoreContractTest, WatchCallbackMayCallTheStore) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen_values;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_
                  ->WatchPrefix(Key("cb/"), 0,
                                [&](const std::vector<WatchEvent>& events) {
                                  for (const WatchEvent& event : events) {
                                    KeyValue kv;
                                    Status get = store_->Get(event.kv.key, &kv);
                                    Status put = store_->Put(Key("echo/") + event.kv.value, "seen");
                                    std::lock_guard<std::mutex> lock(mu);
                                    seen_values.push_back(get.ok() && put.ok() ? kv.value : get.ToString());
                                  }
                                  cv.notify_all();
                                },
                                &watch)
                  .ok());
  ASSERT_TRUE(store_->Put(Key("cb/k"), "v").ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return !seen_values.empty(); }));
    EXPECT_EQ(seen_values[0], "v");
  }
  watch.reset();
  EXPECT_TRUE(Exists(*store_, Key("echo/v")));
}

TEST_P(MetadataStoreContractTest, DestroyedWatchDeliversNothingMore) {
  EventCollector collector;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store_->WatchPrefix(Key("s/"), 0, collector.Callback(), &watch).ok());
  ASSERT_TRUE(store_->Put(Key("s/a"), "1").ok());
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);
  watch.reset();
  ASSERT_TRUE(store_->Put(Key("s/a"), "2").ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(collector.Snapshot().size(), 1u);
}

TEST_P(MetadataStoreContractTest, IndependentWatchesEachSeeTheirPrefix) {
  EventCollector all;
  EventCollector some;
  std::unique_ptr<Watch> all_watch;
  std::unique_ptr<Watch> some_watch;
  ASSERT_TRUE(store_->WatchPrefix(Key(""), 0, all.Callback(), &all_watch).ok());
  ASSERT_TRUE(store_->WatchPrefix(Key("p/"), 0, some.Callback(), &some_watch).ok());
  ASSERT_TRUE(store_->Put(Key("p/1"), "a").ok());
  ASSERT_TRUE(store_->Put(Key("q/1"), "b").ok());
  ASSERT_TRUE(store_->Put(Key("p/2"), "c").ok());
  EXPECT_EQ(all.WaitFor(3).size(), 3u);
  std::vector<WatchEvent> events = some.WaitFor(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kv.key, Key("p/2"));
}

}  // namespace
}  // namespace kafscale

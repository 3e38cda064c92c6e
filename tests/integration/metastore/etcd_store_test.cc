// EtcdMetadataStore against real etcd: what the contract suite cannot show
// through the interface alone (reconnects, restarts, compaction, failover,
// auth, concurrent compare-and-swap).
#include "metastore/etcd_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "etcd_test_env.h"
#include "metastore/etcd/client.h"
#include "private_etcd.h"
#include "tcp_proxy.h"
#include "unhealthy_server.h"
#include "metastore/watch_event_collector.h"

namespace kafscale {
namespace {

using namespace std::chrono_literals;
using etcd_test::MustOpen;
using etcd_test::PrivateEtcd;
using etcd_test::TcpProxy;
using etcd_test::UnhealthyServer;

// A key prefix no other test (or run) uses.
std::string UniquePrefix() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return "/etcd-store-test/" + std::string(test->name()) + "/" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "/";
}

uint16_t PortOf(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

using testing::EventCollector;

std::vector<std::string> Numbers(int first, int last) {
  std::vector<std::string> values;
  for (int i = first; i <= last; ++i) values.push_back(std::to_string(i));
  return values;
}

int64_t CurrentRevision(MetadataStore& store) {
  std::vector<KeyValue> ignored;
  int64_t revision = 0;
  EXPECT_TRUE(store.Range("/nothing-here/", &ignored, &revision).ok());
  return revision;
}

void Compact(const std::string& endpoint, int64_t revision) {
  etcd::ClientOptions options;
  options.endpoints = {endpoint};
  etcd::EtcdClient client(options);
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(true);
  etcdserverpb::CompactionResponse response;
  Status status = client.Call(etcd::RetryPolicy::kUnsentOnly, [&](etcd::Stubs& stubs, grpc::ClientContext& context) {
    return stubs.kv->Compact(&context, request, &response);
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
}

// Reads `key` through `client` (a Range call).
Status ReadKey(etcd::EtcdClient& client, const std::string& key) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  etcdserverpb::RangeResponse response;
  return client.Call(etcd::RetryPolicy::kIdempotent, [&](etcd::Stubs& stubs, grpc::ClientContext& context) {
    return stubs.kv->Range(&context, request, &response);
  });
}

// Writes `key` through `client` (a Put call).
Status WriteKey(etcd::EtcdClient& client, const std::string& key) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value("v");
  etcdserverpb::PutResponse response;
  return client.Call(etcd::RetryPolicy::kUnsentOnly, [&](etcd::Stubs& stubs, grpc::ClientContext& context) {
    return stubs.kv->Put(&context, request, &response);
  });
}

// Checks every event was delivered once, in revision order.
void ExpectStrictlyIncreasingRevisions(const std::vector<WatchEvent>& events) {
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision) << "event " << i;
  }
}

// ---------------------------------------------------------------------------
// Watches across connection loss

TEST(EtcdStoreTest, WatchResumesAfterLostConnectionWithoutGapsOrRepeats) {
  const EtcdMetadataStore::Options shared = etcd_test::SharedEtcdOptions();
  ASSERT_FALSE(shared.endpoints.empty());
  TcpProxy proxy(PortOf(shared.endpoints.front()));
  EtcdMetadataStore::Options proxied = shared;
  proxied.endpoints = {"http://127.0.0.1:" + std::to_string(proxy.port())};
  auto watched = MustOpen(proxied);
  auto direct = MustOpen(shared);
  ASSERT_TRUE(watched && direct);
  const std::string prefix = UniquePrefix();

  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(watched->WatchPrefix(prefix, 0, events.Callback(), &watch).ok());
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(direct->Put(prefix + "k", std::to_string(i)).ok());
  ASSERT_EQ(events.WaitFor(3).size(), 3u);

  // The watch's connection dies and reconnects are refused while changes go on.
  proxy.CutConnections(/*refusing=*/true);
  for (int i = 4; i <= 8; ++i) ASSERT_TRUE(direct->Put(prefix + "k", std::to_string(i)).ok());
  ASSERT_TRUE(direct->Delete(prefix + "k").ok());
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(events.Values(), Numbers(1, 3)) << "nothing arrives while disconnected";
  proxy.Accept();
  ASSERT_TRUE(direct->Put(prefix + "k", "9").ok());

  std::vector<WatchEvent> all = events.WaitFor(10);
  ASSERT_EQ(all.size(), 10u);
  ExpectStrictlyIncreasingRevisions(all);
  EXPECT_EQ(all[8].type, WatchEvent::Type::kDelete);
  all.erase(all.begin() + 8);
  std::vector<std::string> values;
  for (const WatchEvent& event : all) values.push_back(event.kv.value);
  EXPECT_EQ(values, Numbers(1, 9));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(events.Values().size(), 10u) << "no repeats after the reconnect";
}

TEST(EtcdStoreTest, WatchSeesEveryChangeAcrossAnEtcdRestart) {
  PrivateEtcd etcd;
  ASSERT_TRUE(etcd.started());
  auto store = MustOpen(etcd.options());
  ASSERT_NE(store, nullptr);
  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store->WatchPrefix("/r/", 0, events.Callback(), &watch).ok());
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(store->Put("/r/k", std::to_string(i)).ok());
  ASSERT_EQ(events.WaitFor(5).size(), 5u);

  ASSERT_TRUE(etcd.Stop());
  KeyValue kv;
  const Status down = store->Get("/r/k", &kv);
  EXPECT_TRUE(down.IsRetriable()) << down.ToString();
  ASSERT_TRUE(etcd.Start());
  // Written before the watch has reconnected (it backs off between tries).
  for (int i = 6; i <= 10; ++i) ASSERT_TRUE(store->Put("/r/k", std::to_string(i)).ok());

  std::vector<WatchEvent> all = events.WaitFor(10);
  ExpectStrictlyIncreasingRevisions(all);
  EXPECT_EQ(events.Values(), Numbers(1, 10));
  watch.reset();
}

TEST(EtcdStoreTest, CompactionWhileDisconnectedEndsTheWatchWithoutWrongEvents) {
  PrivateEtcd etcd;
  ASSERT_TRUE(etcd.started());
  TcpProxy proxy(PortOf(etcd.endpoint()));
  EtcdMetadataStore::Options proxied = etcd.options();
  proxied.endpoints = {"http://127.0.0.1:" + std::to_string(proxy.port())};
  auto watched = MustOpen(proxied);
  auto direct = MustOpen(etcd.options());
  ASSERT_TRUE(watched && direct);

  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(watched->WatchPrefix("/c/", 0, events.Callback(), &watch).ok());
  ASSERT_TRUE(direct->Put("/c/k", "seen").ok());
  ASSERT_EQ(events.WaitFor(1).size(), 1u);

  proxy.CutConnections(/*refusing=*/true);
  ASSERT_TRUE(direct->Put("/c/k", "lost").ok());
  ASSERT_TRUE(direct->Put("/other", "x").ok());
  Compact(etcd.endpoint(), CurrentRevision(*direct));
  proxy.Accept();
  ASSERT_TRUE(direct->Put("/c/k", "after").ok());

  // The watch cannot replay "lost", so it must not deliver "after" either
  // (that would hide a gap); it logs the compaction and ends.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(events.Values(), (std::vector<std::string>{"seen"}));
  watch.reset();
}

TEST(EtcdStoreTest, WatchFromACompactedRevisionIsNotFound) {
  PrivateEtcd etcd;
  ASSERT_TRUE(etcd.started());
  auto store = MustOpen(etcd.options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("/h/k", "1").ok());
  const int64_t old_revision = CurrentRevision(*store);
  for (int i = 2; i <= 4; ++i) ASSERT_TRUE(store->Put("/h/k", std::to_string(i)).ok());
  const int64_t compacted = CurrentRevision(*store) - 1;
  Compact(etcd.endpoint(), compacted);

  EventCollector events;
  std::unique_ptr<Watch> watch;
  Status status = store->WatchPrefix("/h/", old_revision, events.Callback(), &watch);
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_NE(status.message().find("compacted"), std::string::npos) << status.message();
  EXPECT_EQ(watch, nullptr);

  // From the compaction point on, history is still there; a future revision is fine too.
  ASSERT_TRUE(store->WatchPrefix("/h/", compacted, events.Callback(), &watch).ok());
  EXPECT_EQ(events.WaitFor(2).size(), 2u);
  EventCollector future;
  std::unique_ptr<Watch> future_watch;
  ASSERT_TRUE(store->WatchPrefix("/h/", CurrentRevision(*store) + 2, future.Callback(), &future_watch).ok());
  ASSERT_TRUE(store->Put("/h/k", "skipped").ok());
  ASSERT_TRUE(store->Put("/h/k", "wanted").ok());
  std::vector<WatchEvent> later = future.WaitFor(1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].kv.value, "wanted");
}

TEST(EtcdStoreTest, DestroyingAWatchIsPromptEvenWhileItReconnects) {
  const EtcdMetadataStore::Options shared = etcd_test::SharedEtcdOptions();
  ASSERT_FALSE(shared.endpoints.empty());
  TcpProxy proxy(PortOf(shared.endpoints.front()));
  EtcdMetadataStore::Options proxied = shared;
  proxied.endpoints = {"http://127.0.0.1:" + std::to_string(proxy.port())};
  auto store = MustOpen(proxied);
  ASSERT_NE(store, nullptr);

  EventCollector events;
  std::unique_ptr<Watch> idle;
  ASSERT_TRUE(store->WatchPrefix(UniquePrefix(), 0, events.Callback(), &idle).ok());
  std::this_thread::sleep_for(300ms);  // connected and waiting for events
  auto start = std::chrono::steady_clock::now();
  idle.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms) << "an idle watch stops at once";

  std::unique_ptr<Watch> retrying;
  ASSERT_TRUE(store->WatchPrefix(UniquePrefix(), 0, events.Callback(), &retrying).ok());
  proxy.CutConnections(/*refusing=*/true);
  std::this_thread::sleep_for(1500ms);  // in its reconnect backoff by now
  start = std::chrono::steady_clock::now();
  retrying.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms) << "a reconnecting watch stops at once";
}

TEST(EtcdStoreTest, CallbackMayDestroyItsOwnWatchAndThenTheStoreGoes) {
  auto store = MustOpen(etcd_test::SharedEtcdOptions());
  ASSERT_NE(store, nullptr);
  const std::string prefix = UniquePrefix();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Watch> watch;
  int calls = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(store
                    ->WatchPrefix(prefix, 0,
                                  [&](const std::vector<WatchEvent>&) {
                                    std::lock_guard<std::mutex> guard(mu);
                                    ++calls;
                                    watch.reset();
                                    cv.notify_all();
                                  },
                                  &watch)
                    .ok());
  }
  ASSERT_TRUE(store->Put(prefix + "a", "1").ok());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return calls > 0; }));
  lock.unlock();
  ASSERT_TRUE(store->Put(prefix + "b", "2").ok());
  ASSERT_TRUE(store->Delete(prefix + "a").ok());
  ASSERT_TRUE(store->Delete(prefix + "b").ok());
  // The watch's thread may still be finishing; the store waits for it.
  store.reset();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(watch, nullptr);
}

// ---------------------------------------------------------------------------
// Leases and transactions

TEST(EtcdStoreTest, LeaseExpiryRemovesBoundKeysAndWatchesSeeIt) {
  auto store = MustOpen(etcd_test::SharedEtcdOptions());
  ASSERT_NE(store, nullptr);
  const std::string prefix = UniquePrefix();
  LeaseId lease = 0;
  ASSERT_TRUE(store->GrantLease(2, &lease).ok());
  ASSERT_TRUE(store->Put(prefix + "owner", "broker-1", lease).ok());
  ASSERT_TRUE(store->Put(prefix + "member", "broker-1", lease).ok());
  ASSERT_TRUE(store->Put(prefix + "durable", "stays").ok());

  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store->WatchPrefix(prefix, 0, events.Callback(), &watch).ok());
  ASSERT_TRUE(store->KeepAlive(lease).ok());
  std::vector<WatchEvent> deletes = events.WaitFor(2, 10s);
  ASSERT_EQ(deletes.size(), 2u) << "the lease expired within its TTL";
  for (const WatchEvent& event : deletes) EXPECT_EQ(event.type, WatchEvent::Type::kDelete);
  EXPECT_EQ(deletes[0].kv.mod_revision, deletes[1].kv.mod_revision) << "expiry is one revision";

  std::vector<KeyValue> left;
  ASSERT_TRUE(store->Range(prefix, &left).ok());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, prefix + "durable");
  EXPECT_TRUE(store->KeepAlive(lease).IsNotFound());
  EXPECT_TRUE(store->RevokeLease(lease).IsNotFound());
  TxnResult cleanup;
  ASSERT_TRUE(store->Txn({}, {TxnOp::DeletePrefix(prefix)}, {}, &cleanup).ok());
}

TEST(EtcdStoreTest, ConcurrentCompareAndSwapIncrementsLoseNothing) {
  auto store = MustOpen(etcd_test::SharedEtcdOptions());
  ASSERT_NE(store, nullptr);
  const std::string counter = UniquePrefix() + "counter";
  ASSERT_TRUE(store->Put(counter, "0").ok());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  std::atomic<int> conflicts{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int done = 0; done < kIncrements;) {
        KeyValue current;
        if (!store->Get(counter, &current).ok()) {
          ++errors;
          return;
        }
        const std::string next = std::to_string(std::stoi(current.value) + 1);
        TxnResult result;
        Status status = store->Txn({Compare::ModRevisionEquals(counter, current.mod_revision)},
                                   {TxnOp::Put(counter, next)}, {TxnOp::Get(counter)}, &result);
        if (!status.ok()) {
          ++errors;
          return;
        }
        if (result.succeeded) {
          ++done;
        } else {
          ++conflicts;
          EXPECT_EQ(result.results.size(), 1u) << "the failure branch read the winner's value";
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  KeyValue final_value;
  ASSERT_TRUE(store->Get(counter, &final_value).ok());
  EXPECT_EQ(final_value.value, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(final_value.version, kThreads * kIncrements + 1);
  ASSERT_TRUE(store->Delete(counter).ok());
}

TEST(EtcdStoreTest, LargeRangesArriveWholeAndInOrder) {
  auto store = MustOpen(etcd_test::SharedEtcdOptions());
  ASSERT_NE(store, nullptr);
  const std::string prefix = UniquePrefix();
  // More keys than one Range page holds, written 128 per transaction.
  constexpr int kKeys = 2300;
  auto key = [&](int i) {
    std::string number = std::to_string(i);
    return prefix + std::string(6 - number.size(), '0') + number;
  };
  for (int first = 0; first < kKeys; first += 128) {
    std::vector<TxnOp> puts;
    for (int i = first; i < std::min(first + 128, kKeys); ++i) puts.push_back(TxnOp::Put(key(i), "v"));
    TxnResult ignored;
    ASSERT_TRUE(store->Txn({}, puts, {}, &ignored).ok());
  }
  std::vector<KeyValue> kvs;
  int64_t revision = 0;
  ASSERT_TRUE(store->Range(prefix, &kvs, &revision).ok());
  ASSERT_EQ(kvs.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(kvs[i].key, key(i));
  EXPECT_GE(revision, kvs.back().mod_revision);
  TxnResult cleanup;
  ASSERT_TRUE(store->Txn({}, {TxnOp::DeletePrefix(prefix)}, {}, &cleanup).ok());
}

// ---------------------------------------------------------------------------
// Endpoints and authentication

TEST(EtcdStoreTest, FailoverPastADeadFirstEndpoint) {
  EtcdMetadataStore::Options options = etcd_test::SharedEtcdOptions();
  ASSERT_FALSE(options.endpoints.empty());
  // Port 1 on loopback: nothing listens, connections are refused.
  options.endpoints.insert(options.endpoints.begin(), "http://127.0.0.1:1");
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  const std::string prefix = UniquePrefix();

  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store->WatchPrefix(prefix, 0, events.Callback(), &watch).ok());
  ASSERT_TRUE(store->Put(prefix + "a", "1").ok());
  KeyValue kv;
  ASSERT_TRUE(store->Get(prefix + "a", &kv).ok());
  EXPECT_EQ(kv.value, "1");
  LeaseId lease = 0;
  ASSERT_TRUE(store->GrantLease(30, &lease).ok());
  ASSERT_TRUE(store->KeepAlive(lease).ok());
  ASSERT_TRUE(store->RevokeLease(lease).ok());
  EXPECT_EQ(events.WaitFor(1).size(), 1u) << "the watch found the live endpoint too";
  ASSERT_TRUE(store->Delete(prefix + "a").ok());
}

TEST(EtcdStoreTest, ASlowServerIsReachedWithinTheDialTimeout) {
  const EtcdMetadataStore::Options shared = etcd_test::SharedEtcdOptions();
  ASSERT_FALSE(shared.endpoints.empty());
  TcpProxy proxy(PortOf(shared.endpoints.front()));
  proxy.DelayNewConnections(400ms);  // well within the default 2 s dial timeout
  EtcdMetadataStore::Options slow = shared;
  slow.endpoints = {"http://127.0.0.1:" + std::to_string(proxy.port())};
  auto store = MustOpen(slow);
  ASSERT_NE(store, nullptr);
  const std::string key = UniquePrefix() + "k";
  Status put = store->Put(key, "v");
  ASSERT_TRUE(put.ok()) << put.ToString();
  ASSERT_TRUE(store->Delete(key).ok());
}

TEST(EtcdStoreTest, UnavailableMemberIsSkippedForReadsButNotResentWrites) {
  // Without auth, so that no authentication call picks the endpoint first.
  PrivateEtcd healthy;
  ASSERT_TRUE(healthy.started());
  UnhealthyServer unhealthy;
  etcd::ClientOptions options;
  options.endpoints = {unhealthy.endpoint(), healthy.endpoint()};
  const std::string key = UniquePrefix() + "k";

  etcd::EtcdClient reader(options);
  Status read = ReadKey(reader, key);
  EXPECT_TRUE(read.ok()) << "a read moves on to the healthy member: " << read.ToString();
  EXPECT_GE(unhealthy.requests(), 1);

  // A write that reached a member may have been applied there, so it is
  // not sent again elsewhere; the caller sees a retriable error.
  const int before = unhealthy.requests();
  etcd::EtcdClient writer(options);
  Status write = WriteKey(writer, key);
  EXPECT_EQ(write.code(), Status::Code::kUnavailable) << write.ToString();
  EXPECT_GT(unhealthy.requests(), before);
  auto store = MustOpen(healthy.options());
  ASSERT_NE(store, nullptr);
  KeyValue kv;
  EXPECT_TRUE(store->Get(key, &kv).IsNotFound());
  // The failure moved the preference: the next write goes to the healthy member.
  write = WriteKey(writer, key);
  EXPECT_TRUE(write.ok()) << write.ToString();
  ASSERT_TRUE(store->Delete(key).ok());
}

TEST(EtcdStoreTest, CallsFailRetriablyWhileEtcdIsDown) {
  PrivateEtcd etcd;
  ASSERT_TRUE(etcd.started());
  EtcdMetadataStore::Options options = etcd.options();
  options.request_timeout = 1s;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(etcd.Stop());
  const auto start = std::chrono::steady_clock::now();
  KeyValue kv;
  Status get = store->Get("/k", &kv);
  Status put = store->Put("/k", "v");
  TxnResult result;
  Status txn = store->Txn({}, {TxnOp::Put("/k", "v")}, {}, &result);
  EXPECT_EQ(get.code(), Status::Code::kUnavailable) << get.ToString();
  EXPECT_EQ(put.code(), Status::Code::kUnavailable) << put.ToString();
  EXPECT_EQ(txn.code(), Status::Code::kUnavailable) << txn.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  ASSERT_TRUE(etcd.Start());
  EXPECT_TRUE(store->Put("/k", "v").ok()) << "the same store works again";
}

TEST(EtcdStoreTest, UserAndPasswordAuthentication) {
  PrivateEtcd etcd(/*with_auth=*/true);
  ASSERT_TRUE(etcd.started());
  const EtcdMetadataStore::Options good = etcd.options();
  ASSERT_FALSE(good.username.empty());

  EtcdMetadataStore::Options wrong = good;
  wrong.password += "-wrong";
  auto refused = EtcdMetadataStore::Open(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kPermissionDenied) << refused.status().ToString();
  wrong.username = "nobody";
  EXPECT_EQ(EtcdMetadataStore::Open(wrong).status().code(), Status::Code::kPermissionDenied);

  EtcdMetadataStore::Options anonymous = good;
  anonymous.username.clear();
  anonymous.password.clear();
  auto no_credentials = MustOpen(anonymous);
  ASSERT_NE(no_credentials, nullptr);
  EXPECT_EQ(no_credentials->Put("/a/k", "v").code(), Status::Code::kPermissionDenied);

  auto store = MustOpen(good);
  ASSERT_NE(store, nullptr);
  EventCollector events;
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store->WatchPrefix("/a/", 0, events.Callback(), &watch).ok());
  ASSERT_TRUE(store->Put("/a/k", "1").ok());
  LeaseId lease = 0;
  ASSERT_TRUE(store->GrantLease(30, &lease).ok());
  ASSERT_TRUE(store->Put("/a/leased", "v", lease).ok());
  ASSERT_TRUE(store->KeepAlive(lease).ok());
  ASSERT_EQ(events.WaitFor(2).size(), 2u);

  // A restart forgets every token etcd issued: the store and its watch
  // authenticate again by themselves.
  ASSERT_TRUE(etcd.Stop());
  ASSERT_TRUE(etcd.Start());
  Status put = store->Put("/a/k", "2");
  ASSERT_TRUE(put.ok()) << put.ToString();
  KeyValue kv;
  ASSERT_TRUE(store->Get("/a/k", &kv).ok());
  EXPECT_EQ(kv.value, "2");
  std::vector<WatchEvent> all = events.WaitFor(3);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].kv.value, "2");
  ASSERT_TRUE(store->RevokeLease(lease).ok());
}

}  // namespace
}  // namespace kafscale

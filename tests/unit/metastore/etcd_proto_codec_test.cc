#include "metastore/etcd/proto_codec.h"

#include <gtest/gtest.h>

#include "metastore/etcd/key_range.h"

namespace kafscale::etcd {
namespace {

TEST(EtcdRangeEndTest, PrefixEndIncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixRangeEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixRangeEnd("ab"), "ac");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(PrefixRangeEnd(""), std::string(1, '\0'));
}

TEST(EtcdProtoRequestTest, PrefixRangesPageFromAStartKeyAtARevision) {
  etcdserverpb::RangeRequest request = PrefixRangeRequest("/p/", "", 0, 0);
  EXPECT_EQ(request.key(), "/p/");
  EXPECT_EQ(request.range_end(), "/p0");
  EXPECT_EQ(request.limit(), 0);
  EXPECT_EQ(request.revision(), 0);
  request = PrefixRangeRequest("/p/", "/p/x", 10, 42);
  EXPECT_EQ(request.key(), "/p/x");
  EXPECT_EQ(request.range_end(), "/p0");
  EXPECT_EQ(request.limit(), 10);
  EXPECT_EQ(request.revision(), 42);
  // The whole key space: key "\0", range_end "\0".
  request = PrefixRangeRequest("", "", 0, 0);
  EXPECT_EQ(request.key(), std::string(1, '\0'));
  EXPECT_EQ(request.range_end(), std::string(1, '\0'));
}

TEST(EtcdProtoRequestTest, TxnEncodesEveryCompareTargetAndOp) {
  Compare create;
  create.key = "c";
  create.target = Compare::Target::kCreateRevision;
  create.op = Compare::Op::kGreater;
  create.number = 3;
  Compare value = Compare::ValueEquals("v", std::string("x\0y", 3));
  value.op = Compare::Op::kNotEqual;
  Compare version = Compare::VersionEquals("n", 0);
  version.op = Compare::Op::kLess;
  const etcdserverpb::TxnRequest request =
      TxnRequest({value, version, create, Compare::ModRevisionEquals("m", 12)},
                 {TxnOp::Put("a", "1", 5), TxnOp::Delete("b"), TxnOp::DeletePrefix("p/"),
                  TxnOp::DeleteRange("r1", "r5"), TxnOp::DeleteRange("r5", "r1")},
                 {TxnOp::Get("g"), TxnOp::GetPrefix("p/"), TxnOp::DeleteRange("r", "")});

  ASSERT_EQ(request.compare_size(), 4);
  EXPECT_EQ(request.compare(0).key(), "v");
  EXPECT_EQ(request.compare(0).target(), etcdserverpb::Compare::VALUE);
  EXPECT_EQ(request.compare(0).result(), etcdserverpb::Compare::NOT_EQUAL);
  EXPECT_EQ(request.compare(0).value(), std::string("x\0y", 3));
  EXPECT_EQ(request.compare(1).target(), etcdserverpb::Compare::VERSION);
  EXPECT_EQ(request.compare(1).result(), etcdserverpb::Compare::LESS);
  // Zero is sent, not left out: the oneof says which target it is.
  EXPECT_EQ(request.compare(1).target_union_case(), etcdserverpb::Compare::kVersion);
  EXPECT_EQ(request.compare(1).version(), 0);
  EXPECT_EQ(request.compare(2).target(), etcdserverpb::Compare::CREATE);
  EXPECT_EQ(request.compare(2).result(), etcdserverpb::Compare::GREATER);
  EXPECT_EQ(request.compare(2).create_revision(), 3);
  EXPECT_EQ(request.compare(3).target(), etcdserverpb::Compare::MOD);
  EXPECT_EQ(request.compare(3).result(), etcdserverpb::Compare::EQUAL);
  EXPECT_EQ(request.compare(3).mod_revision(), 12);

  ASSERT_EQ(request.success_size(), 5);
  EXPECT_EQ(request.success(0).request_put().key(), "a");
  EXPECT_EQ(request.success(0).request_put().value(), "1");
  EXPECT_EQ(request.success(0).request_put().lease(), 5);
  EXPECT_EQ(request.success(1).request_delete_range().key(), "b");
  EXPECT_EQ(request.success(1).request_delete_range().range_end(), "");
  EXPECT_EQ(request.success(2).request_delete_range().key(), "p/");
  EXPECT_EQ(request.success(2).request_delete_range().range_end(), "p0");
  EXPECT_EQ(request.success(3).request_delete_range().key(), "r1");
  EXPECT_EQ(request.success(3).request_delete_range().range_end(), "r5");
  // An end before the begin is an empty range.
  EXPECT_EQ(request.success(4).request_delete_range().range_end(), "r5");

  ASSERT_EQ(request.failure_size(), 3);
  EXPECT_EQ(request.failure(0).request_range().key(), "g");
  EXPECT_EQ(request.failure(0).request_range().range_end(), "");
  EXPECT_EQ(request.failure(1).request_range().key(), "p/");
  EXPECT_EQ(request.failure(1).request_range().range_end(), "p0");
  // Without an end it goes out without a key, which etcd refuses.
  ASSERT_TRUE(request.failure(2).has_request_delete_range());
  EXPECT_EQ(request.failure(2).request_delete_range().key(), "");
}

etcdserverpb::KeyValue* AddKv(etcdserverpb::RangeResponse* range, const std::string& key, const std::string& value,
                              int64_t revision) {
  etcdserverpb::KeyValue* kv = range->add_kvs();
  kv->set_key(key);
  kv->set_value(value);
  kv->set_create_revision(revision);
  kv->set_mod_revision(revision);
  kv->set_version(1);
  return kv;
}

TEST(EtcdProtoResponseTest, TxnResultsFollowTheBranchThatRan) {
  const std::vector<TxnOp> success = {TxnOp::Put("a", "1"), TxnOp::Get("a"), TxnOp::GetPrefix("p/"),
                                      TxnOp::Get("none")};
  const std::vector<TxnOp> failure = {TxnOp::Get("a")};
  etcdserverpb::TxnResponse succeeded;
  succeeded.mutable_header()->set_revision(11);
  succeeded.set_succeeded(true);
  succeeded.add_responses()->mutable_response_put();
  AddKv(succeeded.add_responses()->mutable_response_range(), "a", "1", 11)->set_lease(7587862072907302700);
  etcdserverpb::RangeResponse* prefix = succeeded.add_responses()->mutable_response_range();
  AddKv(prefix, "p/1", "", 3);
  AddKv(prefix, "p/2", "x", 4);
  succeeded.add_responses()->mutable_response_range();
  TxnResult result;
  ASSERT_TRUE(DecodeTxnResponse(succeeded, success, failure, &result).ok());
  EXPECT_TRUE(result.succeeded);
  EXPECT_EQ(result.revision, 11);
  ASSERT_EQ(result.results.size(), 4u);
  EXPECT_TRUE(result.results[0].empty());
  ASSERT_EQ(result.results[1].size(), 1u);
  EXPECT_EQ(result.results[1][0].value, "1");
  EXPECT_EQ(result.results[1][0].create_revision, 11);
  EXPECT_EQ(result.results[1][0].lease, 7587862072907302700);
  ASSERT_EQ(result.results[2].size(), 2u);
  EXPECT_EQ(result.results[2][1].key, "p/2");
  EXPECT_EQ(result.results[2][1].mod_revision, 4);
  EXPECT_TRUE(result.results[3].empty());

  etcdserverpb::TxnResponse failed;
  failed.mutable_header()->set_revision(12);
  AddKv(failed.add_responses()->mutable_response_range(), "a", "2", 12);
  ASSERT_TRUE(DecodeTxnResponse(failed, success, failure, &result).ok());
  EXPECT_FALSE(result.succeeded);
  ASSERT_EQ(result.results.size(), 1u);
  ASSERT_EQ(result.results[0].size(), 1u);
  EXPECT_EQ(result.results[0][0].value, "2");

  etcdserverpb::TxnResponse short_answer;
  short_answer.set_succeeded(true);
  EXPECT_FALSE(DecodeTxnResponse(short_answer, success, failure, &result).ok())
      << "a response count that does not match the branch is an error";
}

TEST(EtcdProtoRequestTest, WatchCreateCoversThePrefixWithProgressNotifications) {
  etcdserverpb::WatchRequest request = WatchCreateRequest("/w", 9);
  ASSERT_TRUE(request.has_create_request());
  EXPECT_EQ(request.create_request().key(), "/w");
  EXPECT_EQ(request.create_request().range_end(), "/x");
  EXPECT_EQ(request.create_request().start_revision(), 9);
  EXPECT_TRUE(request.create_request().progress_notify());
  request = WatchCreateRequest("", 1);
  EXPECT_EQ(request.create_request().key(), std::string(1, '\0'));
  EXPECT_EQ(request.create_request().range_end(), std::string(1, '\0'));
}

TEST(EtcdWatchMessageTest, CreatedEventsProgressAndCancel) {
  etcdserverpb::WatchResponse response;
  response.mutable_header()->set_revision(5);
  response.set_created(true);
  WatchMessage message = DecodeWatchResponse(response);
  EXPECT_TRUE(message.created);
  EXPECT_FALSE(message.IsProgressNotify());

  response.Clear();
  response.mutable_header()->set_revision(7);
  etcdserverpb::Event* put = response.add_events();
  put->mutable_kv()->set_key("a");
  put->mutable_kv()->set_value("1");
  put->mutable_kv()->set_create_revision(6);
  put->mutable_kv()->set_mod_revision(6);
  put->mutable_kv()->set_version(1);
  etcdserverpb::Event* deleted = response.add_events();
  deleted->set_type(etcdserverpb::Event::DELETE);
  deleted->mutable_kv()->set_key("b");
  deleted->mutable_kv()->set_mod_revision(7);
  message = DecodeWatchResponse(response);
  ASSERT_EQ(message.events.size(), 2u);
  EXPECT_EQ(message.events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(message.events[0].kv.value, "1");
  EXPECT_EQ(message.events[0].kv.create_revision, 6);
  EXPECT_EQ(message.events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(message.events[1].kv.key, "b");
  EXPECT_EQ(message.events[1].kv.mod_revision, 7);
  EXPECT_EQ(message.events[1].kv.version, 0);
  EXPECT_FALSE(message.IsProgressNotify());

  response.Clear();
  response.mutable_header()->set_revision(40);
  message = DecodeWatchResponse(response);
  EXPECT_TRUE(message.IsProgressNotify());
  EXPECT_EQ(message.header_revision, 40);

  response.set_canceled(true);
  response.set_compact_revision(5);
  message = DecodeWatchResponse(response);
  EXPECT_TRUE(message.canceled);
  EXPECT_FALSE(message.IsProgressNotify());
  EXPECT_EQ(message.compact_revision, 5);

  response.Clear();
  response.set_created(true);
  response.set_canceled(true);
  response.set_cancel_reason("rpc error: code = Unauthenticated desc = etcdserver: invalid auth token");
  message = DecodeWatchResponse(response);
  EXPECT_TRUE(message.canceled);
  EXPECT_NE(message.cancel_reason.find("Unauthenticated"), std::string::npos);
}

}  // namespace
}  // namespace kafscale::etcd

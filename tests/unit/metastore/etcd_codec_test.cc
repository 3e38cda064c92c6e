#include "metastore/etcd/json_codec.h"

#include <gtest/gtest.h>

#include <limits>

namespace kafscale::etcd {
namespace {

using nlohmann::json;

std::string Decoded(std::string_view text) {
  std::string bytes;
  Status status = Base64Decode(text, &bytes);
  EXPECT_TRUE(status.ok()) << text << ": " << status.ToString();
  return bytes;
}

TEST(EtcdBase64Test, KnownVectorsRoundTrip) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Decoded(encoded), plain);
  }
}

TEST(EtcdBase64Test, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= bytes.size(); length += 37) {
    const std::string part = bytes.substr(0, length);
    EXPECT_EQ(Decoded(Base64Encode(part)), part);
  }
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(EtcdBase64Test, MalformedInputIsRejected) {
  std::string bytes;
  for (std::string_view bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg="}) {
    EXPECT_EQ(Base64Decode(bad, &bytes).code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST(EtcdRangeEndTest, PrefixEndIncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixRangeEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixRangeEnd("ab"), "ac");
  EXPECT_EQ(PrefixRangeEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixRangeEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
  EXPECT_EQ(PrefixRangeEnd(""), std::string(1, '\0'));
}

TEST(EtcdRequestTest, RangesAndWritesAreBase64WithStringIntegers) {
  EXPECT_EQ(RangeRequest("/k"), json::parse(R"({"key":"L2s="})"));
  EXPECT_EQ(PrefixRangeRequest("/p/", "", 0, 0), json::parse(R"({"key":"L3Av","range_end":"L3Aw"})"));
  EXPECT_EQ(PrefixRangeRequest("/p/", "/p/x", 10, 42),
            json::parse(R"({"key":"L3AveA==","range_end":"L3Aw","limit":"10","revision":"42"})"));
  // The whole key space: key "\0", range_end "\0".
  EXPECT_EQ(PrefixRangeRequest("", "", 0, 0), json::parse(R"({"key":"AA==","range_end":"AA=="})"));
  EXPECT_EQ(PutRequest("/k", "v", 0), json::parse(R"({"key":"L2s=","value":"dg=="})"));
  EXPECT_EQ(PutRequest("/k", "", 7205759403792793601),
            json::parse(R"({"key":"L2s=","value":"","lease":"7205759403792793601"})"));
  EXPECT_EQ(DeleteRequest("/k"), json::parse(R"({"key":"L2s="})"));
  EXPECT_EQ(LeaseGrantRequest(10), json::parse(R"({"TTL":"10"})"));
  EXPECT_EQ(LeaseIdRequest(-5), json::parse(R"({"ID":"-5"})"));
  EXPECT_EQ(AuthenticateRequest("u", "p"), json::parse(R"({"name":"u","password":"p"})"));
  EXPECT_EQ(WatchCreateRequest("/w", 9),
            json::parse(R"({"create_request":{"key":"L3c=","range_end":"L3g=","start_revision":"9",
                           "progress_notify":true}})"));
}

TEST(EtcdRequestTest, TxnEncodesEveryCompareTargetAndOp) {
  Compare create;
  create.key = "c";
  create.target = Compare::Target::kCreateRevision;
  create.op = Compare::Op::kGreater;
  create.number = 3;
  Compare value = Compare::ValueEquals("v", "x");
  value.op = Compare::Op::kNotEqual;
  Compare version = Compare::VersionEquals("n", 0);
  version.op = Compare::Op::kLess;
  const json request = TxnRequest({value, version, create, Compare::ModRevisionEquals("m", 12)},
                                  {TxnOp::Put("a", "1", 5), TxnOp::Delete("b"), TxnOp::DeletePrefix("p/")},
                                  {TxnOp::Get("g"), TxnOp::GetPrefix("p/")});
  EXPECT_EQ(request, json::parse(R"({
    "compare": [
      {"key":"dg==","target":"VALUE","result":"NOT_EQUAL","value":"eA=="},
      {"key":"bg==","target":"VERSION","result":"LESS","version":"0"},
      {"key":"Yw==","target":"CREATE","result":"GREATER","create_revision":"3"},
      {"key":"bQ==","target":"MOD","result":"EQUAL","mod_revision":"12"}],
    "success": [
      {"request_put":{"key":"YQ==","value":"MQ==","lease":"5"}},
      {"request_delete_range":{"key":"Yg=="}},
      {"request_delete_range":{"key":"cC8=","range_end":"cDA="}}],
    "failure": [
      {"request_range":{"key":"Zw=="}},
      {"request_range":{"key":"cC8=","range_end":"cDA="}}]})"));
  EXPECT_EQ(TxnRequest({}, {}, {}), json::parse(R"({"compare":[],"success":[],"failure":[]})"));
}

TEST(EtcdResponseTest, Int64FieldsAcceptStringsNumbersAndAbsence) {
  const json object = json::parse(R"({"s":"9223372036854775807","n":-4,"neg":"-12","z":null,
                                      "bad":"12x","empty":"","f":1.5,"big":18446744073709551615})");
  int64_t value = -1;
  EXPECT_TRUE(ReadInt64Field(object, "s", &value));
  EXPECT_EQ(value, std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ReadInt64Field(object, "n", &value));
  EXPECT_EQ(value, -4);
  EXPECT_TRUE(ReadInt64Field(object, "neg", &value));
  EXPECT_EQ(value, -12);
  EXPECT_TRUE(ReadInt64Field(object, "absent", &value));
  EXPECT_EQ(value, 0);
  EXPECT_TRUE(ReadInt64Field(object, "z", &value));
  EXPECT_EQ(value, 0);
  for (const char* bad : {"bad", "empty", "f", "big"}) EXPECT_FALSE(ReadInt64Field(object, bad, &value)) << bad;
}

TEST(EtcdResponseTest, RangeResponseWithOmittedDefaults) {
  // As etcd 3.4 answers: no "value" for an empty value, no "lease" when
  // there is none, no "more" when false.
  const json response = json::parse(R"({
    "header":{"cluster_id":"5827497340533407416","revision":"7","raft_term":"2"},
    "kvs":[{"key":"YQ==","create_revision":"2","mod_revision":"5","version":"3","value":"AP8K"},
           {"key":"Yg==","create_revision":"6","mod_revision":"6","version":"1","lease":"694d7f2c"}],
    "count":"2"})");
  std::vector<KeyValue> kvs;
  bool more = true;
  int64_t revision = 0;
  // "694d7f2c" is not decimal: a malformed lease is reported, not guessed.
  EXPECT_FALSE(DecodeRangeResponse(response, &kvs, &more, &revision).ok());

  json fixed = response;
  fixed["kvs"][1]["lease"] = "7587862072907302700";
  ASSERT_TRUE(DecodeRangeResponse(fixed, &kvs, &more, &revision).ok());
  EXPECT_FALSE(more);
  EXPECT_EQ(revision, 7);
  ASSERT_EQ(kvs.size(), 2u);
  EXPECT_EQ(kvs[0].key, "a");
  EXPECT_EQ(kvs[0].value, std::string("\0\xff\n", 3));
  EXPECT_EQ(kvs[0].create_revision, 2);
  EXPECT_EQ(kvs[0].mod_revision, 5);
  EXPECT_EQ(kvs[0].version, 3);
  EXPECT_EQ(kvs[0].lease, 0);
  EXPECT_EQ(kvs[1].value, "");
  EXPECT_EQ(kvs[1].lease, 7587862072907302700);

  ASSERT_TRUE(DecodeRangeResponse(json::parse(R"({"header":{"revision":"9"},"more":true})"), &kvs, &more,
                                  &revision)
                  .ok());
  EXPECT_TRUE(kvs.empty());
  EXPECT_TRUE(more);
  EXPECT_EQ(revision, 9);
}

TEST(EtcdResponseTest, MalformedKeyValuesAreErrors) {
  KeyValue kv;
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"({"key":"not base64!"})"), &kv).ok());
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"({"key":"YQ==","version":true})"), &kv).ok());
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"(["YQ=="])"), &kv).ok());
  std::vector<KeyValue> kvs;
  bool more = false;
  int64_t revision = 0;
  EXPECT_FALSE(DecodeRangeResponse(json::parse(R"({"kvs":{}})"), &kvs, &more, &revision).ok());
}

TEST(EtcdResponseTest, TxnResultsFollowTheBranchThatRan) {
  const std::vector<TxnOp> success = {TxnOp::Put("a", "1"), TxnOp::Get("a"), TxnOp::GetPrefix("p/"),
                                      TxnOp::Get("none")};
  const std::vector<TxnOp> failure = {TxnOp::Get("a")};
  const json succeeded = json::parse(R"({
    "header":{"revision":"11"},"succeeded":true,
    "responses":[{"response_put":{"header":{"revision":"11"}}},
                 {"response_range":{"header":{"revision":"11"},"kvs":[{"key":"YQ==","value":"MQ==",
                   "create_revision":"11","mod_revision":"11","version":"1"}],"count":"1"}},
                 {"response_range":{"header":{"revision":"11"},"kvs":[
                   {"key":"cC8x","create_revision":"3","mod_revision":"3","version":"1"},
                   {"key":"cC8y","create_revision":"4","mod_revision":"4","version":"1"}],"count":"2"}},
                 {"response_range":{"header":{"revision":"11"}}}]})");
  TxnResult result;
  ASSERT_TRUE(DecodeTxnResponse(succeeded, success, failure, &result).ok());
  EXPECT_TRUE(result.succeeded);
  EXPECT_EQ(result.revision, 11);
  ASSERT_EQ(result.results.size(), 4u);
  EXPECT_TRUE(result.results[0].empty());
  ASSERT_EQ(result.results[1].size(), 1u);
  EXPECT_EQ(result.results[1][0].value, "1");
  ASSERT_EQ(result.results[2].size(), 2u);
  EXPECT_EQ(result.results[2][1].key, "p/2");
  EXPECT_TRUE(result.results[3].empty());

  // "succeeded": false is omitted; the failure branch's results come back.
  const json failed = json::parse(R"({"header":{"revision":"12"},"responses":[
    {"response_range":{"header":{"revision":"12"},"kvs":[{"key":"YQ==","value":"Mg==","version":"2"}]}}]})");
  ASSERT_TRUE(DecodeTxnResponse(failed, success, failure, &result).ok());
  EXPECT_FALSE(result.succeeded);
  ASSERT_EQ(result.results.size(), 1u);
  ASSERT_EQ(result.results[0].size(), 1u);
  EXPECT_EQ(result.results[0][0].value, "2");

  // A compare-only txn with nothing to run answers without "responses".
  ASSERT_TRUE(DecodeTxnResponse(json::parse(R"({"header":{"revision":"5"}})"), {}, {}, &result).ok());
  EXPECT_TRUE(result.results.empty());
  EXPECT_EQ(result.revision, 5);

  EXPECT_FALSE(DecodeTxnResponse(json::parse(R"({"succeeded":true,"responses":[]})"), success, failure, &result).ok())
      << "a response count that does not match the branch is malformed";
}

TEST(EtcdErrorTest, UnaryAndStreamErrorsAreFound) {
  EtcdError error;
  EXPECT_FALSE(FindError(json::parse(R"({"header":{}})"), &error));
  ASSERT_TRUE(FindError(json::parse(R"({"error":"etcdserver: requested lease not found",
                                       "message":"etcdserver: requested lease not found","code":5})"),
                        &error));
  EXPECT_EQ(error.grpc_code, kGrpcNotFound);
  EXPECT_EQ(error.message, "etcdserver: requested lease not found");
  ASSERT_TRUE(FindError(json::parse(R"({"error":{"grpc_code":16,"http_code":401,
                                       "message":"etcdserver: invalid auth token","http_status":"Unauthorized"}})"),
                        &error));
  EXPECT_EQ(error.grpc_code, kGrpcUnauthenticated);
  EXPECT_TRUE(IsInvalidToken(error));
}

TEST(EtcdErrorTest, HttpAnswersWithoutJsonUseTheStatus) {
  EXPECT_EQ(ErrorFromHttpAnswer(503, "<html>bad gateway</html>").grpc_code, kGrpcUnavailable);
  EXPECT_EQ(ErrorFromHttpAnswer(401, "").grpc_code, kGrpcUnauthenticated);
  EXPECT_EQ(ErrorFromHttpAnswer(504, "").grpc_code, kGrpcDeadlineExceeded);
  const EtcdError not_found = ErrorFromHttpAnswer(404, "Not Found\n");
  EXPECT_EQ(StatusFromError(not_found).code(), Status::Code::kInvalidArgument) << "an unknown path is our bug";
  const EtcdError parsed =
      ErrorFromHttpAnswer(400, R"({"error":"etcdserver: key is not provided","code":3})");
  EXPECT_EQ(parsed.grpc_code, kGrpcInvalidArgument);
  EXPECT_EQ(parsed.message, "etcdserver: key is not provided");
}

TEST(EtcdErrorTest, StatusMappingFollowsTheStoreContract) {
  auto code = [](int grpc_code, std::string message) {
    return StatusFromError(EtcdError{grpc_code, std::move(message)}).code();
  };
  using Code = Status::Code;
  EXPECT_EQ(code(3, "etcdserver: authentication failed, invalid user ID or password"), Code::kPermissionDenied);
  EXPECT_EQ(code(3, "etcdserver: user name is empty"), Code::kPermissionDenied);
  EXPECT_EQ(code(7, "etcdserver: permission denied"), Code::kPermissionDenied);
  EXPECT_EQ(code(16, "etcdserver: invalid auth token"), Code::kPermissionDenied);
  EXPECT_EQ(code(3, "etcdserver: duplicate key given in txn request"), Code::kInvalidArgument);
  EXPECT_EQ(code(5, "etcdserver: requested lease not found"), Code::kNotFound);
  EXPECT_EQ(code(11, "etcdserver: mvcc: required revision has been compacted"), Code::kNotFound);
  EXPECT_EQ(code(11, "etcdserver: mvcc: required revision is a future revision"), Code::kInvalidArgument);
  EXPECT_EQ(code(14, "etcdserver: request timed out"), Code::kUnavailable);
  EXPECT_EQ(code(8, "etcdserver: too many requests"), Code::kUnavailable);
  EXPECT_EQ(code(4, "context deadline exceeded"), Code::kTimeout);
  EXPECT_EQ(code(13, "internal"), Code::kIOError);
  EXPECT_NE(StatusFromError(EtcdError{11, "mvcc: required revision has been compacted"}).message().find("compacted"),
            std::string::npos);
}

TEST(EtcdWatchMessageTest, CreatedEventsProgressAndCancel) {
  WatchMessage message;
  EtcdError error;
  ASSERT_TRUE(DecodeWatchMessage(json::parse(R"({"result":{"header":{"revision":"5"},"created":true}})"),
                                 &message, &error)
                  .ok());
  EXPECT_TRUE(message.created);
  EXPECT_FALSE(message.IsProgressNotify());

  ASSERT_TRUE(DecodeWatchMessage(json::parse(R"({"result":{"header":{"revision":"7"},"events":[
      {"kv":{"key":"YQ==","create_revision":"6","mod_revision":"6","version":"1","value":"MQ=="}},
      {"type":"DELETE","kv":{"key":"Yg==","mod_revision":"7"}}]}})"),
                                 &message, &error)
                  .ok());
  ASSERT_EQ(message.events.size(), 2u);
  EXPECT_EQ(message.events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(message.events[0].kv.value, "1");
  EXPECT_EQ(message.events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(message.events[1].kv.key, "b");
  EXPECT_EQ(message.events[1].kv.mod_revision, 7);
  EXPECT_EQ(message.events[1].kv.version, 0);

  ASSERT_TRUE(DecodeWatchMessage(json::parse(R"({"result":{"header":{"revision":"40"}}})"), &message, &error).ok());
  EXPECT_TRUE(message.IsProgressNotify());
  EXPECT_EQ(message.header_revision, 40);

  ASSERT_TRUE(DecodeWatchMessage(json::parse(R"({"result":{"header":{"revision":"7"},"canceled":true,
                                                "compact_revision":"5"}})"),
                                 &message, &error)
                  .ok());
  EXPECT_TRUE(message.canceled);
  EXPECT_EQ(message.compact_revision, 5);

  ASSERT_TRUE(DecodeWatchMessage(json::parse(R"({"result":{"watch_id":"-1","created":true,"canceled":true,
      "cancel_reason":"rpc error: code = Unauthenticated desc = etcdserver: invalid auth token"}})"),
                                 &message, &error)
                  .ok());
  EXPECT_TRUE(message.canceled);
  EXPECT_NE(message.cancel_reason.find("Unauthenticated"), std::string::npos);
}

TEST(EtcdWatchMessageTest, StreamErrorsAndGarbageAreErrors) {
  WatchMessage message;
  EtcdError error;
  Status status = DecodeWatchMessage(
      json::parse(R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing"}})"), &message, &error);
  EXPECT_EQ(status.code(), Status::Code::kUnavailable);
  EXPECT_EQ(error.grpc_code, kGrpcUnavailable);
  EXPECT_FALSE(DecodeWatchMessage(json::parse(R"({"unexpected":1})"), &message, &error).ok());
  EXPECT_FALSE(DecodeWatchMessage(json::parse(R"({"result":{"events":[{"type":"EXPLODE","kv":{}}]}})"), &message,
                                  &error)
                   .ok());
  EXPECT_FALSE(DecodeWatchMessage(json::parse(R"({"result":{"events":[{"type":"PUT"}]}})"), &message, &error).ok());
}

}  // namespace
}  // namespace kafscale::etcd

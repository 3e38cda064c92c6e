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

TEST(EtcdRequestTest, WatchCreateIsBase64WithStringIntegers) {
  EXPECT_EQ(WatchCreateRequest("/w", 9),
            json::parse(R"({"create_request":{"key":"L3c=","range_end":"L3g=","start_revision":"9",
                           "progress_notify":true}})"));
  // The whole key space: key "\0", range_end "\0".
  EXPECT_EQ(WatchCreateRequest("", 1),
            json::parse(R"({"create_request":{"key":"AA==","range_end":"AA==","start_revision":"1",
                           "progress_notify":true}})"));
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

TEST(EtcdResponseTest, KeyValuesWithOmittedDefaults) {
  // As etcd 3.4 answers: no "value" for an empty value, no "lease" when
  // there is none.
  KeyValue kv;
  ASSERT_TRUE(DecodeKeyValue(json::parse(R"({"key":"YQ==","create_revision":"2","mod_revision":"5",
                                             "version":"3","value":"AP8K"})"),
                             &kv)
                  .ok());
  EXPECT_EQ(kv.key, "a");
  EXPECT_EQ(kv.value, std::string("\0\xff\n", 3));
  EXPECT_EQ(kv.create_revision, 2);
  EXPECT_EQ(kv.mod_revision, 5);
  EXPECT_EQ(kv.version, 3);
  EXPECT_EQ(kv.lease, 0);
  ASSERT_TRUE(DecodeKeyValue(json::parse(R"({"key":"Yg==","version":"1","lease":"7587862072907302700"})"), &kv).ok());
  EXPECT_EQ(kv.value, "");
  EXPECT_EQ(kv.lease, 7587862072907302700);
  // "694d7f2c" is not decimal: a malformed lease is reported, not guessed.
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"({"key":"Yg==","lease":"694d7f2c"})"), &kv).ok());
}

TEST(EtcdResponseTest, MalformedKeyValuesAreErrors) {
  KeyValue kv;
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"({"key":"not base64!"})"), &kv).ok());
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"({"key":"YQ==","version":true})"), &kv).ok());
  EXPECT_FALSE(DecodeKeyValue(json::parse(R"(["YQ=="])"), &kv).ok());
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

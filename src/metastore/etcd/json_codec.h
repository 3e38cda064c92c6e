// The watch stream's JSON (POST /v3/watch on etcd 3.4's gRPC-JSON gateway)
// and how etcd's errors map to the store's Status, for gRPC calls too:
//  - keys and values are base64 (standard alphabet, padded);
//  - 64-bit integers are JSON strings (numbers are accepted too);
//  - fields holding their default value (0, false, "", empty list) are
//    omitted from responses, so every decoder treats a missing field as the
//    default;
//  - errors come back as {"error","message","code"} (unary calls) or
//    {"error":{"grpc_code","http_code","message"}} (inside a stream), where
//    code is the gRPC status code.
// Pure functions without I/O; safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "metastore/metadata_store.h"

namespace kafscale::etcd {

std::string Base64Encode(std::string_view bytes);
// InvalidArgument if `text` is not padded standard base64.
Status Base64Decode(std::string_view text, std::string* bytes);

// Creates a watch of every key starting with `prefix` from `start_revision`
// (> 0), with periodic progress notifications so an idle watch learns how
// far it is in sync.
nlohmann::json WatchCreateRequest(std::string_view prefix, int64_t start_revision);

// Reads an int64 field of `object`: absent or null is 0; a string must be a
// whole decimal number; a JSON number must be an integer in range. False if
// the field has another form.
bool ReadInt64Field(const nlohmann::json& object, std::string_view name, int64_t* value);

// Decodes one mvccpb.KeyValue object.
Status DecodeKeyValue(const nlohmann::json& object, KeyValue* kv);
// The header revision of any response (0 if absent).
Status DecodeHeaderRevision(const nlohmann::json& response, int64_t* revision);

// What an error answer from etcd says.
struct EtcdError {
  int grpc_code = 0;  // 2 (Unknown) when the answer carried none
  std::string message;
};

// gRPC status codes used in decisions.
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcDeadlineExceeded = 4;
inline constexpr int kGrpcNotFound = 5;
inline constexpr int kGrpcOutOfRange = 11;
inline constexpr int kGrpcUnavailable = 14;
inline constexpr int kGrpcUnauthenticated = 16;

// True and fills *error when `response` is an error answer of either form.
bool FindError(const nlohmann::json& response, EtcdError* error);
// Parses an error body of a non-2xx HTTP answer; when it is not JSON (a
// proxy's page, the gateway's plain "Not Found") the HTTP status decides.
EtcdError ErrorFromHttpAnswer(long http_status, std::string_view body);
// True for an invalid or expired token: re-authenticating may help.
bool IsInvalidToken(const EtcdError& error);
// Maps an etcd error to the MetadataStore error contract: auth failures to
// PermissionDenied, NotFound (lease) to NotFound, compaction to NotFound
// with "compacted" in the message, Unavailable/ResourceExhausted to
// Unavailable, DeadlineExceeded to Timeout, other caller mistakes to
// InvalidArgument, the rest to IOError.
Status StatusFromError(const EtcdError& error);

// One message of a watch stream (a WatchResponse).
struct WatchMessage {
  int64_t header_revision = 0;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0;  // non-zero: the start revision was compacted
  std::string cancel_reason;
  std::vector<WatchEvent> events;
  // A progress notification: etcd sends it only to a watch that is in sync,
  // so every change up to header_revision has been delivered.
  bool IsProgressNotify() const { return !created && !canceled && events.empty(); }
};

// Decodes one watch stream object ({"result": WatchResponse}). An error
// object of the stream (or an unparseable one) comes back as a non-OK
// Status; *error is filled when etcd named one.
Status DecodeWatchMessage(const nlohmann::json& object, WatchMessage* message, EtcdError* error);

}  // namespace kafscale::etcd

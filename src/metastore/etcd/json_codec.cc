#include "metastore/etcd/json_codec.h"

#include "metastore/etcd/key_range.h"

#include <array>
#include <charconv>
#include <limits>

namespace kafscale::etcd {

using nlohmann::json;

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Value of each byte in the base64 alphabet, or -1.
constexpr std::array<int8_t, 256> MakeBase64Values() {
  std::array<int8_t, 256> values{};
  for (int8_t& value : values) value = -1;
  for (size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  }
  return values;
}
constexpr std::array<int8_t, 256> kBase64Values = MakeBase64Values();

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

json PrefixRange(std::string_view prefix) {
  return json{{"key", Base64Encode(PrefixRangeStart(prefix))}, {"range_end", Base64Encode(PrefixRangeEnd(prefix))}};
}

Status Malformed(std::string_view what) {
  return Status::IOError("malformed etcd response: " + std::string(what));
}

// A field that may be absent (default) but, when present, has the given form.
const json* OptionalField(const json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadBytesField(const json& object, std::string_view name, std::string* bytes) {
  bytes->clear();
  const json* field = OptionalField(object, name);
  if (field == nullptr) return Status::OK();
  if (!field->is_string()) return Malformed(std::string(name) + " is not a string");
  Status status = Base64Decode(field->get_ref<const std::string&>(), bytes);
  if (!status.ok()) return Malformed(std::string(name) + ": " + status.message());
  return Status::OK();
}

Status ReadBoolField(const json& object, std::string_view name, bool* value) {
  *value = false;
  const json* field = OptionalField(object, name);
  if (field == nullptr) return Status::OK();
  if (!field->is_boolean()) return Malformed(std::string(name) + " is not a boolean");
  *value = field->get<bool>();
  return Status::OK();
}

Status ReadNumber(const json& object, std::string_view name, int64_t* value) {
  if (!ReadInt64Field(object, name, value)) return Malformed(std::string(name) + " is not a 64-bit integer");
  return Status::OK();
}

// A list field: absent means empty.
Status ReadArrayField(const json& object, std::string_view name, const json** array) {
  static const json kEmpty = json::array();
  *array = &kEmpty;
  const json* field = OptionalField(object, name);
  if (field == nullptr) return Status::OK();
  if (!field->is_array()) return Malformed(std::string(name) + " is not a list");
  *array = field;
  return Status::OK();
}

Status DecodeWatchEvent(const json& object, WatchEvent* event) {
  if (!object.is_object()) return Malformed("watch event is not an object");
  event->type = WatchEvent::Type::kPut;
  if (const json* type = OptionalField(object, "type"); type != nullptr) {
    if (*type == "DELETE" || *type == 1) {
      event->type = WatchEvent::Type::kDelete;
    } else if (!(*type == "PUT" || *type == 0)) {
      return Malformed("unknown watch event type " + type->dump());
    }
  }
  const json* kv = OptionalField(object, "kv");
  if (kv == nullptr) return Malformed("watch event without kv");
  return DecodeKeyValue(*kv, &event->kv);
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                           static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) text.push_back(kBase64Alphabet[(group >> shift) & 0x3f]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    text.push_back(kBase64Alphabet[(group >> 18) & 0x3f]);
    text.push_back(kBase64Alphabet[(group >> 12) & 0x3f]);
    text.push_back(rest == 2 ? kBase64Alphabet[(group >> 6) & 0x3f] : '=');
    text.push_back('=');
  }
  return text;
}

Status Base64Decode(std::string_view text, std::string* bytes) {
  bytes->clear();
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  bytes->reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (padding == 1 && text[i + 2] == '=') return Status::InvalidArgument("bad base64 padding");
    uint32_t group = 0;
    for (size_t j = 0; j < 4; ++j) {
      int value = 0;
      if (j < 4 - padding) {
        value = kBase64Values[static_cast<unsigned char>(text[i + j])];
        if (value < 0) return Status::InvalidArgument("bad base64 character");
      }
      group = group << 6 | static_cast<uint32_t>(value);
    }
    bytes->push_back(static_cast<char>(group >> 16));
    if (padding < 2) bytes->push_back(static_cast<char>(group >> 8 & 0xff));
    if (padding < 1) bytes->push_back(static_cast<char>(group & 0xff));
  }
  return Status::OK();
}

json WatchCreateRequest(std::string_view prefix, int64_t start_revision) {
  json create = PrefixRange(prefix);
  create["start_revision"] = std::to_string(start_revision);
  create["progress_notify"] = true;
  return json{{"create_request", std::move(create)}};
}

bool ReadInt64Field(const json& object, std::string_view name, int64_t* value) {
  *value = 0;
  const json* field = OptionalField(object, name);
  if (field == nullptr) return true;
  if (field->is_string()) {
    const std::string& text = field->get_ref<const std::string&>();
    const char* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, *value);
    return error == std::errc() && ptr == end && !text.empty();
  }
  if (field->is_number_unsigned()) {
    if (field->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *value = field->get<int64_t>();
    return true;
  }
  if (field->is_number_integer()) {
    *value = field->get<int64_t>();
    return true;
  }
  return false;
}

Status DecodeKeyValue(const json& object, KeyValue* kv) {
  if (!object.is_object()) return Malformed("key-value is not an object");
  Status status = ReadBytesField(object, "key", &kv->key);
  if (status.ok()) status = ReadBytesField(object, "value", &kv->value);
  if (status.ok()) status = ReadNumber(object, "create_revision", &kv->create_revision);
  if (status.ok()) status = ReadNumber(object, "mod_revision", &kv->mod_revision);
  if (status.ok()) status = ReadNumber(object, "version", &kv->version);
  if (status.ok()) status = ReadNumber(object, "lease", &kv->lease);
  return status;
}

Status DecodeHeaderRevision(const json& response, int64_t* revision) {
  *revision = 0;
  const json* header = OptionalField(response, "header");
  if (header == nullptr) return Status::OK();
  return ReadNumber(*header, "revision", revision);
}

bool FindError(const json& response, EtcdError* error) {
  const json* field = OptionalField(response, "error");
  if (field == nullptr) return false;
  int64_t code = 0;
  if (field->is_object()) {  // a stream's error
    if (!ReadInt64Field(*field, "grpc_code", &code)) code = 2;
    const json* message = OptionalField(*field, "message");
    error->message = message != nullptr && message->is_string() ? message->get<std::string>() : field->dump();
  } else {
    if (!ReadInt64Field(response, "code", &code)) code = 2;
    const json* message = OptionalField(response, "message");
    if (message == nullptr || !message->is_string()) message = field;
    error->message = message->is_string() ? message->get<std::string>() : message->dump();
  }
  error->grpc_code = code > 0 && code <= 16 ? static_cast<int>(code) : 2;
  return true;
}

EtcdError ErrorFromHttpAnswer(long http_status, std::string_view body) {
  EtcdError error;
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (FindError(parsed, &error)) return error;
  error.message = "HTTP " + std::to_string(http_status) + ": " + std::string(body.substr(0, 200));
  if (http_status == 401) {
    error.grpc_code = kGrpcUnauthenticated;
  } else if (http_status == 403) {
    error.grpc_code = 7;  // PermissionDenied
  } else if (http_status == 404) {
    error.grpc_code = 12;  // Unimplemented: the gateway knows no such path
  } else if (http_status == 408 || http_status == 504) {
    error.grpc_code = kGrpcDeadlineExceeded;
  } else if (http_status == 429 || http_status >= 500) {
    error.grpc_code = kGrpcUnavailable;
  } else {
    error.grpc_code = 2;
  }
  return error;
}

bool IsInvalidToken(const EtcdError& error) {
  // "revision of auth store is old": the token predates a change of users
  // or roles; a fresh one works.
  return error.grpc_code == kGrpcUnauthenticated || Contains(error.message, "auth store is old");
}

Status StatusFromError(const EtcdError& error) {
  const std::string message = "etcd: " + error.message;
  if (Contains(error.message, "compacted")) return Status::NotFound(message);
  switch (error.grpc_code) {
    case kGrpcInvalidArgument:
      // etcd reports a bad password, and a missing token while auth is on,
      // as InvalidArgument.
      if (Contains(error.message, "authentication failed") || Contains(error.message, "user name is empty")) {
        return Status::PermissionDenied(message);
      }
      return Status::InvalidArgument(message);
    case 7:  // PermissionDenied
    case kGrpcUnauthenticated:
      return Status::PermissionDenied(message);
    case kGrpcNotFound: return Status::NotFound(message);
    case 6: return Status::AlreadyExists(message);
    case kGrpcDeadlineExceeded: return Status::Timeout(message);
    case 8:  // ResourceExhausted: "too many requests"
    case kGrpcUnavailable:
      return Status::Unavailable(message);
    case 1: return Status::Aborted(message);  // Canceled
    case 9:                                   // FailedPrecondition
    case kGrpcOutOfRange:                     // future revision, TTL too large
    case 12:                                  // Unimplemented
      return Status::InvalidArgument(message);
    default: return Status::IOError(message);
  }
}

Status DecodeWatchMessage(const json& object, WatchMessage* message, EtcdError* error) {
  *message = WatchMessage();
  if (FindError(object, error)) return StatusFromError(*error);
  const json* result = OptionalField(object, "result");
  if (result == nullptr || !result->is_object()) return Malformed("watch message without result");
  Status status = DecodeHeaderRevision(*result, &message->header_revision);
  if (status.ok()) status = ReadBoolField(*result, "created", &message->created);
  if (status.ok()) status = ReadBoolField(*result, "canceled", &message->canceled);
  if (status.ok()) status = ReadNumber(*result, "compact_revision", &message->compact_revision);
  if (!status.ok()) return status;
  if (const json* reason = OptionalField(*result, "cancel_reason"); reason != nullptr) {
    if (!reason->is_string()) return Malformed("cancel_reason is not a string");
    message->cancel_reason = reason->get<std::string>();
  }
  const json* events = nullptr;
  status = ReadArrayField(*result, "events", &events);
  if (!status.ok()) return status;
  message->events.resize(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    status = DecodeWatchEvent((*events)[i], &message->events[i]);
    if (!status.ok()) return status;
  }
  return Status::OK();
}

}  // namespace kafscale::etcd

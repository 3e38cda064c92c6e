// Status: the outcome of an operation that can fail, in the style of LevelDB.
// A Status is cheap to copy when OK (no allocation) and carries a code plus a
// human-readable message otherwise. Functions that produce a value on success
// return Result<T>.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kafscale {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the key/object/topic does not exist
    kAlreadyExists,    // create of something that exists
    kCorruption,       // stored bytes fail a checksum or format check
    kInvalidArgument,  // the caller passed something malformed
    kIOError,          // local disk or network I/O failed
    kUnavailable,      // a remote service is unreachable or unhealthy; retriable
    kTimeout,          // the operation did not finish in time; retriable
    kConflict,         // a compare-and-swap or fencing check failed
    kPermissionDenied, // authentication or authorisation failed
    kAborted,          // shut down or cancelled before completion
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Unavailable(std::string_view msg) { return Status(Code::kUnavailable, msg); }
  static Status Timeout(std::string_view msg) { return Status(Code::kTimeout, msg); }
  static Status Conflict(std::string_view msg) { return Status(Code::kConflict, msg); }
  static Status PermissionDenied(std::string_view msg) { return Status(Code::kPermissionDenied, msg); }
  static Status Aborted(std::string_view msg) { return Status(Code::kAborted, msg); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  // Retriable means a later attempt of the same call may succeed.
  bool IsRetriable() const {
    return code_ == Code::kUnavailable || code_ == Code::kTimeout || code_ == Code::kIOError;
  }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace kafscale

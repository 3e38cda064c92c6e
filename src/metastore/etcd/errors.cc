#include "metastore/etcd/errors.h"

#include <string_view>

namespace kafscale::etcd {

namespace {

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

EtcdError ErrorFromGrpc(const grpc::Status& status) {
  return EtcdError{static_cast<int>(status.error_code()), status.error_message()};
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

}  // namespace kafscale::etcd

// What etcd's error answers (gRPC statuses) mean to the MetadataStore.
// Pure functions; safe to call from any thread.
#pragma once

#include <string>

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace kafscale::etcd {

// What an error answer from etcd says.
struct EtcdError {
  int grpc_code = 0;
  std::string message;
};

EtcdError ErrorFromGrpc(const grpc::Status& status);

// gRPC status codes used in decisions.
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcDeadlineExceeded = 4;
inline constexpr int kGrpcNotFound = 5;
inline constexpr int kGrpcOutOfRange = 11;
inline constexpr int kGrpcUnavailable = 14;
inline constexpr int kGrpcUnauthenticated = 16;

// True for an invalid or expired token: re-authenticating may help.
bool IsInvalidToken(const EtcdError& error);
// Maps an etcd error to the MetadataStore error contract: auth failures to
// PermissionDenied, NotFound (lease) to NotFound, compaction to NotFound
// with "compacted" in the message, Unavailable/ResourceExhausted to
// Unavailable, DeadlineExceeded to Timeout, other caller mistakes to
// InvalidArgument, the rest to IOError.
Status StatusFromError(const EtcdError& error);

}  // namespace kafscale::etcd

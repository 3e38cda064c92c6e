// Process-wide settings of the gRPC library the etcd client runs on.
#pragma once

namespace kafscale::etcd {

// Idempotent and thread-safe; the etcd client calls it before opening a
// channel. From then on:
// - every line gRPC decides to log (at or above GRPC_VERBOSITY, ERROR by
//   default), which it would write to stderr in its own format, goes to our
//   structured log at the matching level (debug, info, error) with fields
//   component=grpc and source=file:line, at most a few lines per source per
//   ten seconds;
// - abseil's mutexes (gRPC's) stop recording lock order to detect deadlock
//   cycles, a debugging aid Debian's abseil leaves on that costs a graph
//   update on every lock.
void PrepareGrpcRuntime();

}  // namespace kafscale::etcd

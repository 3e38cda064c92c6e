// Process-wide settings of the gRPC library the etcd client runs on.
#pragma once

namespace kafscale::etcd {

// Idempotent and thread-safe; the etcd client calls it before opening a
// channel. From then on:
// - every line gRPC decides to log (at or above GRPC_VERBOSITY, ERROR by
//   default), which it would write to stderr in its own format, goes to our
//   structured log at the matching level (debug, info, error; our level
//   threshold applies too) with fields component=grpc and source=file:line;
//   errors at most 5 per source per ten seconds. (abseil's own raw stderr
//   messages are not gRPC's log and still go to stderr.)
// - abseil's mutexes (gRPC's) stop recording lock order to detect deadlock
//   cycles, a debugging aid Debian's abseil leaves on that costs a graph
//   update on every lock; a lock-order cycle in gRPC then no longer aborts.
void PrepareGrpcRuntime();

}  // namespace kafscale::etcd

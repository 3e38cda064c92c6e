// gRPC writes its own log lines (connection failures, protocol errors) to
// stderr in its own format, through gpr_log. These route them into the
// broker's structured log instead, so that one parser reads every line.
#pragma once

namespace kafscale::etcd {

// From the first call on, every line gRPC decides to log (at or above
// GRPC_VERBOSITY, ERROR by default) goes to our log at the matching level
// (debug, info, error) with fields component=grpc and source=file:line,
// at most a few lines per source per ten seconds. Idempotent; thread-safe.
void SendGrpcLogsToOurLog();

}  // namespace kafscale::etcd

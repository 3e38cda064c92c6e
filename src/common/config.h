// Broker configuration from command-line flags and environment variables.
//
// Every setting has an environment variable (names follow the original
// KafScale) and, except the AWS credentials, a flag derived from it:
// KAFSCALE_FLUSH_INTERVAL_MS <-> --flush-interval-ms. A flag wins over the
// environment, which wins over the default. BrokerConfigHelp() lists them all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "common/status.h"

namespace kafscale {

// A network address as written in the *_ADDR settings.
struct HostPort {
  std::string host;  // DNS name, IPv4 or IPv6 (without brackets)
  uint16_t port = 0;

  // "host:port", with brackets around an IPv6 host.
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

// Parses "host:port", "[ipv6]:port" or ":port" (all interfaces, returned as
// host 0.0.0.0). The host must be a DNS name, a dotted IPv4 address or a
// bracketed IPv6 address; the port 0..65535. Returns nullopt otherwise.
std::optional<HostPort> ParseHostPort(std::string_view text);

struct BrokerConfig {
  int32_t broker_id = 0;
  HostPort listen_addr{"0.0.0.0", 9092};
  // Address that clients are told to connect to. When not configured: the
  // listen host, or this machine's hostname ("localhost" if it does not
  // resolve) when listening on all interfaces; the listen port. If the
  // listen port is 0 (pick a free port) the broker must substitute the
  // bound port.
  std::string advertised_host;
  uint16_t advertised_port = 0;
  HostPort metrics_addr{"0.0.0.0", 9093};
  // Root of the embedded object store and metadata store.
  std::string data_dir = "./data";

  // Empty bucket: segments go to the local directory store under data_dir.
  std::string s3_bucket;
  std::string s3_region = "us-east-1";
  std::string s3_endpoint;  // empty: AWS S3
  // Path-style URLs (endpoint/bucket/key). When not configured: true iff an
  // endpoint is set, since S3-compatible servers (radosgw, MinIO) rarely
  // have per-bucket DNS names, while AWS prefers virtual-hosted style.
  bool s3_path_style = false;
  bool s3_create_bucket = false;
  bool s3_sign_payload = true;
  std::string s3_namespace = "default";
  // Optional read replica, tried first by reads. Region and endpoint default
  // to the primary's.
  std::string s3_read_bucket;
  std::string s3_read_region;
  std::string s3_read_endpoint;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;

  // Normalised to scheme://host:port. Empty: embedded metadata store.
  // S3 health (produce is refused unless healthy; /readyz fails when
  // unavailable): thresholds over a sliding window.
  int32_t s3_health_window_seconds = 60;
  int32_t s3_degraded_latency_ms = 500;
  int32_t s3_degraded_error_percent = 20;
  int32_t s3_unavailable_latency_ms = 3000;
  int32_t s3_unavailable_error_percent = 60;
  std::vector<std::string> etcd_endpoints;
  std::string etcd_username;
  std::string etcd_password;

  int64_t segment_bytes = 4 << 20;
  int64_t compacted_segment_bytes = 4 << 20;
  int32_t flush_interval_ms = 100;
  int32_t compaction_interval_ms = 30000;
  int64_t cache_bytes = 256 << 20;
  int64_t max_buffer_bytes = 256 << 20;
  int32_t readahead_segments = 2;
  bool auto_create_topics = true;
  int32_t auto_create_partitions = 1;
  int64_t max_request_bytes = 100 << 20;
  int32_t lease_ttl_seconds = 10;
  int32_t group_initial_rebalance_delay_ms = 3000;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;

  // --help or -h was given: print BrokerConfigHelp() and exit; the other
  // fields are then defaults and must not be used.
  bool help_requested = false;
};

// Reads flags from argv[1..argc) and variables through getenv_fn (which
// returns nullptr for an unset variable; an empty value counts as unset).
// Accepts --flag=value and --flag value; a boolean flag without a value
// means true. A flag given twice takes its last value.
// Errors (InvalidArgument): a value that does not parse or is out of range,
// an unknown flag, a flag without its value, a stray argument. The message
// names the variable, the flag, the bad value and what is accepted, e.g.
//   KAFSCALE_FLUSH_INTERVAL_MS (--flush-interval-ms) = "abc": expected an integer from 1 to 60000
// Thread-safe if getenv_fn is.
Result<BrokerConfig> ParseBrokerConfig(int argc, char** argv,
                                       const std::function<const char*(const char*)>& getenv_fn);

// Usage text: one row per setting with its flag, variable, default, accepted
// values and meaning. Thread-safe.
std::string BrokerConfigHelp();

// One line of setting=value pairs (logfmt) for the start-up log, with
// credentials and passwords shown as *** when set. Thread-safe.
std::string DescribeConfig(const BrokerConfig& config);

}  // namespace kafscale

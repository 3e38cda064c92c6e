#!/bin/bash
# Compares broker binaries on the embedded store, interleaved (this machine's
# speed drifts within minutes, so A and B alternate): per round and binary, a
# fresh broker and data directory, a WARMUP_S (5) s warm-up, then
# DURATION_S (15) s of `kafscale-bench --partitions PARTITIONS` (8) at RATE
# records/s (0: the maximum; 1 KiB records, acks=all, linger 5 ms) to a new
# topic, the broker run with KAFSCALE_FLUSH_INTERVAL_MS=FLUSH_INTERVAL_MS
# (100, the broker's default; it replaces any such variable exported). Prints
# records/s, the broker's CPU seconds (utime + stime from /proc) per GB of
# record values produced, and its minor page faults.
# Usage: bench/ab_embedded.sh BENCH_BINARY ROUNDS BROKER_BINARY...
# Other settings: DATA_DIR (/tmp/ab-embedded-data; deleted after each run),
# PORT (47425), METRICS_PORT (44669), DURATION_S (15), PARTITIONS (8), RATE (0),
# FLUSH_INTERVAL_MS (100),
# WARMUP_S (5; 40 puts a garbage collection of write-ahead objects, every
# 30 s, into the measured part).
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
bench=$1
rounds=$2
shift 2
data_dir=${DATA_DIR:-/tmp/ab-embedded-data}
port=${PORT:-47425}
metrics_port=${METRICS_PORT:-44669}
duration=${DURATION_S:-15}
broker_pid=
# shellcheck source=bench/ab_lib.sh
. "$(dirname "$0")/ab_lib.sh"

stop_broker() {
  kill_broker
  rm -rf "$data_dir"
}
trap stop_broker EXIT

echo "| round | broker | records/s | broker CPU-s per GB | minor page faults |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    stop_broker
    KAFSCALE_FLUSH_INTERVAL_MS=${FLUSH_INTERVAL_MS:-100} KAFSCALE_DATA_DIR=$data_dir KAFSCALE_BROKER_ADDR=127.0.0.1:$port KAFSCALE_METRICS_ADDR=127.0.0.1:$metrics_port \
      KAFSCALE_LOG_LEVEL=warn "$binary" >/dev/null 2>&1 &
    broker_pid=$!
    measure_broker "${WARMUP_S:-5}" "warmup-$round" "ab-$round"
    echo "| $round | $binary | $rate | $(cpu_s_per_gb) | $minor_faults |"
  done
done

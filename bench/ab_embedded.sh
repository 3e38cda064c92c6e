#!/bin/bash
# Compares broker binaries on the embedded store, interleaved (this machine's
# speed drifts within minutes, so A and B alternate): per round and binary, a
# fresh broker and data directory, a 5 s warm-up, then DURATION_S (15) s of
# `kafscale-bench --partitions 8` at the maximum rate (1 KiB records, acks=all,
# linger 5 ms) to a new topic. Prints records/s, the broker's CPU seconds
# (utime + stime from /proc) per GB of record values produced, and its minor
# page faults.
# Usage: bench/ab_embedded.sh BENCH_BINARY ROUNDS BROKER_BINARY...
# Other settings: DATA_DIR (/tmp/ab-embedded-data; deleted after each run),
# PORT (47425), METRICS_PORT (44669), DURATION_S (15).
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
bench=$1
rounds=$2
shift 2
data_dir=${DATA_DIR:-/tmp/ab-embedded-data}
port=${PORT:-47425}
metrics_port=${METRICS_PORT:-44669}
duration=${DURATION_S:-15}
ticks=$(getconf CLK_TCK)
broker_pid=

stop_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=
  fi
  rm -rf "$data_dir"
}
trap stop_broker EXIT

# Prints "cpu_ticks minor_faults" of the broker.
broker_counters() { awk '{print $14 + $15, $10}' "/proc/$broker_pid/stat"; }

# Produces for $1 seconds to topic $2; prints records and records/s.
produce() {
  "$bench" --bootstrap "127.0.0.1:$port" --topic "$2" --partitions 8 --duration-s "$1" --json |
    python3 -c 'import json, sys; p = json.load(sys.stdin)["runs"][0]["produce"]; print(p["records"], round(p["records_per_s"]))'
}

echo "| round | broker | records/s | broker CPU-s per GB | minor page faults |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for binary in "$@"; do
    stop_broker
    KAFSCALE_DATA_DIR=$data_dir KAFSCALE_BROKER_ADDR=127.0.0.1:$port KAFSCALE_METRICS_ADDR=127.0.0.1:$metrics_port \
      KAFSCALE_LOG_LEVEL=warn "$binary" >/dev/null 2>&1 &
    broker_pid=$!
    for _ in $(seq 1 50); do
      curl -sf "http://127.0.0.1:$metrics_port/readyz" >/dev/null && break
      sleep 0.2
    done
    produce 5 "warmup-$round" >/dev/null
    read -r cpu_before faults_before < <(broker_counters)
    read -r records rate < <(produce "$duration" "ab-$round")
    read -r cpu_after faults_after < <(broker_counters)
    awk -v round="$round" -v binary="$binary" -v rate="$rate" -v records="$records" -v ticks="$ticks" \
      -v cpu="$((cpu_after - cpu_before))" -v faults="$((faults_after - faults_before))" \
      'BEGIN { printf "| %d | %s | %d | %.2f | %d |\n", round, binary, rate, cpu / ticks / (records * 1024 / 1e9), faults }'
  done
done

#!/bin/bash
# Compares broker settings on radosgw + etcd, interleaved (this machine's
# speed drifts within minutes): per round a fresh radosgw (scripts/rgw.sh,
# memstore raised to OSD_BYTES) and a throwaway broker run that warms the new
# bucket, then per variant a fresh etcd and broker, an 8 s warm-up and
# DURATION_S (10) s of `kafscale-bench --partitions PARTITIONS` (8) at RATE
# records/s (0, the default: the maximum; 1 KiB records, acks=all, linger 5 ms). A variant is a space-separated list
# of VAR=value settings for the broker ("" for none); the order of the
# variants alternates between rounds. Prints records/s and the broker's CPU
# seconds (utime + stime from /proc) per GB of record values produced.
# Usage: bench/ab_s3.sh BENCH_BINARY ROUNDS BROKER_BINARY VARIANT...
# e.g.   bench/ab_s3.sh build/bin/kafscale-bench 3 build/bin/kafscale-broker \
#          KAFSCALE_S3_SIGN_PAYLOAD=true KAFSCALE_S3_SIGN_PAYLOAD=false
# Other settings: WORK_DIR (/tmp/ab-s3; deleted at the end), PORT (47435),
# METRICS_PORT (44679), DURATION_S (10), OSD_BYTES (10 GiB), PARTITIONS (8).
set -euo pipefail

if [ $# -lt 4 ]; then
  sed -n '2,15p' "$0" >&2
  exit 2
fi
bench=$1
rounds=$2
broker=$3
shift 3
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK_DIR:-/tmp/ab-s3}
port=${PORT:-47435}
metrics_port=${METRICS_PORT:-44679}
duration=${DURATION_S:-10}
osd_bytes=${OSD_BYTES:-10737418240}
broker_pid=
# shellcheck source=bench/ab_lib.sh
. "$(dirname "$0")/ab_lib.sh"

stop_broker() {
  kill_broker
  "$repo/scripts/etcd.sh" stop "$work/etcd" >/dev/null 2>&1 || true
  rm -rf "$work/etcd" "$work/broker-data"
}
cleanup() {
  stop_broker
  "$repo/scripts/rgw.sh" stop "$work/rgw" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Runs the broker with variant $1 on a fresh etcd; prints a row for round $2
# (none when empty).
measure() {
  stop_broker
  "$repo/scripts/etcd.sh" start "$work/etcd" >/dev/null
  local namespace=ab$RANDOM$RANDOM
  (
    set -a
    . "$work/rgw/env"
    . "$work/etcd/env"
    set +a
    # shellcheck disable=SC2086  # a variant is a list of assignments
    exec env KAFSCALE_S3_BUCKET=ab-s3 KAFSCALE_S3_CREATE_BUCKET=true KAFSCALE_S3_ENDPOINT="$KAFSCALE_TEST_S3_ENDPOINT" \
      AWS_ACCESS_KEY_ID="$KAFSCALE_TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$KAFSCALE_TEST_S3_SECRET_KEY" \
      KAFSCALE_S3_NAMESPACE="$namespace" KAFSCALE_ETCD_ENDPOINTS="$KAFSCALE_TEST_ETCD_ENDPOINTS" \
      KAFSCALE_DATA_DIR="$work/broker-data" KAFSCALE_BROKER_ADDR=127.0.0.1:$port \
      KAFSCALE_METRICS_ADDR=127.0.0.1:$metrics_port KAFSCALE_LOG_LEVEL=warn $1 "$broker" >"$work/broker.log" 2>&1
  ) &
  broker_pid=$!
  measure_broker 8 "$namespace" "$namespace"
  if [ -n "$2" ]; then echo "| $2 | ${1:-(defaults)} | $rate | $(cpu_s_per_gb) |"; fi
}

mkdir -p "$work"
echo "| round | variant | records/s | broker CPU-s per GB |"
echo "|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  "$repo/scripts/rgw.sh" stop "$work/rgw" >/dev/null 2>&1 || true
  "$repo/scripts/rgw.sh" start "$work/rgw" >/dev/null
  ceph -c "$work/rgw/ceph.conf" tell 'osd.*' config set memstore_device_bytes "$osd_bytes" >/dev/null 2>&1
  measure "" ""  # a new bucket takes its first writes slowly
  variants=("$@")
  if [ $((round % 2)) -eq 0 ]; then
    reversed=()
    for ((i = ${#variants[@]} - 1; i >= 0; i--)); do reversed+=("${variants[i]}"); done
    variants=("${reversed[@]}")
  fi
  for variant in "${variants[@]}"; do
    measure "$variant" "$round"
  done
done

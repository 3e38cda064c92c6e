#!/usr/bin/env bash
# A local KafScale cluster for people: radosgw (S3), etcd and N brokers.
#
#   scripts/cluster.sh start DIR [N]   start radosgw and etcd on free ports and N
#                                      brokers (default 3) on 9092, 9192, 9292, ...
#                                      (metrics 9093, 9193, 9293, ...); everything
#                                      lives under DIR (wiped first), settings in DIR/env
#   scripts/cluster.sh stop DIR        stop the brokers, etcd and radosgw
#   scripts/cluster.sh bucket NAME     create bucket NAME on the radosgw named by
#                                      KAFSCALE_TEST_S3_* (the e2e tests use this)
#
# The broker binary is $KAFSCALE_BROKER_BIN, default build/bin/kafscale-broker.
# radosgw keeps objects in memory, so a restarted cluster starts empty.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

BUCKET=kafscale
FIRST_PORT=9092
PORT_STEP=100
READY_TIMEOUT_S=60
STOP_TIMEOUT_S=30
# SHA-256 of the empty body: radosgw wants it in x-amz-content-sha256, and
# curl's SigV4 signer does not add it by itself.
EMPTY_BODY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

usage() { echo "usage: $0 start DIR [N] | stop DIR | bucket NAME" >&2; exit 2; }

# Creates the bucket (creating one that this user already owns succeeds too).
create_bucket() {  # name; needs KAFSCALE_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _REGION
  : "${KAFSCALE_TEST_S3_ENDPOINT:?is not set (scripts/rgw.sh start DIR writes it to DIR/env)}"
  curl -sS --fail-with-body --max-time 30 -X PUT \
    --aws-sigv4 "aws:amz:$KAFSCALE_TEST_S3_REGION:s3" \
    --user "$KAFSCALE_TEST_S3_ACCESS_KEY:$KAFSCALE_TEST_S3_SECRET_KEY" \
    -H "x-amz-content-sha256: $EMPTY_BODY_SHA256" \
    "$KAFSCALE_TEST_S3_ENDPOINT/$1" >&2
}

broker_pids() {  # DIR: the live brokers listed in DIR/broker-*.pid
  local pid_file pid
  for pid_file in "$1"/broker-*.pid; do
    [[ -f "$pid_file" ]] || continue
    pid=$(<"$pid_file")
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
  done
}

stop_brokers() {  # DIR
  local pids waited=0
  pids=$(broker_pids "$1")
  if [[ -n "$pids" ]]; then
    # A paused broker (SIGSTOP) would never see the SIGTERM.
    kill -CONT $pids 2>/dev/null || true
    kill -TERM $pids 2>/dev/null || true
    while [[ -n "$(broker_pids "$1")" ]]; do
      if ((waited == STOP_TIMEOUT_S * 10)); then
        echo "brokers ignored SIGTERM for ${STOP_TIMEOUT_S}s; killing them" >&2
        kill -KILL $(broker_pids "$1") 2>/dev/null || true
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  rm -f "$1"/broker-*.pid
}

stop_cluster() {  # DIR
  local dir=$1
  [[ -d "$dir" ]] || { echo "no cluster in $dir"; return 0; }
  stop_brokers "$dir"
  "$repo/scripts/etcd.sh" stop "$dir/etcd" >/dev/null
  "$repo/scripts/rgw.sh" stop "$dir/rgw"
  echo "cluster in $dir stopped"
}

fail_start() {  # DIR, message, log to show
  echo "cluster.sh: $2" >&2
  if [[ -f "$3" ]]; then
    echo "--- last lines of $3" >&2
    tail -n 30 "$3" >&2
  fi
  stop_cluster "$1" >&2
  exit 1
}

# Polls /readyz until it answers 200; fails if the broker exits first.
wait_ready() {  # DIR, broker index, pid, metrics port
  local log="$1/broker-$2.log" deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$4/readyz" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || fail_start "$1" "broker $2 exited during start-up" "$log"
    ((SECONDS < deadline)) || fail_start "$1" "broker $2 not ready within ${READY_TIMEOUT_S}s" "$log"
    sleep 0.2
  done
}

start_cluster() {  # DIR, broker count
  local dir=$1 count=$2
  local bin=${KAFSCALE_BROKER_BIN:-$repo/build/bin/kafscale-broker}
  [[ -x "$bin" ]] || { echo "cluster.sh: no broker binary at $bin (run make build)" >&2; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -n "$(broker_pids "$dir")" ]]; then
    echo "cluster.sh: a cluster is already running in $dir; stop it first: $0 stop $dir" >&2
    exit 1
  fi
  rm -rf "$dir"/broker-* "$dir/env" "$dir/etcd"

  "$repo/scripts/rgw.sh" start "$dir/rgw" || fail_start "$dir" "radosgw did not start" ""
  "$repo/scripts/etcd.sh" start "$dir/etcd" || fail_start "$dir" "etcd did not start" "$dir/etcd/etcd.log"
  set -a
  . "$dir/rgw/env"
  . "$dir/etcd/env"
  set +a
  create_bucket "$BUCKET" || fail_start "$dir" "could not create bucket $BUCKET" ""

  local i port metrics_port bootstrap="" pids=()
  for ((i = 0; i < count; i++)); do
    port=$((FIRST_PORT + i * PORT_STEP))
    metrics_port=$((port + 1))
    mkdir -p "$dir/broker-$i"
    KAFSCALE_BROKER_ID=$i \
      KAFSCALE_BROKER_ADDR=127.0.0.1:$port \
      KAFSCALE_METRICS_ADDR=127.0.0.1:$metrics_port \
      KAFSCALE_DATA_DIR=$dir/broker-$i \
      KAFSCALE_S3_BUCKET=$BUCKET \
      KAFSCALE_S3_ENDPOINT=$KAFSCALE_TEST_S3_ENDPOINT \
      KAFSCALE_S3_REGION=$KAFSCALE_TEST_S3_REGION \
      KAFSCALE_S3_PATH_STYLE=true \
      AWS_ACCESS_KEY_ID=$KAFSCALE_TEST_S3_ACCESS_KEY \
      AWS_SECRET_ACCESS_KEY=$KAFSCALE_TEST_S3_SECRET_KEY \
      KAFSCALE_ETCD_ENDPOINTS=$KAFSCALE_TEST_ETCD_ENDPOINTS \
      "$bin" >>"$dir/broker-$i.log" 2>&1 </dev/null &
    pids+=($!)
    echo "$!" >"$dir/broker-$i.pid"
    bootstrap+="${bootstrap:+,}127.0.0.1:$port"
  done
  for ((i = 0; i < count; i++)); do
    wait_ready "$dir" "$i" "${pids[i]}" $((FIRST_PORT + i * PORT_STEP + 1))
  done

  cat >"$dir/env" <<ENV
KAFSCALE_BOOTSTRAP=$bootstrap
KAFSCALE_S3_BUCKET=$BUCKET
KAFSCALE_S3_ENDPOINT=$KAFSCALE_TEST_S3_ENDPOINT
KAFSCALE_S3_REGION=$KAFSCALE_TEST_S3_REGION
KAFSCALE_S3_PATH_STYLE=true
AWS_ACCESS_KEY_ID=$KAFSCALE_TEST_S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$KAFSCALE_TEST_S3_SECRET_KEY
KAFSCALE_ETCD_ENDPOINTS=$KAFSCALE_TEST_ETCD_ENDPOINTS
ENV
  echo
  echo "KafScale cluster of $count brokers is up."
  echo "  bootstrap:  $bootstrap"
  echo "  metrics:    http://127.0.0.1:$((FIRST_PORT + 1))/metrics (broker i: port $((FIRST_PORT + 1)) + $PORT_STEP*i)"
  echo "  settings:   $dir/env    logs: $dir/broker-*.log"
  echo "  stop with:  $0 stop $dir"
}

case "${1:-}" in
  start)
    [[ $# -eq 2 || $# -eq 3 ]] || usage
    count=${3:-3}
    [[ "$count" =~ ^[1-9][0-9]?$ ]] || { echo "cluster.sh: N must be 1-99" >&2; exit 2; }
    start_cluster "$2" "$count"
    ;;
  stop)
    [[ $# -eq 2 ]] || usage
    stop_cluster "$2"
    ;;
  bucket)
    [[ $# -eq 2 ]] || usage
    create_bucket "$2"
    ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# A throwaway single-node Ceph cluster (monitor, memstore OSD, RADOS Gateway)
# on 127.0.0.1 for S3 integration tests.
#
#   scripts/rgw.sh start DIR   start it under DIR (wiped first) on free ports and
#                              write DIR/env with the KAFSCALE_TEST_S3_* variables
#   scripts/rgw.sh stop DIR    stop the daemons listed in DIR/run/*.pid
#   scripts/rgw.sh stop-gateway DIR
#                              stop only radosgw (an S3 outage for tests); the
#                              monitor and the OSD keep running, and so do
#                              the objects in the OSD's memory
#   scripts/rgw.sh start-gateway DIR
#                              start radosgw again on the same config and port
#
# Needs the Debian packages radosgw, ceph-mon and ceph-osd. Several clusters
# may run at once in different directories. Inside the cluster there is no
# authentication; the gateway still checks S3 SigV4 signatures.
set -euo pipefail

ACCESS_KEY=KAFSCALETESTKEY
SECRET_KEY=kafscale-test-secret-key
START_TIMEOUT_S=60

usage() {
  echo "usage: $0 start|stop|stop-gateway|start-gateway DIR" >&2
  exit 2
}

# Prints N distinct free TCP ports on 127.0.0.1 (the kernel's choice; a race
# with another process taking one first is possible but unlikely).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}

# PIDs of live daemons whose pid files match DIR/run/PATTERN.pid.
running_pids() {  # DIR, PATTERN
  local pid_file pid
  for pid_file in "$1"/run/$2.pid; do
    [[ -f "$pid_file" ]] || continue
    pid=$(<"$pid_file")
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
  done
}

# SIGTERM, then SIGKILL after 10 s; returns when all have exited.
stop_pids() {  # PID...
  (($#)) || return 0
  kill "$@" 2>/dev/null || true
  local pid waited=0
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if ((waited == 100)); then kill -9 "$@" 2>/dev/null || true; fi
      sleep 0.1
      waited=$((waited + 1))
    done
  done
}

stop_cluster() {  # DIR
  # Clients before the OSD before the monitor: each stalls on exit while the
  # next one down is already gone.
  stop_pids $(running_pids "$1" 'client.*')
  stop_pids $(running_pids "$1" 'osd.*')
  stop_pids $(running_pids "$1" '*')
}

report_failure() {  # DIR, message
  echo "rgw.sh: $2" >&2
  local log
  for log in "$1"/log/*.log; do
    [[ -f "$log" ]] || continue
    echo "--- last lines of $log" >&2
    tail -n 15 "$log" >&2
  done
}

fail_start() {  # DIR, message
  report_failure "$1" "$2"
  stop_cluster "$1"
  exit 1
}

# The radosgw endpoint of the cluster in DIR, from the port in its config.
gateway_endpoint() {  # DIR
  local port
  port=$(sed -n 's/^rgw_frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1/ceph.conf")
  [[ -n "$port" ]] || { echo "rgw.sh: no radosgw port in $1/ceph.conf" >&2; exit 1; }
  echo "http://127.0.0.1:$port"
}

# Starts radosgw and waits until it answers HTTP; on failure calls the
# function named by on_failure with DIR and a message.
launch_gateway() {  # DIR, deadline (in SECONDS), on_failure
  local dir=$1 deadline=$2 on_failure=$3 endpoint
  endpoint=$(gateway_endpoint "$dir")
  radosgw -c "$dir/ceph.conf" -n client.rgw.a >>"$dir/log/setup.log" 2>&1 || "$on_failure" "$dir" "radosgw did not start"
  until curl -s -o /dev/null "$endpoint/"; do
    ((SECONDS < deadline)) || "$on_failure" "$dir" "radosgw did not answer on $endpoint within ${START_TIMEOUT_S}s"
    sleep 0.2
  done
}

fail_gateway_start() {  # DIR, message: leaves the monitor and the OSD running
  report_failure "$1" "$2"
  stop_pids $(running_pids "$1" 'client.rgw.*')
  exit 1
}

stop_gateway() {  # DIR
  local dir=$1 endpoint curl_status deadline=$((SECONDS + START_TIMEOUT_S))
  endpoint=$(gateway_endpoint "$dir")
  stop_pids $(running_pids "$dir" 'client.rgw.*')
  while true; do
    curl -s -o /dev/null --max-time 1 "$endpoint/" && curl_status=0 || curl_status=$?
    ((curl_status != 7)) || break  # 7: connection refused, the port is closed
    ((SECONDS < deadline)) || { echo "rgw.sh: $endpoint still open after radosgw stopped" >&2; exit 1; }
    sleep 0.2
  done
  echo "radosgw at $endpoint stopped"
}

start_gateway() {  # DIR
  local dir
  dir=$(cd "$1" && pwd)
  [[ -f "$dir/ceph.conf" ]] || { echo "rgw.sh: no cluster in $dir (run start first)" >&2; exit 1; }
  if [[ -n "$(running_pids "$dir" 'client.rgw.*')" ]]; then
    echo "rgw.sh: radosgw is already running in $dir" >&2
    exit 1
  fi
  launch_gateway "$dir" $((SECONDS + START_TIMEOUT_S)) fail_gateway_start
  echo "radosgw ready at $(gateway_endpoint "$dir")"
}

write_config() {  # DIR, fsid, mon port, rgw port
  local dir=$1
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $2
mon_host = v2:127.0.0.1:$3
# No cephx inside the throwaway cluster. Without the two crc modes the
# clients still try secure mode and radosgw hangs, then fails with -13.
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_bind_msgr1 = false
ms_bind_ipv6 = false
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
run_dir = $dir/run
log_file = $dir/log/\$name.log
pid_file = $dir/run/\$name.pid
admin_socket = $dir/run/\$name.asok
keyring = $dir/keyring
[mon.a]
mon_data = $dir/mon.a
[osd]
osd_data = $dir/osd.\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client.rgw.a]
client_mount_timeout = 30
rgw_frontends = beast endpoint=127.0.0.1:$4
rgw_data = $dir/rgw.a
CONF
}

start_cluster() {  # DIR
  local dir=$1
  if [[ -n "$(running_pids "$dir" '*')" ]]; then
    echo "rgw.sh: a cluster is already running in $dir; stop it first" >&2
    exit 1
  fi
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl python3; do
    command -v "$tool" >/dev/null || { echo "rgw.sh: $tool not found (install radosgw ceph-mon ceph-osd)" >&2; exit 1; }
  done
  rm -rf "$dir/run" "$dir/log" "$dir/mon.a" "$dir/osd.0" "$dir/rgw.a" "$dir/env" "$dir/ceph.conf" "$dir/keyring" \
    "$dir/monmap"
  mkdir -p "$dir"/{run,log,mon.a,osd.0,rgw.a}
  dir=$(cd "$dir" && pwd)
  local conf=$dir/ceph.conf mon_port rgw_port fsid osd_uuid osd_id endpoint
  read -r mon_port rgw_port <<<"$(free_ports 2)"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_config "$dir" "$fsid" "$mon_port" "$rgw_port"
  touch "$dir/keyring"
  local deadline=$((SECONDS + START_TIMEOUT_S))

  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >>"$dir/log/setup.log" 2>&1 ||
    fail_start "$dir" "ceph-mon --mkfs failed"
  ceph-mon -c "$conf" -i a >>"$dir/log/setup.log" 2>&1 || fail_start "$dir" "ceph-mon did not start"

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(timeout 30 ceph -c "$conf" osd new "$osd_uuid" 2>>"$dir/log/setup.log") ||
    fail_start "$dir" "the monitor did not answer 'osd new'"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/setup.log" 2>&1 ||
    fail_start "$dir" "ceph-osd --mkfs failed"
  ceph-osd -c "$conf" -i "$osd_id" >>"$dir/log/setup.log" 2>&1 || fail_start "$dir" "ceph-osd did not start"
  launch_gateway "$dir" "$deadline" fail_start
  endpoint=$(gateway_endpoint "$dir")
  timeout $((deadline - SECONDS > 5 ? deadline - SECONDS : 5)) \
    radosgw-admin -c "$conf" -n client.rgw.a --admin-socket= --log-file="$dir/log/radosgw-admin.log" \
    user create --uid=kafscale-test --display-name=kafscale-test \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$dir/log/setup.log" 2>&1 ||
    fail_start "$dir" "radosgw-admin user create failed"

  cat >"$dir/env" <<ENV
KAFSCALE_TEST_S3_ENDPOINT=$endpoint
KAFSCALE_TEST_S3_ACCESS_KEY=$ACCESS_KEY
KAFSCALE_TEST_S3_SECRET_KEY=$SECRET_KEY
KAFSCALE_TEST_S3_REGION=us-east-1
ENV
  echo "radosgw ready at $endpoint (variables in $dir/env)"
}

[[ $# -eq 2 ]] || usage
case "$1" in
  start) start_cluster "$2" ;;
  stop) stop_cluster "$2" ;;
  stop-gateway) stop_gateway "$2" ;;
  start-gateway) start_gateway "$2" ;;
  *) usage ;;
esac

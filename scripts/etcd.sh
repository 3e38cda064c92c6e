#!/usr/bin/env bash
# Starts and stops a single-member etcd on loopback for tests.
#
#   scripts/etcd.sh start DIR [--auth]   data in DIR/data, log in DIR/etcd.log,
#                                        pid in DIR/etcd.pid, settings in DIR/env
#   scripts/etcd.sh stop DIR             stops it and waits until it has exited
#
# DIR/env holds KAFSCALE_TEST_ETCD_ENDPOINTS=http://127.0.0.1:PORT and, with
# --auth, KAFSCALE_TEST_ETCD_USERNAME / _PASSWORD (a user with read-write
# access to every key; auth is enabled with a root user). Starting again on
# the same DIR reuses its data and ports, so a test can restart etcd under a
# connected client; auth, once enabled, stays enabled in the data.
set -euo pipefail

usage() { echo "usage: $0 start DIR [--auth] | stop DIR" >&2; exit 2; }

# Two distinct free loopback TCP ports, "client peer".
free_ports() {
  python3 - <<'PY'
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
for s in sockets:
    s.close()
PY
}

# True while the process exists and is not a zombie (a stopped etcd whose
# parent has not reaped it yet is gone for our purposes).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Waits up to 20 s until etcd answers /health with "true".
wait_healthy() {
  local url=$1 pid=$2
  for _ in $(seq 200); do
    if ! alive "$pid"; then return 1; fi
    if curl -fsS --max-time 1 "$url/health" 2>/dev/null | grep -q '"health":"true"'; then return 0; fi
    sleep 0.1
  done
  return 1
}

enable_auth() {
  local endpoint=$1 password=$2
  local ctl=(etcdctl --endpoints="$endpoint")
  ETCDCTL_API=3 "${ctl[@]}" user add "root:root-$password" >/dev/null
  ETCDCTL_API=3 "${ctl[@]}" user grant-role root root >/dev/null
  ETCDCTL_API=3 "${ctl[@]}" role add kafscale >/dev/null
  # An empty key with --from-key covers the whole key space.
  ETCDCTL_API=3 "${ctl[@]}" role grant-permission kafscale readwrite --from-key '' >/dev/null
  ETCDCTL_API=3 "${ctl[@]}" user add "kafscale:$password" >/dev/null
  ETCDCTL_API=3 "${ctl[@]}" user grant-role kafscale kafscale >/dev/null
  ETCDCTL_API=3 "${ctl[@]}" auth enable >/dev/null
}

start() {
  local dir=$1 auth=$2
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -f "$dir/etcd.pid" ]] && alive "$(cat "$dir/etcd.pid")"; then
    echo "etcd already running in $dir (pid $(cat "$dir/etcd.pid"))" >&2
    exit 1
  fi
  local client_port peer_port
  if [[ -f "$dir/ports" ]]; then
    read -r client_port peer_port <"$dir/ports"
  else
    read -r client_port peer_port < <(free_ports)
    echo "$client_port $peer_port" >"$dir/ports"
  fi
  local client_url="http://127.0.0.1:$client_port" peer_url="http://127.0.0.1:$peer_port"
  etcd --name kafscale-test --data-dir "$dir/data" \
    --listen-client-urls "$client_url" --advertise-client-urls "$client_url" \
    --listen-peer-urls "$peer_url" --initial-advertise-peer-urls "$peer_url" \
    --initial-cluster "kafscale-test=$peer_url" \
    >>"$dir/etcd.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/etcd.pid"
  if ! wait_healthy "$client_url" "$pid"; then
    echo "etcd did not become healthy; last log lines:" >&2
    tail -20 "$dir/etcd.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi

  if [[ "$auth" == yes && ! -f "$dir/password" ]]; then
    python3 -c 'import secrets; print(secrets.token_hex(12))' >"$dir/password"
    enable_auth "$client_url" "$(cat "$dir/password")"
  fi
  {
    echo "KAFSCALE_TEST_ETCD_ENDPOINTS=$client_url"
    if [[ -f "$dir/password" ]]; then
      echo "KAFSCALE_TEST_ETCD_USERNAME=kafscale"
      echo "KAFSCALE_TEST_ETCD_PASSWORD=$(cat "$dir/password")"
    fi
  } >"$dir/env"
  echo "etcd running at $client_url (pid $pid, dir $dir)"
}

stop() {
  local dir=$1
  [[ -f "$dir/etcd.pid" ]] || { echo "etcd is not running in $dir (no etcd.pid)"; return 0; }
  local pid
  pid=$(cat "$dir/etcd.pid")
  # etcd is our child only in the shell that started it, so poll rather than wait.
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do
      alive "$pid" || break
      sleep 0.05
    done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  while alive "$pid"; do sleep 0.05; done
  rm -f "$dir/etcd.pid"
}

[[ $# -ge 2 ]] || usage
case "$1" in
  start)
    auth=no
    if [[ $# -ge 3 ]]; then [[ "$3" == --auth ]] || usage; auth=yes; fi
    start "$2" "$auth"
    ;;
  stop) stop "$2" ;;
  *) usage ;;
esac

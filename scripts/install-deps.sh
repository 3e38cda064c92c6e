#!/usr/bin/env bash
# Installs the Debian packages (and, with --test, the npm clients) KafScale
# needs. Installs only what is missing, so a second run is quick. The test
# servers (radosgw, etcd) are started by scripts/rgw.sh and scripts/etcd.sh
# on free ports, never as system services.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(build-essential cmake ninja-build ccache pkg-config librdkafka-dev
  libboost1.81-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libssl-dev libcurl4-openssl-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc libgtest-dev libgmock-dev libbenchmark-dev)
TEST_PACKAGES=(kcat python3-pytest python3-confluent-kafka python3-kafka
  python3-lz4 python3-snappy python3-zstandard python3-prometheus-client nodejs npm
  curl radosgw ceph-mon ceph-osd etcd-server etcd-client)

packages=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${TEST_PACKAGES[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$p" == nodejs || "$p" == npm ]] && command -v "${p/nodejs/node}" >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # On a systemd host etcd-server starts a system etcd on port 2379; the tests
  # do not use it, so it should not keep running.
  if [[ " ${missing[*]} " == *" etcd-server "* && -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
fi

if [[ "${1:-}" == "--test" && -f tests/e2e/node/package.json ]]; then
  (cd tests/e2e/node && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; })
fi

#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed" summing them:
#  1. GoogleTest unit tests of the Release build (ctest -L unit);
#  2. integration tests of the Release build against a real radosgw and etcd
#     started here on free loopback ports (ctest -L integration);
#  3. the end-to-end suite (real broker, real clients) against the Release broker
#     (pytest), with the radosgw and etcd settings exported as KAFSCALE_TEST_S3_*
#     and KAFSCALE_TEST_ETCD_* for the multi-broker tests (tests/e2e/cluster.py);
#  4. the unit tests again, and the robustness and admin end-to-end tests, on the
#     AddressSanitizer + UndefinedBehaviorSanitizer build (any report fails the run), with
#     the multi-broker tests but the 60-second failover run.
# radosgw and etcd are stopped on exit, also when a stage fails or the run is
# interrupted; their logs stay under the temporary directory printed at the start.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
SANITIZE_DIR=${2:-build-sanitize}
logs=$(mktemp -d)
echo "logs in $logs"
passed=0
failed=0

run_ctest() {  # build dir, name for the log, ctest label
  local log="$logs/ctest-$2.txt"
  ctest --test-dir "$1" -L "$3" -j2 --output-on-failure --timeout 300 2>&1 | tee "$log"
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  total=$(sed -nE 's/.*out of ([0-9]+).*/\1/p' <<<"$line")
  bad=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed.*/\1/p' <<<"$line")
  if [[ -z "$total" ]]; then total=1; bad=1; echo "ctest ($2) did not report a summary"; fi
  passed=$((passed + total - bad)); failed=$((failed + bad))
}

run_pytest() {  # broker binary, label, pytest args...
  local bin=$1 label=$2; shift 2
  KAFSCALE_BROKER_BIN=$bin /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$logs/e2e-$label.xml" "$@" 2>&1 | tee "$logs/pytest-$label.txt"
  local counts
  counts=$(/usr/bin/python3 - "$logs/e2e-$label.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(t, f)
PY
)
  read -r total bad <<<"$counts"
  passed=$((passed + total - bad)); failed=$((failed + bad))
}

# Starts one server with its script (which gives up on its own after a
# timeout) and exports the variables it wrote to DIR/env. A server that does
# not start counts as one failure.
start_server() {  # script, dir, name
  if "$1" start "$2" && [[ -f "$2/env" ]]; then
    set -a
    # shellcheck disable=SC1091
    . "$2/env"
    set +a
    return 0
  fi
  echo "FAILED: $3 did not start (logs under $2); tests that need it will fail"
  failed=$((failed + 1))
  return 1
}

stop_servers() {
  scripts/etcd.sh stop "$logs/etcd" >/dev/null 2>&1
  scripts/rgw.sh stop "$logs/rgw" >/dev/null 2>&1
}
trap stop_servers EXIT
# A signal ends the run through exit, so the EXIT trap stops the servers.
trap 'exit 130' INT
trap 'exit 143' TERM

run_ctest "$BUILD_DIR" release unit
servers_up=true
start_server scripts/rgw.sh "$logs/rgw" radosgw || servers_up=false
start_server scripts/etcd.sh "$logs/etcd" etcd || servers_up=false
if $servers_up; then run_ctest "$BUILD_DIR" integration integration; fi
run_pytest "$PWD/$BUILD_DIR/bin/kafscale-broker" release tests/e2e
if [[ -d "$SANITIZE_DIR" ]]; then
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  run_ctest "$SANITIZE_DIR" sanitize unit
  run_pytest "$PWD/$SANITIZE_DIR/bin/kafscale-broker" sanitize \
    tests/e2e/test_robustness.py tests/e2e/test_admin.py tests/e2e/test_durability.py \
    tests/e2e/test_cluster.py tests/e2e/test_cluster_groups.py tests/e2e/test_wal.py -k "not failover_under_load"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

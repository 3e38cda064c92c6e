#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed" summing them:
#  1. GoogleTest unit tests of the Release build (ctest);
#  2. the end-to-end suite (real broker, real clients) against the Release broker (pytest);
#  3. the unit tests again, and the robustness and admin end-to-end tests, on the
#     AddressSanitizer + UndefinedBehaviorSanitizer build (any report fails the run).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
SANITIZE_DIR=${2:-build-sanitize}
logs=$(mktemp -d)
passed=0
failed=0

run_ctest() {  # build dir, label
  local log="$logs/ctest-$2.txt"
  ctest --test-dir "$1" -L unit -j2 --output-on-failure --timeout 300 2>&1 | tee "$log"
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

run_ctest "$BUILD_DIR" release
run_pytest "$PWD/$BUILD_DIR/bin/kafscale-broker" release tests/e2e
if [[ -d "$SANITIZE_DIR" ]]; then
  export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  run_ctest "$SANITIZE_DIR" sanitize
  run_pytest "$PWD/$SANITIZE_DIR/bin/kafscale-broker" sanitize \
    tests/e2e/test_robustness.py tests/e2e/test_admin.py tests/e2e/test_durability.py
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

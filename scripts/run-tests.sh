#!/usr/bin/env bash
# Runs every test: GoogleTest unit tests through ctest, then the end-to-end
# suite (real brokers, real clients) through pytest. Ends with one line
# "N passed, N failed" summing both.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
export KAFSCALE_BROKER_BIN=${KAFSCALE_BROKER_BIN:-$PWD/$BUILD_DIR/bin/kafscale-broker}
logs=$(mktemp -d)

ctest --test-dir "$BUILD_DIR" -L unit -j2 --output-on-failure --timeout 300 2>&1 | tee "$logs/ctest.txt"
unit_total=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p' "$logs/ctest.txt" | tail -1)
unit_failed=$(sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p' "$logs/ctest.txt" | tail -1)
unit_total=${unit_total:-0}; unit_failed=${unit_failed:-1}

/usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$logs/e2e.xml" tests/e2e 2>&1 | tee "$logs/pytest.txt"
read -r e2e_total e2e_failed < <(/usr/bin/python3 - "$logs/e2e.xml" <<'PY'
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
passed=$(( unit_total - unit_failed + e2e_total - e2e_failed ))
failed=$(( unit_failed + e2e_failed ))
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# Runs the issue-5 benchmark scenarios that apply to one broker on the
# embedded store, 3 times each, and prints the medians as Markdown rows.
# Usage: bench/run_scenarios.sh BENCH_BINARY BOOTSTRAP METRICS_HOST:PORT OUT_DIR
#   (a)  produce 1 KiB records, 8 partitions, acks=all, linger 5 ms, 30 s, against
#        the broker and then librdkafka's mock cluster (--compare-mock)
#   (a') the same at a fixed 20,000 records/s with --consume: end-to-end latency
#        and catch-up from the earliest offset
#   (b)  bench/laptop_scenario.sh (kcat, 256-byte records, 2,000 / 4,000 / 200,000)
# The broker's process_cpu_seconds_total is read before and after each run.
set -euo pipefail
bench=${1:?usage: run_scenarios.sh BENCH_BINARY BOOTSTRAP METRICS_HOST:PORT OUT_DIR}
bootstrap=${2:?}
metrics=${3:?}
out=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

cpu_seconds() { curl -sf "http://$metrics/metrics" | awk '$1 == "process_cpu_seconds_total" { print $2 }'; }

for run in 1 2 3; do
  for scenario in a a_consume; do
    extra=(--duration-s 30 --compare-mock)
    [[ $scenario == a_consume ]] && extra=(--duration-s 30 --rate 20000 --consume --compare-mock)
    before=$(cpu_seconds)
    "$bench" -b "$bootstrap" --topic "bench-$scenario-$run-$(date +%s)" --partitions 8 --record-size 1024 \
      --acks all --linger-ms 5 "${extra[@]}" --json > "$out/$scenario-$run.json"
    after=$(cpu_seconds)
    echo "{\"before\": $before, \"after\": $after}" > "$out/$scenario-$run.cpu.json"
  done
  before=$(cpu_seconds)
  "$here/laptop_scenario.sh" "$bootstrap" > "$out/laptop-$run.txt"
  after=$(cpu_seconds)
  echo "{\"before\": $before, \"after\": $after}" > "$out/laptop-$run.cpu.json"
done

/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
median = statistics.median

def runs(name):
    return [json.loads((out / f"{name}-{i}.json").read_text()) for i in (1, 2, 3)]

def cpu(name, i):
    c = json.loads((out / f"{name}-{i}.cpu.json").read_text())
    return c["after"] - c["before"]

print("| scenario | metric | ours (median of 3) | mock (median of 3) | ours/mock (median) |")
print("|---|---|---|---|---|")
for name, label in (("a", "(a) max rate"), ("a_consume", "(a') 20,000 rec/s + consume")):
    r = runs(name)
    def row(metric, path, fmt, ratio_key=None):
        def get(run, target):
            value = run["runs"][target]
            for key in path:
                value = value[key]
            return value
        ours = median(get(x, 0) for x in r)
        mock = median(get(x, 1) for x in r)
        ratio = median(x["ours_over_mock"][ratio_key] for x in r) if ratio_key else None
        ratio_text = f"{ratio:.2f}" if ratio is not None and all(ratio_key in x["ours_over_mock"] for x in r) else "–"
        print(f"| {label} | {metric} | {fmt.format(ours)} | {fmt.format(mock)} | {ratio_text} |")
    row("records/s", ("produce", "records_per_s"), "{:,.0f}", "produce_records_per_s")
    row("MB/s", ("produce", "mb_per_s"), "{:.1f}", "produce_mb_per_s")
    for p in ("p50", "p99", "p99_9", "max"):
        key = f"produce_{p}" if p in ("p50", "p99") else None
        row(f"produce latency {p.replace('_', '.')} ms", ("produce", "latency", f"{p}_ms"), "{:.1f}", key)
    if name == "a_consume":
        row("end-to-end p50 ms", ("end_to_end", "latency", "p50_ms"), "{:.1f}", "end_to_end_p50")
        row("end-to-end p99 ms", ("end_to_end", "latency", "p99_ms"), "{:.1f}", "end_to_end_p99")
        row("catch-up records/s", ("catch_up", "records_per_s"), "{:,.0f}", "catch_up_records_per_s")
        row("catch-up MB/s", ("catch_up", "mb_per_s"), "{:.1f}")
        row("catch-up records read", ("catch_up", "records"), "{:,.0f}")
    gb = [x["runs"][0]["produce"]["bytes"] / 1e9 for x in r]
    per_gb = median(cpu(name, i) / gb[i - 1] for i in (1, 2, 3))
    what = "produced" if name == "a" else "produced and fetched twice"
    print(f"| {label} | broker CPU-s per GB {what} | {per_gb:.2f} | | |")

print()
print("| backlog | produce records/s ours (median) | theirs | consume records/s ours (median) | theirs |")
print("|---|---|---|---|---|")
published = {2000: (4115, 1117), 4000: (7500, 1629), 200000: (None, None)}
lines = [[l.split() for l in (out / f"laptop-{i}.txt").read_text().splitlines()[1:]] for i in (1, 2, 3)]
for index, count in enumerate((2000, 4000, 200000)):
    produce = median(float(run[index][2]) for run in lines)
    consume = median(float(run[index][4]) for run in lines)
    theirs_p, theirs_c = published[count]
    fmt = lambda v: f"{v:,}" if v else "not published"
    print(f"| {count:,} | {produce:,.0f} | {fmt(theirs_p)} | {consume:,.0f} | {fmt(theirs_c)} |")
PY

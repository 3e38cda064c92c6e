#!/usr/bin/env bash
# Runs the issue-5 benchmark scenarios that apply to one broker on the
# embedded store, 3 times each, and prints the medians as Markdown rows.
# Usage: bench/run_scenarios.sh BENCH_BINARY BOOTSTRAP METRICS_HOST:PORT OUT_DIR
#   (a)  produce 1 KiB records, 8 partitions, acks=all, linger 5 ms, 30 s, against
#        the broker and then librdkafka's mock cluster (--compare-mock)
#   (a') the same at a fixed 20,000 records/s with --consume: end-to-end latency
#        and catch-up from the earliest offset
#   (b)  bench/laptop_scenario.sh (kcat, 256-byte records, 2,000 / 4,000 / 200,000)
#   (c)  fetch from cache: 200,000 x 1 KiB records into a new 8-partition topic
#        (205 MB, within the default 256 MiB cache), then 5 consumers one after
#        another read it from the earliest offset (--catch-up-only)
# The broker's process_cpu_seconds_total is read before and after each run
# (for (c) around the 5 reads only, with its cache misses and compaction).
set -euo pipefail
bench=${1:?usage: run_scenarios.sh BENCH_BINARY BOOTSTRAP METRICS_HOST:PORT OUT_DIR}
bootstrap=${2:?}
metrics=${3:?}
out=${4:?}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

cpu_seconds() { curl -sf "http://$metrics/metrics" | awk '$1 == "process_cpu_seconds_total" { print $2 }'; }
# The broker counters scenario (c) reads, as one JSON object.
broker_counters() {
  curl -sf "http://$metrics/metrics" | awk '
    $1 == "process_cpu_seconds_total" { cpu = $2 }
    $1 == "kafscale_cache_misses_total" { misses = $2 }
    $1 == "kafscale_compacted_bytes_total" { compacted = $2 }
    $1 == "kafscale_fetch_bytes_total" { fetched = $2 }
    END { printf "{\"cpu\": %s, \"cache_misses\": %s, \"compacted_bytes\": %s, \"fetch_bytes\": %s}\n", cpu, misses, compacted, fetched }'
}

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
  topic="bench-c-$run-$(date +%s)"
  "$bench" -b "$bootstrap" --topic "$topic" --partitions 8 --record-size 1024 --records 200000 --json \
    > "$out/c-produce-$run.json"
  broker_counters > "$out/c-$run.before.json"
  for read in 1 2 3 4 5; do
    "$bench" -b "$bootstrap" --topic "$topic" --catch-up-only --json > "$out/c-$run-$read.json"
  done
  broker_counters > "$out/c-$run.after.json"
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

reads = []
for i in (1, 2, 3):
    before = json.loads((out / f"c-{i}.before.json").read_text())
    after = json.loads((out / f"c-{i}.after.json").read_text())
    catch_ups = [json.loads((out / f"c-{i}-{r}.json").read_text())["runs"][0]["catch_up"] for r in range(1, 6)]
    value_gb = sum(c["bytes"] for c in catch_ups) / 1e9
    reads.append({
        "per_gb": (after["cpu"] - before["cpu"]) / value_gb,
        "mb_per_s": median(c["mb_per_s"] for c in catch_ups),
        "misses": after["cache_misses"] - before["cache_misses"],
        "compacted_mb": (after["compacted_bytes"] - before["compacted_bytes"]) / 1e6,
        "wire_gb": (after["fetch_bytes"] - before["fetch_bytes"]) / 1e9,
        "value_gb": value_gb,
    })
print()
print("| (c) fetch from cache | broker CPU-s per GB fetched | catch-up MB/s | GB read (values / on the wire) | cache misses | MB compacted meanwhile |")
print("|---|---|---|---|---|---|")
for i, r in enumerate(reads, 1):
    print(f"| run {i} | {r['per_gb']:.2f} | {r['mb_per_s']:.1f} | {r['value_gb']:.3f} / {r['wire_gb']:.3f} | {r['misses']:.0f} | {r['compacted_mb']:.1f} |")
print(f"| median | **{median(r['per_gb'] for r in reads):.2f}** | {median(r['mb_per_s'] for r in reads):.1f} | | | |")

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

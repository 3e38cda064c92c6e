#!/usr/bin/env bash
# Runs the issue-5 scenarios that need radosgw + etcd, on ONE broker, and
# prints Markdown tables. Starts its own radosgw (scripts/rgw.sh), etcd
# (scripts/etcd.sh) and broker on free ports and stops all of them on exit.
# Usage: bench/s3_scenarios.sh BENCH_BINARY OUT_DIR
#   (1) flush interval FLUSH_INTERVAL_MS (10): RATE (5,000) records/s of RECORD_SIZE (1,024)
#       bytes, acks ACKS (all), linger LINGER_MS (5), DURATION_S (30) s, to a new topic of
#       each of PARTITION_COUNTS ("1 100 1000") partitions: produce latency against
#       flush interval + 2 x S3 PUT p99 + 5 ms, WAL PUTs/s against 1000 / flush interval,
#       compaction PUTs, etcd transactions/s and their p99, broker CPU-s per GB, how busy the
#       machine's CPUs were, and the same client's p99 for the same load on librdkafka's
#       in-memory mock cluster (MOCK_S, 10 s, after each run): what the client and this
#       machine add before any broker; then again with the mock answering each request one
#       flush interval late (--mock-rtt-ms): the client's p99 against a broker whose only
#       cost is waiting for a flush. CLIENT_STAGES=1 (default 0: librdkafka's statistics
#       cost the client a few ms at 1,000 partitions) adds librdkafka's own timing of the
#       produce path: records queued in the client, request round trips, Produce requests/s
#   (2) cold catch-up: BACKLOG_MB (1000, MB = 10^6 value bytes) of RECORD_SIZE records into
#       a new BACKLOG_PARTITIONS (8) partition topic, wait until compaction deleted every
#       write-ahead object (broker with KAFSCALE_COMPACTION_INTERVAL_MS=COMPACTION_INTERVAL_MS,
#       1000), restart the broker (empty cache), then time kcat reading from the earliest
#       offset to the end: MB/s, S3 GETs, broker CPU-s per GB fetched
#   (3) RSS under load: MINUTES (10) at max rate over RSS_PARTITIONS (8) partitions with
#       KAFSCALE_CACHE_BYTES=CACHE_BYTES (256 MiB), KAFSCALE_MAX_BUFFER_BYTES=MAX_BUFFER_BYTES
#       (128 MiB); process_resident_memory_bytes every SAMPLE_S (10) s against
#       cache + buffer + 100 MiB. radosgw keeps objects in memory, so the load goes to a
#       new topic every CHUNK_S (10) s and the topic before is deleted (and radosgw's
#       garbage collected) while the next one is written.
# Other settings: WARMUP_S (5: s at RATE to a throwaway topic before (1); radosgw answers the
# first writes into a new bucket slowly), SCENARIOS ("1 2 3"), OSD_BYTES (memstore capacity,
# 6 GiB), COMPACTION_WAIT_S (900), KAFSCALE_BROKER_BIN (build/bin/kafscale-broker), KCAT (kcat).
# Short check: DURATION_S=5 BACKLOG_MB=50 MINUTES=1 bench/s3_scenarios.sh build/bin/kafscale-bench /tmp/s3
# Each scenario has a broker process of its own (the same radosgw and etcd); each topic is
# deleted after use. Histogram figures (S3 PUT p99, broker Produce p99) are the upper bound of
# the bucket where the run's delta crosses 99 %; put_if_absent also counts compaction uploads.
# Tables go to stdout (and OUT_DIR/tables.md), progress to stderr. OUT_DIR keeps every bench
# JSON, /metrics snapshots (*.prom), summaries (*.summary.json), requests in flight during (1)
# (*.gauges.csv), rss.csv, the broker logs and the cluster's files (cluster/).
# Needs radosgw, ceph-mon, ceph-osd, etcd, etcdctl, kcat, curl and /usr/bin/python3 with confluent_kafka.
set -euo pipefail
bench=${1:?usage: s3_scenarios.sh BENCH_BINARY OUT_DIR}
out=${2:?usage: s3_scenarios.sh BENCH_BINARY OUT_DIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=$(cd "$(dirname "$bench")" && pwd)/$(basename "$bench")
broker_bin=${KAFSCALE_BROKER_BIN:-$repo/build/bin/kafscale-broker}
kcat=${KCAT:-kcat}
python=/usr/bin/python3

SCENARIOS=${SCENARIOS:-"1 2 3"}
FLUSH_INTERVAL_MS=${FLUSH_INTERVAL_MS:-10}
RATE=${RATE:-5000}
RECORD_SIZE=${RECORD_SIZE:-1024}
ACKS=${ACKS:-all}
LINGER_MS=${LINGER_MS:-5}
CLIENT_STAGES=${CLIENT_STAGES:-0}
DURATION_S=${DURATION_S:-30}
WARMUP_S=${WARMUP_S:-5}
PARTITION_COUNTS=${PARTITION_COUNTS:-"1 100 1000"}
BACKLOG_MB=${BACKLOG_MB:-1000}
BACKLOG_PARTITIONS=${BACKLOG_PARTITIONS:-8}
COMPACTION_INTERVAL_MS=${COMPACTION_INTERVAL_MS:-1000}
COMPACTION_WAIT_S=${COMPACTION_WAIT_S:-900}
MINUTES=${MINUTES:-10}
RSS_PARTITIONS=${RSS_PARTITIONS:-8}
CACHE_BYTES=${CACHE_BYTES:-268435456}
MAX_BUFFER_BYTES=${MAX_BUFFER_BYTES:-134217728}
SAMPLE_S=${SAMPLE_S:-10}
MOCK_S=${MOCK_S:-10}
CHUNK_S=${CHUNK_S:-10}
OSD_BYTES=${OSD_BYTES:-6442450944}

for tool in "$bench" "$broker_bin"; do
  [[ -x "$tool" ]] || { echo "s3_scenarios.sh: $tool is not an executable (ninja -C build)" >&2; exit 1; }
done
command -v "$kcat" >/dev/null || { echo "s3_scenarios.sh: $kcat not found" >&2; exit 1; }
$python -c 'import confluent_kafka' || { echo "s3_scenarios.sh: $python lacks confluent_kafka" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
cluster=$out/cluster
helper=$out/s3_helper.py
stamp=$(date +%s)
log() { echo "[$(date +%T)] $*" >&2; }

# ---------------------------------------------------------------- helpers (Python)
cat >"$helper" <<'PY'
"""Helpers of bench/s3_scenarios.sh (written by it; edit the script, not this copy)."""
import json, math, pathlib, re, sys, time

def admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    # CreateTopics answers once the broker owns every partition: about a minute for 1,000.
    return AdminClient({"bootstrap.servers": bootstrap, "log_level": 3, "socket.timeout.ms": 300000})

def leaders(client, topic):
    # Metadata of all topics: naming an unknown topic would auto-create it.
    md = client.list_topics(timeout=60)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return 0, 0
    return len(t.partitions), sum(1 for p in t.partitions.values() if p.leader >= 0)

def create_topic(bootstrap, topic, partitions, timeout_s="900"):
    # CreateTopics first: a metadata request naming an unknown topic would
    # auto-create it with one partition.
    from confluent_kafka.admin import NewTopic
    client, started = admin(bootstrap), time.time()
    future = client.create_topics([NewTopic(topic, int(partitions), 1)],
                                  request_timeout=float(timeout_s), operation_timeout=float(timeout_s))[topic]
    try:
        future.result()
    except Exception as e:  # a timed-out request may still have created it: the wait below tells
        print(f"CreateTopics {topic}: {e}; waiting for its partitions anyway", file=sys.stderr)
    created = time.time() - started
    while True:
        count, led = leaders(client, topic)
        if count == int(partitions) and led == count:
            break
        if time.time() - started > float(timeout_s):
            sys.exit(f"{topic}: {led} of {partitions} partitions have a leader after {timeout_s} s")
        time.sleep(0.5)
    print(json.dumps({"topic": topic, "partitions": int(partitions), "create_s": round(created, 3),
                      "all_leaders_s": round(time.time() - started, 3)}))

def wait_leaders(bootstrap, topic, partitions, timeout_s="300"):
    client, started = admin(bootstrap), time.time()
    while True:
        count, led = leaders(client, topic)
        if count == int(partitions) and led == count:
            print(round(time.time() - started, 3))
            return
        if time.time() - started > float(timeout_s):
            sys.exit(f"{topic}: {led} of {partitions} partitions have a leader after {timeout_s} s")
        time.sleep(0.2)

def delete_topics(bootstrap, *topics):
    if not topics:
        return
    client = admin(bootstrap)  # must outlive the futures
    for topic, future in client.delete_topics(list(topics), request_timeout=300, operation_timeout=300).items():
        try:
            future.result()
        except Exception as e:  # reported, not fatal: the scenario is over
            print(f"delete {topic}: {e}", file=sys.stderr)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)')

def parse(path):
    """Prometheus text -> ({(name, ((label, value), ...)): value}, scrape time)."""
    values, taken = {}, None
    for line in pathlib.Path(path).read_text().splitlines():
        if line.startswith("# scraped_at "):
            taken = float(line.split()[2])
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
        values[(m.group(1), labels)] = float(m.group(4))
    return values, taken

class Delta:
    def __init__(self, before, after):
        (self.b, self.tb), (self.a, self.ta) = parse(before), parse(after)
        self.seconds = self.ta - self.tb
    def __call__(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return self.a.get(key, 0.0) - self.b.get(key, 0.0)
    def after(self, name, **labels):
        return self.a.get((name, tuple(sorted(labels.items()))), 0.0)
    def quantile(self, family, q, **labels):
        """Upper bound of the histogram bucket where the delta's cumulative count reaches q."""
        buckets = []
        for (name, lab), value in self.a.items():
            d = dict(lab)
            if name != family + "_bucket" or any(d.get(k) != v for k, v in labels.items()):
                continue
            buckets.append((float(d["le"]), value - self.b.get((name, lab), 0.0)))
        buckets.sort()
        total = buckets[-1][1] if buckets else 0
        if total <= 0:
            return None
        for le, cumulative in buckets:
            if cumulative >= q * total:
                return le
        return math.inf

def ms(seconds):
    return None if seconds is None else seconds * 1000.0

def column_max(csv_path, column):
    try:
        rows = [l.split(",") for l in pathlib.Path(csv_path).read_text().splitlines()[1:]]
        return max((float(r[column]) for r in rows if len(r) > column and r[column]), default=None)
    except OSError:
        return None

def host_cpu_busy_pct(path):
    """Busy share of all CPUs between the two /proc/stat "cpu" lines in path."""
    try:
        before, after = ([int(v) for v in line.split()[1:]] for line in path.read_text().splitlines()[:2])
    except (OSError, ValueError):
        return None
    delta = [a - b for a, b in zip(after, before)]
    idle = delta[3] + delta[4]  # idle, iowait
    return 100.0 * (sum(delta) - idle) / sum(delta) if sum(delta) else None

def mock_produce(path):
    try:
        return json.loads(path.read_text())["runs"][0]["produce"]
    except (OSError, ValueError, KeyError, IndexError):
        return {}

def stage_p99_ms(produce, stage):
    """librdkafka's own p99 of a produce stage (median over its 1 s windows), with --client-stages."""
    return produce.get("client_stages", {}).get(stage, {}).get("p99_ms")

def produce_summary(run_json, before, after, partitions, flush_ms, rate):
    r = json.loads(pathlib.Path(run_json).read_text())["runs"][0]["produce"]
    mock = mock_produce(pathlib.Path(run_json).with_suffix(".mock.json"))
    mock_rtt = mock_produce(pathlib.Path(run_json).with_suffix(".mock-rtt.json"))
    gauges = pathlib.Path(run_json).with_suffix(".gauges.csv")
    d, flush_ms = Delta(before, after), float(flush_ms)
    put_p99 = ms(d.quantile("kafscale_object_store_request_duration_seconds", 0.99, op="put_if_absent"))
    puts = d("kafscale_object_store_requests_total", op="put_if_absent")
    put_sum = d("kafscale_object_store_request_duration_seconds_sum", op="put_if_absent")
    target = None if put_p99 is None or math.isinf(put_p99) else flush_ms + 2 * put_p99 + 5
    gb = r["bytes"] / 1e9
    summary = {
        "partitions": int(partitions), "rate": float(rate), "flush_interval_ms": flush_ms,
        "records": r["records"], "failed": r["failed"], "first_error": r["first_error"],
        "records_per_s": r["records_per_s"], "mb_per_s": r["mb_per_s"],
        "p50_ms": r["latency"]["p50_ms"], "p99_ms": r["latency"]["p99_ms"],
        "p99_9_ms": r["latency"]["p99_9_ms"], "max_ms": r["latency"]["max_ms"],
        "window_s": d.seconds, "produce_s": r["seconds"],
        # Server side, per Produce request (read to answer), bucket bound.
        "broker_produce_p99_ms": d.quantile("kafscale_produce_latency_ms", 0.99),
        "produce_requests": d("kafscale_produce_latency_ms_count"),
        "produce_request_errors": sum(v - d.b.get(k, 0.0) for k, v in d.a.items()
                                      if k[0] == "kafscale_requests_total" and dict(k[1]).get("api") == "Produce"
                                      and dict(k[1]).get("error") != "NONE"),
        "put_if_absent_requests": puts, "put_mean_ms": ms(put_sum / puts) if puts else None,
        "put_p99_ms_bucket_bound": put_p99, "target_ms": target,
        "meets_target": None if target is None else r["latency"]["p99_ms"] <= target,
        "wal_objects": d("kafscale_wal_objects_written_total"),
        "wal_puts_per_s": d("kafscale_wal_objects_written_total") / r["seconds"],
        "wal_put_ceiling_per_s": 1000.0 / flush_ms,
        "segments_compacted": d("kafscale_segments_compacted_total"),
        "compaction_puts": 2 * d("kafscale_segments_compacted_total"),
        "wal_commit_txns": d("kafscale_wal_commit_txns_total"),
        "etcd_txns": d("kafscale_metadata_store_requests_total", op="txn"),
        "etcd_txns_per_s": d("kafscale_metadata_store_requests_total", op="txn") / r["seconds"],
        "object_store_errors": sum(v - d.b.get(k, 0.0) for k, v in d.a.items()
                                   if k[0] == "kafscale_object_store_errors_total"),
        "metadata_store_errors": sum(v - d.b.get(k, 0.0) for k, v in d.a.items()
                                     if k[0] == "kafscale_metadata_store_errors_total"),
        "cpu_s": d("process_cpu_seconds_total"),
        "cpu_s_per_gb": d("process_cpu_seconds_total") / gb if gb else None,
        # Sampled every second, over all connections.
        "max_requests_in_flight": column_max(gauges, 1),
        "max_buffered_bytes": column_max(gauges, 2),
        "etcd_txn_p99_ms_bucket_bound": ms(d.quantile("kafscale_metadata_store_request_duration_seconds", 0.99,
                                                      op="txn")),
        # Where a flush's time goes (bucket bounds, ms): see kafscale_wal_flush_stage_ms.
        "flush_stage_p50_ms": {stage: d.quantile("kafscale_wal_flush_stage_ms", 0.5, stage=stage)
                               for stage in ("buffered", "upload", "turn", "commit")},
        "flush_stage_p99_ms": {stage: d.quantile("kafscale_wal_flush_stage_ms", 0.99, stage=stage)
                               for stage in ("buffered", "upload", "turn", "commit")},
        "host_cpu_busy_pct": host_cpu_busy_pct(pathlib.Path(run_json).with_suffix(".cpu")),
        "mock_p99_ms": mock.get("latency", {}).get("p99_ms"),
        # The mock answering every request one flush interval late: this client's p99
        # against a broker whose only cost is waiting for a flush.
        "mock_rtt_flush_p99_ms": mock_rtt.get("latency", {}).get("p99_ms"),
        # Inside the client (librdkafka's statistics): records queued before a request
        # carries them (linger included), and request round trips (broker + network).
        "client_queued_p99_ms": stage_p99_ms(r, "queued"),
        "client_round_trip_p99_ms": stage_p99_ms(r, "round_trip"),
        "client_produce_requests_per_s": r.get("client_stages", {}).get("produce_requests_per_s"),
        "mock_queued_p99_ms": stage_p99_ms(mock, "queued"),
        "mock_round_trip_p99_ms": stage_p99_ms(mock, "round_trip"),
    }
    print(json.dumps(summary, indent=1))

def counters(path, *names):
    values, _ = parse(path)
    print(" ".join(str(int(values.get((n, ()), 0))) for n in names))

def catchup_summary(produce_json, before_compaction, compacted, before, after, records_read, seconds,
                    record_size, compaction_wait_s, fully_compacted):
    p = json.loads(pathlib.Path(produce_json).read_text())["runs"][0]["produce"]
    c = Delta(before_compaction, compacted)
    d = Delta(before, after)
    value_bytes = int(records_read) * int(record_size)
    gb = value_bytes / 1e9
    summary = {
        "backlog_records": p["records"], "backlog_bytes": p["bytes"], "backlog_failed": p["failed"],
        "backlog_produce_mb_per_s": p["mb_per_s"],
        "compaction_wait_s": float(compaction_wait_s), "fully_compacted": fully_compacted == "yes",
        "segments_compacted_before_restart": c.after("kafscale_segments_compacted_total"),
        "wal_objects_written_before_restart": c.after("kafscale_wal_objects_written_total"),
        "wal_objects_deleted_before_restart": c.after("kafscale_wal_objects_deleted_total"),
        "records_read": int(records_read), "seconds": float(seconds),
        "mb_per_s": value_bytes / 1e6 / float(seconds),
        "fetch_bytes": d("kafscale_fetch_bytes_total"),
        # The restarted broker GETs the newest segment of each partition it takes over
        # (a check for crash damage) before the consumer starts: counted apart.
        "startup_gets": d.b.get(("kafscale_object_store_requests_total", (("op", "get"),)), 0.0),
        "startup_get_bytes": d.b.get(("kafscale_object_store_bytes_total", (("op", "get"),)), 0.0),
        "gets": d("kafscale_object_store_requests_total", op="get"),
        "get_bytes": d("kafscale_object_store_bytes_total", op="get"),
        "lists": d("kafscale_object_store_requests_total", op="list"),
        "heads": d("kafscale_object_store_requests_total", op="head"),
        "get_p99_ms_bucket_bound": ms(d.quantile("kafscale_object_store_request_duration_seconds", 0.99, op="get")),
        "cache_hits": d("kafscale_cache_hits_total"), "cache_misses": d("kafscale_cache_misses_total"),
        "cpu_s": d("process_cpu_seconds_total"),
        "cpu_s_per_gb": d("process_cpu_seconds_total") / gb if gb else None,
        "rss_after_bytes": d.after("process_resident_memory_bytes"),
    }
    print(json.dumps(summary, indent=1))

def rss_summary(out, before, after, minutes, cache_bytes, max_buffer_bytes, osd_bytes):
    out = pathlib.Path(out)
    runs = [json.loads(f.read_text())["runs"][0]["produce"] for f in sorted(out.glob("s3-rss-chunk-*.json"))]
    rows = [l.split(",") for l in (out / "rss.csv").read_text().splitlines()[1:] if l]
    rss = [float(r[1]) for r in rows if r[1]]
    osd = [float(r[4]) for r in rows if len(r) > 4 and r[4]]
    d = Delta(before, after)
    produced = sum(r["bytes"] for r in runs)
    budget = int(cache_bytes) + int(max_buffer_bytes) + 100 * 2**20
    summary = {
        "minutes": float(minutes), "chunks": len(runs), "records": sum(r["records"] for r in runs),
        "failed": sum(r["failed"] for r in runs),
        "first_errors": sorted({r["first_error"] for r in runs if r["first_error"]}),
        "produce_s": sum(r["seconds"] for r in runs), "window_s": d.seconds,
        "records_per_s": sum(r["records"] for r in runs) / d.seconds,
        "mb_per_s": produced / 1e6 / d.seconds,
        "worst_chunk_p99_ms": max((r["latency"]["p99_ms"] for r in runs), default=None),
        "worst_chunk_max_ms": max((r["latency"]["max_ms"] for r in runs), default=None),
        "samples": len(rss), "max_rss_bytes": max(rss, default=None), "last_rss_bytes": rss[-1] if rss else None,
        "cache_bytes": int(cache_bytes), "max_buffer_bytes": int(max_buffer_bytes), "budget_bytes": budget,
        "within_budget": bool(rss) and max(rss) <= budget,
        "max_osd_used_bytes": max(osd, default=None), "osd_bytes": int(osd_bytes),
        "cpu_s_per_gb": d("process_cpu_seconds_total") / (produced / 1e9) if produced else None,
    }
    print(json.dumps(summary, indent=1))

def fmt(v, spec="{:,.1f}", none="n/a"):
    if v is None:
        return none
    if isinstance(v, float) and math.isinf(v):
        return "> 26,214 (last bucket)"
    return spec.format(v)

def markdown_table(caption, columns, rows):
    print(caption)
    print()
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()

def tables(out):
    out = pathlib.Path(out)
    s1 = []
    for f in out.glob("s3-produce-p*.summary.json"):
        s = json.loads(f.read_text())
        created = f.with_name(f.name.replace(".summary.json", ".create.json"))
        s["create_s"] = json.loads(created.read_text())["all_leaders_s"] if created.exists() else None
        s1.append(s)
    if s1:
        s1.sort(key=lambda s: s["partitions"])
        rows = []
        for s in s1:
            meets = {True: "yes", False: "no", None: "n/a"}[s["meets_target"]]
            failed = f" ({s['failed']:,} failed)" if s["failed"] else ""
            if s["produce_request_errors"]:
                failed += f" ({s['produce_request_errors']:,.0f} Produce errors)"
            rows.append([f"{s['partitions']:,}", f"{s['records_per_s']:,.0f}{failed}", fmt(s["p50_ms"]),
                         fmt(s["p99_ms"]), fmt(s["p99_9_ms"]), fmt(s.get("client_queued_p99_ms")),
                         fmt(s.get("client_round_trip_p99_ms")), fmt(s["broker_produce_p99_ms"], "{:,.0f}"),
                         fmt(s.get("max_requests_in_flight"), "{:,.0f}"), fmt(s["put_p99_ms_bucket_bound"]),
                         fmt(s["target_ms"]), meets,
                         f"{s['wal_puts_per_s']:,.1f} ({s['wal_put_ceiling_per_s']:,.0f})",
                         f"{s['compaction_puts']:,.0f}", f"{s['etcd_txns_per_s']:,.1f}",
                         fmt(s.get("etcd_txn_p99_ms_bucket_bound")), fmt(s["cpu_s_per_gb"], "{:,.2f}"),
                         fmt(s.get("host_cpu_busy_pct"), "{:,.0f}"), fmt(s.get("mock_p99_ms")),
                         fmt(s.get("mock_rtt_flush_p99_ms")),
                         fmt(s.get("mock_queued_p99_ms")), fmt(s.get("client_produce_requests_per_s"), "{:,.0f}"),
                         fmt(s["create_s"])])
        markdown_table(
            f"(1) flush interval {s1[0]['flush_interval_ms']:g} ms, {s1[0]['rate']:,.0f} records/s offered, "
            "one broker, radosgw + etcd",
            ["partitions", "records/s", "produce p50 ms", "p99 ms", "p99.9 ms",
             "queued in the client p99 ms (librdkafka, linger included)", "request round trip p99 ms (librdkafka)",
             "broker Produce p99 ms (server side, bucket bound)", "max requests in flight",
             "S3 PUT p99 ms (put_if_absent, bucket bound)", "target ms (flush + 2 x PUT p99 + 5)",
             "p99 meets target", "WAL PUTs/s (ceiling)", "compaction PUTs", "etcd txns/s",
             "etcd txn p99 ms (bucket bound)", "broker CPU-s per GB", "machine CPU busy %",
             "same client on the in-memory mock: p99 ms",
             f"same client, mock answering {s1[0]['flush_interval_ms']:g} ms late: p99 ms",
             "on the mock: queued in the client p99 ms",
             "Produce requests/s (librdkafka)", "topic creation s (until every partition has a leader)"],
            rows)
    p2 = out / "s3-catchup.summary.json"
    if p2.exists():
        s = json.loads(p2.read_text())
        partial = "" if s["fully_compacted"] else " (not all compacted)"
        markdown_table(
            "(2) cold catch-up from radosgw after compaction and a broker restart (kcat from the earliest offset)",
            ["backlog MB", "records read", "compaction wait s", "catch-up s", "MB/s",
             "S3 GETs (GET MB) during catch-up", "GETs (MB) at restart, before it", "GET p99 ms",
             "broker CPU-s per GB fetched"],
            [[f"{s['backlog_bytes'] / 1e6:,.0f}", f"{s['records_read']:,} of {s['backlog_records']:,}",
              f"{s['compaction_wait_s']:,.0f}{partial}", f"{s['seconds']:,.2f}", f"{s['mb_per_s']:,.1f}",
              f"{s['gets']:,.0f} ({s['get_bytes'] / 1e6:,.1f})",
              f"{s['startup_gets']:,.0f} ({s['startup_get_bytes'] / 1e6:,.1f})",
              fmt(s["get_p99_ms_bucket_bound"]), fmt(s["cpu_s_per_gb"], "{:,.2f}")]])
    p3 = out / "s3-rss.summary.json"
    if p3.exists():
        s = json.loads(p3.read_text())
        mib = lambda v: fmt(None if v is None else v / 2**20, "{:,.0f}")
        failed = f" ({s['failed']:,} failed)" if s["failed"] else ""
        markdown_table(
            f"(3) RSS at max rate, {s['minutes']:g} min, cache {mib(s['cache_bytes'])} MiB, "
            f"max buffer {mib(s['max_buffer_bytes'])} MiB",
            ["records/s", "MB/s", "worst chunk p99 ms", "max RSS MiB", "last RSS MiB",
             "budget MiB (cache + buffer + 100)", "within budget", "samples", "broker CPU-s per GB",
             "max radosgw OSD use MiB (capacity)"],
            [[f"{s['records_per_s']:,.0f}{failed}", f"{s['mb_per_s']:,.1f}", fmt(s["worst_chunk_p99_ms"]),
              mib(s["max_rss_bytes"]), mib(s["last_rss_bytes"]), mib(s["budget_bytes"]),
              "yes" if s["within_budget"] else "no", str(s["samples"]), fmt(s["cpu_s_per_gb"], "{:,.2f}"),
              f"{mib(s['max_osd_used_bytes'])} ({mib(s['osd_bytes'])})"]])

if __name__ == "__main__":
    globals()[sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
helper() { $python "$helper" "$@"; }

# ---------------------------------------------------------------- cluster and broker
broker_pid=""
sampler_pid=""
bench_pid=""
cluster_started=no
broker_index=0

stop_pid() {  # PID, seconds before SIGKILL; returns 1 when SIGKILL was needed
  local pid=$1 limit=$2 waited=0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= limit * 10)); then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$sampler_pid" ]]; then stop_pid "$sampler_pid" 5 || true; fi
  if [[ -n "$bench_pid" ]]; then pkill -TERM -P "$bench_pid" 2>/dev/null || true; stop_pid "$bench_pid" 5 || true; fi
  [[ -n "$broker_pid" ]] && { stop_pid "$broker_pid" 60 || log "broker $broker_pid ignored SIGTERM for 60 s; killed"; }
  if [[ $cluster_started == yes ]]; then
    "$repo/scripts/etcd.sh" stop "$cluster/etcd" >/dev/null 2>&1 || true
    "$repo/scripts/rgw.sh" stop "$cluster/rgw" >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {
  $python - "$1" <<'PYPORTS'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PYPORTS
}

ceph_cmd() { timeout 60 ceph -c "$cluster/rgw/ceph.conf" "$@"; }

# radosgw hands the tails of deleted objects to its garbage collector, which
# frees them only after hours: without this the memstore OSD fills up.
rgw_gc() {
  timeout 300 radosgw-admin -c "$cluster/rgw/ceph.conf" -n client.rgw.a --admin-socket= \
    --log-file="$cluster/rgw/log/radosgw-admin-gc.log" gc process --include-all >/dev/null 2>&1 ||
    log "radosgw-admin gc process failed (see $cluster/rgw/log/radosgw-admin-gc.log)"
}

osd_used_bytes() {
  ceph_cmd tell osd.0 perf dump 2>/dev/null |
    $python -c 'import json, sys; print(int(json.load(sys.stdin)["osd"]["stat_bytes_used"]))' 2>/dev/null || echo ""
}

start_cluster() {
  log "starting radosgw and etcd under $cluster"
  rm -rf "$cluster"
  mkdir -p "$cluster"
  cluster_started=yes
  "$repo/scripts/rgw.sh" start "$cluster/rgw" >&2
  "$repo/scripts/etcd.sh" start "$cluster/etcd" >&2
  # memstore_device_bytes is read at every statfs: raise the OSD's capacity.
  ceph_cmd tell 'osd.*' config set memstore_device_bytes "$OSD_BYTES" >/dev/null 2>&1 ||
    log "could not raise memstore_device_bytes to $OSD_BYTES"
  set -a
  . "$cluster/rgw/env"
  . "$cluster/etcd/env"
  set +a
  read -r broker_port metrics_port <<<"$(free_ports 2)"
  bootstrap=127.0.0.1:$broker_port
  metrics=127.0.0.1:$metrics_port
}

# start_broker NAME [VAR=VALUE...]: one broker (id 0) against the cluster,
# log in OUT_DIR/broker-N-NAME.log; waits for /readyz.
start_broker() {
  local name=$1
  shift
  broker_index=$((broker_index + 1))
  broker_log=$out/broker-$broker_index-$name.log
  mkdir -p "$out/broker-data"
  env KAFSCALE_BROKER_ID=0 \
    KAFSCALE_BROKER_ADDR="$bootstrap" \
    KAFSCALE_METRICS_ADDR="$metrics" \
    KAFSCALE_DATA_DIR="$out/broker-data" \
    KAFSCALE_S3_BUCKET=kafscale-bench \
    KAFSCALE_S3_CREATE_BUCKET=true \
    KAFSCALE_S3_ENDPOINT="$KAFSCALE_TEST_S3_ENDPOINT" \
    KAFSCALE_S3_REGION="$KAFSCALE_TEST_S3_REGION" \
    KAFSCALE_S3_PATH_STYLE=true \
    AWS_ACCESS_KEY_ID="$KAFSCALE_TEST_S3_ACCESS_KEY" \
    AWS_SECRET_ACCESS_KEY="$KAFSCALE_TEST_S3_SECRET_KEY" \
    KAFSCALE_ETCD_ENDPOINTS="$KAFSCALE_TEST_ETCD_ENDPOINTS" \
    "$@" "$broker_bin" >"$broker_log" 2>&1 </dev/null &
  broker_pid=$!
  log "broker $broker_pid ($name: $*) on $bootstrap, metrics $metrics, log $broker_log"
  local deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null --max-time 2 "http://$metrics/readyz" 2>/dev/null; do
    if ! kill -0 "$broker_pid" 2>/dev/null; then
      tail -n 30 "$broker_log" >&2
      log "broker exited during start-up"
      exit 1
    fi
    ((SECONDS < deadline)) || { tail -n 30 "$broker_log" >&2; log "broker not ready within 120 s"; exit 1; }
    sleep 0.2
  done
}

stop_broker() {
  local started=$SECONDS
  stop_pid "$broker_pid" 60 || log "broker $broker_pid ignored SIGTERM for 60 s; killed (see $broker_log)"
  log "broker $broker_pid stopped in $((SECONDS - started)) s"
  broker_pid=""
}

etcd_count() {  # PREFIX, PATTERN: how many keys under PREFIX match PATTERN (grep), -1 when etcd does not answer
  local keys
  keys=$(ETCDCTL_API=3 timeout 30 etcdctl --endpoints="$KAFSCALE_TEST_ETCD_ENDPOINTS" get --prefix --keys-only "$1") ||
    { echo -1; return; }
  grep -c -- "$2" <<<"$keys" || true
}

# WAL object records (object names start with their creation time; the
# broker's index markers under ~marker/ are no records).
wal_records_left() { etcd_count /kafscale/wal-objects/ '^/kafscale/wal-objects/[0-9]'; }

# Waits (at most 300 s) until etcd holds no WAL object record: the garbage
# collector deleted every write-ahead object, e.g. those of a deleted topic,
# whose DELETEs would otherwise compete with the next measurement.
wait_wal_collected() {
  local started=$SECONDS objects
  while ((SECONDS - started < 300)); do
    objects=$(wal_records_left)
    ((objects == 0)) && return 0
    sleep 1
  done
  log "write-ahead objects still recorded after 300 s: $objects"
}

snap() {  # FILE: the broker's /metrics with the scrape time
  {
    echo "# scraped_at $(date +%s.%N)"
    curl -fsS --max-time 30 "http://$metrics/metrics"
  } >"$1"
}

run_bench() {  # JSON_FILE, bench arguments...: exit status kept, never fatal
  local file=$1 status=0
  shift
  "$bench" -b "$bootstrap" --record-size "$RECORD_SIZE" --acks "$ACKS" --linger-ms "$LINGER_MS" "$@" --json \
    >"$file" 2>"${file%.json}.stderr" || status=$?
  ((status == 0)) || log "kafscale-bench exited $status: $(tail -n 3 "${file%.json}.stderr" | tr '\n' ' ')"
  return 0
}

# ---------------------------------------------------------------- (1) flush 10 ms at 1/100/1000 partitions
poll_gauges() {  # FILE: Kafka requests in flight and buffered bytes every second until killed
  local page nap
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  echo "unix_time,requests_in_flight,buffered_bytes" >"$1"
  while true; do
    page=$(curl -fsS --max-time 5 "http://$metrics/metrics" 2>/dev/null || true)
    printf '%s,%s,%s\n' "$(date +%s)" \
      "$(awk '$1 == "kafscale_requests_in_flight" { print $2 }' <<<"$page")" \
      "$(awk '$1 == "kafscale_buffered_bytes" { print $2 }' <<<"$page")" >>"$1"
    sleep 1 &
    nap=$!
    wait "$nap" || true
  done
}

run_mock() {  # BASE PARTITIONS RTT_MS [flags]: the same load on librdkafka's mock answering RTT_MS late
  local base=$1 partitions=$2 rtt=$3
  shift 3
  "$bench" --mock 1 --mock-rtt-ms "$rtt" --partitions "$partitions" --record-size "$RECORD_SIZE" --acks "$ACKS" \
    --linger-ms "$LINGER_MS" --rate "$RATE" --duration-s "$MOCK_S" "$@" --json >"$base.json" 2>"$base.stderr" ||
    log "kafscale-bench on the mock cluster failed: $(tail -n 3 "$base.stderr" | tr '\n' ' ')"
}

scenario_produce() {
  local stage_flags=()
  ((CLIENT_STAGES)) && stage_flags=(--client-stages)
  start_broker produce KAFSCALE_FLUSH_INTERVAL_MS="$FLUSH_INTERVAL_MS"
  local partitions topic base
  # Warm-up on a throwaway topic: radosgw answers the first requests into a
  # new bucket slowly, and the broker's S3 health window would still hold them.
  topic=s3-warmup-$stamp
  helper create-topic "$bootstrap" "$topic" 1 >/dev/null
  log "(1) warm-up: $RATE records/s for $WARMUP_S s"
  run_bench "$out/s3-warmup.json" --topic "$topic" --partitions 1 --rate "$RATE" --duration-s "$WARMUP_S"
  log "(1) warm-up latency: $($python -c 'import json, sys; l = json.load(open(sys.argv[1]))["runs"][0]["produce"]["latency"]; print("p50", l["p50_ms"], "ms, p99", l["p99_ms"], "ms, max", l["max_ms"], "ms")' "$out/s3-warmup.json" 2>/dev/null || echo n/a)"
  helper delete-topics "$bootstrap" "$topic"
  wait_wal_collected
  for partitions in $PARTITION_COUNTS; do
    topic=s3-produce-p$partitions-$stamp
    base=$out/s3-produce-p$partitions
    log "(1) $partitions partitions: creating $topic"
    helper create-topic "$bootstrap" "$topic" "$partitions" >"$base.create.json"
    log "(1) $partitions partitions: created ($(cat "$base.create.json")); producing $RATE records/s for $DURATION_S s"
    snap "$base.before.prom"
    poll_gauges "$base.gauges.csv" &
    sampler_pid=$!
    head -n 1 /proc/stat >"$base.cpu"
    run_bench "$base.json" --topic "$topic" --partitions "$partitions" --rate "$RATE" --duration-s "$DURATION_S" \
      "${stage_flags[@]}"
    head -n 1 /proc/stat >>"$base.cpu"
    snap "$base.after.prom"
    stop_pid "$sampler_pid" 5 || true
    sampler_pid=""
    run_mock "$base.mock" "$partitions" 0 "${stage_flags[@]}"
    run_mock "$base.mock-rtt" "$partitions" "$FLUSH_INTERVAL_MS" "${stage_flags[@]}"
    helper produce-summary "$base.json" "$base.before.prom" "$base.after.prom" "$partitions" "$FLUSH_INTERVAL_MS" \
      "$RATE" >"$base.summary.json"
    helper delete-topics "$bootstrap" "$topic"
    wait_wal_collected
    rgw_gc
  done
  stop_broker
}

# ---------------------------------------------------------------- (2) cold catch-up
scenario_catchup() {
  local topic=s3-catchup-$stamp base=$out/s3-catchup
  local records=$(((BACKLOG_MB * 1000000 + RECORD_SIZE - 1) / RECORD_SIZE))
  local broker_env=(KAFSCALE_FLUSH_INTERVAL_MS="$FLUSH_INTERVAL_MS" KAFSCALE_COMPACTION_INTERVAL_MS="$COMPACTION_INTERVAL_MS")
  start_broker catchup "${broker_env[@]}"
  helper create-topic "$bootstrap" "$topic" "$BACKLOG_PARTITIONS" >"$base.create.json"
  log "(2) producing a backlog of $records records ($BACKLOG_MB MB) into $topic ($BACKLOG_PARTITIONS partitions)"
  snap "$base.before-produce.prom"
  run_bench "$base.produce.json" --topic "$topic" --partitions "$BACKLOG_PARTITIONS" --records "$records"
  log "(2) backlog produced: $($python -c 'import json,sys; p=json.load(open(sys.argv[1]))["runs"][0]["produce"]; print(p["records"], "records,", round(p["mb_per_s"], 1), "MB/s,", p["failed"], "failed")' "$base.produce.json")"

  # Compaction is over when etcd holds no WAL object record: the garbage
  # collector deletes an object and its records once every range they hold
  # is in a segment. The broker's counters cannot tell: a new broker process
  # also deletes WAL objects its predecessors wrote.
  local started=$SECONDS objects=-1 fully=no written deleted compacted
  while ((SECONDS - started < COMPACTION_WAIT_S)); do
    objects=$(wal_records_left)
    if ((objects == 0)); then fully=yes; break; fi
    sleep 1
  done
  local waited=$((SECONDS - started))
  snap "$base.compacted.prom"
  read -r written deleted compacted <<<"$(helper counters "$base.compacted.prom" kafscale_wal_objects_written_total \
    kafscale_wal_objects_deleted_total kafscale_segments_compacted_total)"
  log "(2) compaction: $compacted segments, WAL objects written $written deleted $deleted after ${waited} s" \
    "(all compacted: $fully; WAL object records left $objects)"
  rgw_gc

  log "(2) restarting the broker (empty cache)"
  stop_broker
  start_broker catchup-restarted "${broker_env[@]}"
  helper wait-leaders "$bootstrap" "$topic" "$BACKLOG_PARTITIONS" >/dev/null
  snap "$base.before-consume.prom"
  local t0 t1 read_records
  t0=$(date +%s.%N)
  read_records=$( ("$kcat" -b "$bootstrap" -C -t "$topic" -o beginning -e -q -f '%o\n' 2>"$base.kcat.stderr" ||
    echo "kcat exited $?" >>"$base.kcat.stderr") | wc -l)
  t1=$(date +%s.%N)
  [[ ! -s "$base.kcat.stderr" ]] || log "(2) kcat: $(tail -n 3 "$base.kcat.stderr" | tr '\n' ' ')"
  snap "$base.after-consume.prom"
  local seconds
  seconds=$($python -c "print($t1 - $t0)")
  log "(2) kcat read $read_records records in $seconds s"
  helper catchup-summary "$base.produce.json" "$base.before-produce.prom" "$base.compacted.prom" \
    "$base.before-consume.prom" "$base.after-consume.prom" "$read_records" "$seconds" "$RECORD_SIZE" "$waited" \
    "$fully" >"$base.summary.json"
  helper delete-topics "$bootstrap" "$topic"
  rgw_gc
  stop_broker
}

# ---------------------------------------------------------------- (3) RSS under sustained load
sample_rss() {  # appends to OUT_DIR/rss.csv every SAMPLE_S seconds until killed
  local t0=$1 page nap
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  while true; do
    page=$(curl -fsS --max-time 5 "http://$metrics/metrics" 2>/dev/null || true)
    printf '%s,%s,%s,%s,%s\n' "$(($(date +%s) - t0))" \
      "$(awk '$1 == "process_resident_memory_bytes" { print $2 }' <<<"$page")" \
      "$(awk '$1 == "kafscale_cache_bytes" { print $2 }' <<<"$page")" \
      "$(awk '$1 == "kafscale_buffered_bytes" { print $2 }' <<<"$page")" \
      "$(osd_used_bytes)" >>"$out/rss.csv"
    sleep "$SAMPLE_S" &
    nap=$!
    wait "$nap" || true
  done
}

scenario_rss() {
  local base=$out/s3-rss total_s=$((MINUTES * 60)) chunk=0 elapsed_start topic previous=""
  start_broker rss KAFSCALE_FLUSH_INTERVAL_MS="$FLUSH_INTERVAL_MS" KAFSCALE_COMPACTION_INTERVAL_MS="$COMPACTION_INTERVAL_MS" \
    KAFSCALE_CACHE_BYTES="$CACHE_BYTES" KAFSCALE_MAX_BUFFER_BYTES="$MAX_BUFFER_BYTES"
  rm -f "$out"/s3-rss-chunk-*.json
  echo "seconds,rss_bytes,cache_bytes,buffered_bytes,osd_used_bytes" >"$out/rss.csv"
  topic=s3-rss-$stamp-0
  helper create-topic "$bootstrap" "$topic" "$RSS_PARTITIONS" >/dev/null
  log "(3) max rate over $RSS_PARTITIONS partitions for $MINUTES min, a new topic every $CHUNK_S s"
  snap "$base.before.prom"
  sample_rss "$(date +%s)" &
  sampler_pid=$!
  elapsed_start=$SECONDS
  while ((SECONDS - elapsed_start < total_s)); do
    local left=$((total_s - (SECONDS - elapsed_start)))
    local this_chunk=$((left < CHUNK_S ? left : CHUNK_S))
    run_bench "$out/s3-rss-chunk-$(printf %04d "$chunk").json" --topic "$topic" --partitions "$RSS_PARTITIONS" \
      --duration-s "$this_chunk" &
    bench_pid=$!
    # While this chunk runs: drop the previous topic, free radosgw's memory,
    # create the next topic.
    [[ -z "$previous" ]] || helper delete-topics "$bootstrap" "$previous"
    rgw_gc
    previous=$topic
    chunk=$((chunk + 1))
    topic=s3-rss-$stamp-$chunk
    helper create-topic "$bootstrap" "$topic" "$RSS_PARTITIONS" >/dev/null
    wait "$bench_pid" || true
    bench_pid=""
  done
  snap "$base.after.prom"
  stop_pid "$sampler_pid" 5 || true
  sampler_pid=""
  helper rss-summary "$out" "$base.before.prom" "$base.after.prom" "$MINUTES" "$CACHE_BYTES" "$MAX_BUFFER_BYTES" \
    "$OSD_BYTES" >"$base.summary.json"
  helper delete-topics "$bootstrap" "$previous" "$topic"
  rgw_gc
  stop_broker
}

# ---------------------------------------------------------------- main
rm -f "$out"/s3-* "$out"/broker-*.log "$out"/rss.csv "$out"/tables.md
start_cluster
for scenario in $SCENARIOS; do
  case $scenario in
    1) scenario_produce ;;
    2) scenario_catchup ;;
    3) scenario_rss ;;
    *) echo "s3_scenarios.sh: unknown scenario $scenario (1, 2 or 3)" >&2; exit 2 ;;
  esac
done

helper tables "$out" | tee "$out/tables.md"
# Anything at warn or above in the broker logs, and crashes.
for f in "$out"/broker-*.log; do
  [[ -f "$f" ]] || continue
  count=$(grep -cE 'level=(warn|error|critical)' "$f" || true)
  if ((count > 0)); then
    echo "broker log $(basename "$f"): $count warn/error lines, first ones:" | tee -a "$out/tables.md"
    grep -E 'level=(warn|error|critical)' "$f" | head -n 5 | sed 's/^/    /' | tee -a "$out/tables.md"
  fi
done

"""kafscale-bench against a live broker: what it reports matches what the
broker holds, --catch-up-only reads an existing topic to its end, and bad
input exits non-zero with a message."""

import json
import subprocess

import pytest

from clients import confluent_produce, watermarks
from conftest import BROKER_BIN, unique_topic
from dataset import make_records

BENCH_BIN = BROKER_BIN.parent / "kafscale-bench"
BENCH_TIMEOUT_S = 180

pytestmark = pytest.mark.skipif(not BENCH_BIN.exists(), reason=f"no bench binary at {BENCH_BIN}")


def run_bench(*args):
    return subprocess.run([str(BENCH_BIN), *args], capture_output=True, text=True, timeout=BENCH_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)


def bench_json(*args):
    result = run_bench(*args, "--json")
    assert result.returncode == 0, f"kafscale-bench {' '.join(args)} exited {result.returncode}: {result.stderr}"
    return json.loads(result.stdout)


def test_produce_and_consume_report_what_the_broker_holds(broker):
    topic = unique_topic("bench")
    report = bench_json("-b", broker.bootstrap, "--topic", topic, "--partitions", "4", "--record-size", "100",
                        "--records", "2000", "--consume")
    run = report["runs"][0]
    assert run["produce"]["records"] == 2000
    assert run["produce"]["failed"] == 0
    assert run["produce"]["bytes"] == 2000 * 100
    assert run["end_to_end"]["records"] == 2000 and run["end_to_end"]["complete"]
    assert run["catch_up"]["records"] == 2000 and run["catch_up"]["complete"]
    offsets = watermarks(broker.bootstrap, topic, 4)
    assert sum(high - low for low, high in offsets.values()) == 2000


def test_catch_up_only_reads_an_existing_topic_to_its_end(broker, topic_factory):
    topic = topic_factory(partitions=3, prefix="bench-read")
    records = make_records("bench-read", 300)
    confluent_produce(broker.bootstrap, topic, records)
    report = bench_json("-b", broker.bootstrap, "--topic", topic, "--catch-up-only")
    run = report["runs"][0]
    assert "produce" not in run
    assert run["catch_up"]["records"] == 300
    assert run["catch_up"]["bytes"] == sum(len(r.value) for r in records)
    assert run["catch_up"]["complete"]
    # Nothing was produced by the read.
    assert sum(high - low for low, high in watermarks(broker.bootstrap, topic, 3).values()) == 300


def test_catch_up_only_of_a_missing_topic_exits_1(broker):
    topic = unique_topic("bench-missing")
    result = run_bench("-b", broker.bootstrap, "--topic", topic, "--catch-up-only")
    assert result.returncode == 1
    assert f"topic {topic} does not exist" in result.stderr


@pytest.mark.parametrize("flags", [["--catch-up-only", "--compare-mock"], ["--catch-up-only", "--records", "5"],
                                   ["--catch-up-only", "--consume"]])
def test_catch_up_only_with_a_load_flag_exits_2_with_usage(broker, flags):
    result = run_bench("-b", broker.bootstrap, *flags)
    assert result.returncode == 2
    assert "excludes" in result.stderr and "--catch-up-only" in result.stderr.splitlines()[0]
    assert "Usage: kafscale-bench" in result.stderr


def test_client_stages_split_the_produce_path_by_librdkafkas_statistics(broker):
    topic = unique_topic("bench-stages")
    # 50 records/s per partition: each waits its whole linger (5 ms) alone.
    report = bench_json("-b", broker.bootstrap, "--topic", topic, "--partitions", "2", "--record-size", "100",
                        "--rate", "100", "--duration-s", "3", "--client-stages")
    produce = report["runs"][0]["produce"]
    stages = produce["client_stages"]
    assert stages["windows"] >= 1 and stages["unreadable_documents"] == 0
    # Records wait their linger in the client, and a request's round trip is
    # part of every acknowledgement.
    assert 4.0 <= stages["queued"]["p50_ms"] <= produce["latency"]["p99_ms"]
    assert 0 < stages["round_trip"]["p50_ms"] <= produce["latency"]["p99_ms"]
    # Each request carries at least one record.
    assert 0 < stages["produce_requests_per_s"] <= produce["records_per_s"] * 1.1


def test_mock_round_trip_delays_every_acknowledgement():
    report = bench_json("--mock", "1", "--mock-rtt-ms", "50", "--partitions", "1", "--records", "200",
                        "--rate", "200", "--linger-ms", "0")
    run = report["runs"][0]
    assert run["target"] == "mock(1 brokers, 50 ms round trip)"
    assert run["produce"]["records"] == 200
    assert run["produce"]["latency"]["p50_ms"] >= 50


def test_mock_round_trip_without_a_mock_exits_2(broker):
    result = run_bench("-b", broker.bootstrap, "--mock-rtt-ms", "5")
    assert result.returncode == 2
    assert "--mock-rtt-ms: needs --mock or --compare-mock" in result.stderr

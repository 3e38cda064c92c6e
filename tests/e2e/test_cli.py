"""The kafscale admin CLI against a live broker, checked against what
confluent-kafka and kafka-python see; bad arguments exit 2 with usage."""

import json
import subprocess
import time

import confluent_kafka
import kafka
import pytest
from confluent_kafka.admin import ConfigResource

from clients import confluent_admin, confluent_consume, confluent_produce, watermarks
from conftest import BROKER_BIN, ADMIN_TIMEOUT_S, free_port, unique_topic, wait_for_partitions
from dataset import BASE_TIMESTAMP_MS, ProducedRecord

CLI_BIN = BROKER_BIN.parent / "kafscale"
CLI_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(not CLI_BIN.exists(), reason=f"no CLI binary at {CLI_BIN}")


def run_cli(broker, *args, input_bytes=None, bootstrap=None):
    """Runs kafscale against the broker; returns the CompletedProcess (bytes output)."""
    command = [str(CLI_BIN), "--bootstrap", bootstrap or broker.bootstrap, *args]
    return subprocess.run(command, input=input_bytes, capture_output=True, timeout=CLI_TIMEOUT_S,
                          stdin=None if input_bytes is not None else subprocess.DEVNULL)


def cli_ok(broker, *args, input_bytes=None):
    """Runs a command that must succeed; returns its stdout as text."""
    result = run_cli(broker, *args, input_bytes=input_bytes)
    assert result.returncode == 0, (f"kafscale {' '.join(args)} exited {result.returncode}: "
                                    f"{result.stderr.decode(errors='replace')}")
    return result.stdout.decode()


def cli_json(broker, *args, input_bytes=None):
    return json.loads(cli_ok(broker, "--output", "json", *args, input_bytes=input_bytes))


def cli_fails(broker, *args, message):
    """Runs a command that must fail with exit 1 and a message naming the problem."""
    result = run_cli(broker, *args)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, f"exit {result.returncode}, stderr: {stderr}"
    assert message in stderr
    assert "Usage:" not in stderr
    return stderr


def topic_config(bootstrap, topic, name):
    admin = confluent_admin(bootstrap)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=ADMIN_TIMEOUT_S)
    return entries[name]


def committed_offsets(bootstrap, group, topic, partitions):
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                         "enable.auto.commit": False})
    try:
        found = consumer.committed([confluent_kafka.TopicPartition(topic, p)
                                    for p in range(partitions)], timeout=ADMIN_TIMEOUT_S)
        return {tp.partition: tp.offset for tp in found}
    finally:
        consumer.close()


def records(tag, count, timestamps=None, partition_of=None):
    """Records with keys, values, headers and explicit timestamps."""
    out = []
    for i in range(count):
        out.append(ProducedRecord(
            index=i, key=f"{tag}-key-{i}".encode(), value=f"{tag}-value-{i}".encode(),
            headers=(("index", str(i).encode()), ("tag", tag.encode())),
            timestamp=(timestamps[i] if timestamps else BASE_TIMESTAMP_MS + i)))
    return out


# --- usage errors ---------------------------------------------------------------

@pytest.mark.parametrize("args", [
    [],
    ["topics"],
    ["topics", "explode"],
    ["topics", "create"],
    ["topics", "create", "t", "--partitions", "0"],
    ["topics", "create", "t", "--config", "no-equals-sign"],
    ["topics", "alter-config", "t"],
    ["topics", "list", "--output", "yaml"],
    ["topics", "list", "--no-such-flag"],
    ["groups", "reset-offsets", "g", "--topic", "t"],
    ["groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"],
    ["groups", "reset-offsets", "g", "--topic", "t", "--to-timestamp", "noon"],
    ["consume", "t", "--from", "middle"],
    ["restore", "--topic", "a", "--to", "b"],
    ["restore", "--topic", "a", "--to", "a", "--until", "0"],
    ["restore", "--topic", "a", "--to", "b", "--until", "2024-02-30T00:00:00Z"],
])
def test_bad_arguments_exit_2_with_usage(broker, args):
    result = run_cli(broker, *args)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Usage:" in stderr and "error" in stderr
    assert result.stdout == b""


def test_bad_bootstrap_exits_2(broker):
    result = run_cli(broker, "topics", "list", bootstrap="no-port-here")
    assert result.returncode == 2
    assert "Usage:" in result.stderr.decode()


def test_help_exits_0(broker):
    result = run_cli(broker, "groups", "--help")
    assert result.returncode == 0
    assert "reset-offsets" in result.stdout.decode()


def test_unreachable_broker_exits_1_with_message(broker):
    result = run_cli(broker, "--timeout-ms", "2000", "topics", "list",
                     bootstrap=f"127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "no broker reachable" in result.stderr.decode()


# --- topics -------------------------------------------------------------------------

def test_topics_create_list_describe_delete(broker):
    name = unique_topic("cli-create")
    out = cli_ok(broker, "topics", "create", name, "--partitions", "4", "--config", "retention.ms=7200000")
    assert f"created topic {name}" in out
    admin = confluent_admin(broker.bootstrap)
    wait_for_partitions(admin, name, 4)
    assert topic_config(broker.bootstrap, name, "retention.ms").value == "7200000"

    listed = cli_json(broker, "topics", "list")
    assert {"name": name, "partitions": 4, "internal": False} in listed
    assert name in cli_ok(broker, "topics", "list").split()

    confluent_produce(broker.bootstrap, name, records("d", 10), partition=2)
    described = cli_json(broker, "topics", "describe", name)
    assert described["name"] == name
    metadata = admin.list_topics(name, timeout=10).topics[name]
    assert [p["partition"] for p in described["partitions"]] == [0, 1, 2, 3]
    marks = watermarks(broker.bootstrap, name, 4)
    for p in described["partitions"]:
        assert p["leader"] == metadata.partitions[p["partition"]].leader
        assert (p["start_offset"], p["end_offset"]) == marks[p["partition"]]
    assert described["partitions"][2]["end_offset"] == 10
    assert described["configs"]["retention.ms"] == "7200000"
    table = cli_ok(broker, "topics", "describe", name)
    assert "PARTITION" in table and "retention.ms" in table

    cli_fails(broker, "topics", "create", name, message="already exists")
    out = cli_ok(broker, "topics", "delete", name)
    assert f"deleted topic {name}" in out
    deadline = time.monotonic() + ADMIN_TIMEOUT_S
    while name in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cli_fails(broker, "topics", "delete", name, message="does not exist")
    cli_fails(broker, "topics", "describe", name, message="does not exist")


def test_topics_alter_config(broker, topic_factory):
    name = topic_factory(partitions=1)
    result = cli_json(broker, "topics", "alter-config", name, "--set", "retention.ms=123456",
                      "--set", "max.message.bytes=2000000")
    assert result["set"] == {"retention.ms": "123456", "max.message.bytes": "2000000"}
    assert topic_config(broker.bootstrap, name, "retention.ms").value == "123456"
    assert topic_config(broker.bootstrap, name, "max.message.bytes").value == "2000000"
    cli_ok(broker, "topics", "alter-config", name, "--delete", "retention.ms")
    entry = topic_config(broker.bootstrap, name, "retention.ms")
    assert entry.is_default or entry.value == "604800000"
    cli_fails(broker, "topics", "alter-config", unique_topic("missing"), "--set", "retention.ms=1",
              message="does not exist")


# --- produce and consume ---------------------------------------------------------------

def test_produce_lines_with_keys_reach_other_clients(broker, topic_factory):
    name = topic_factory(partitions=3)
    lines = [f"key-{i % 7}:value {i}" for i in range(50)] + ["no separator here"]
    result = cli_json(broker, "produce", name, "--key-separator", ":",
                      input_bytes=("\n".join(lines) + "\n").encode())
    assert result["records"] == 51
    consumed = confluent_consume(broker.bootstrap, name, 3, 51)
    got = sorted((r.key or b"", r.value) for r in consumed)
    expected = sorted([(f"key-{i % 7}".encode(), f"value {i}".encode()) for i in range(50)]
                      + [(b"", b"no separator here")])
    assert [r.key for r in consumed if r.value == b"no separator here"] == [None]
    assert got == expected
    # Keyed records land where Kafka's default (murmur2) partitioner puts them.
    partitioner = kafka.partitioner.DefaultPartitioner()
    for r in consumed:
        if r.key is not None:
            assert r.partition == partitioner(r.key, [0, 1, 2], [0, 1, 2])
    # Per key, the order of the input is kept.
    by_key = {}
    for r in sorted(consumed, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(r.key, []).append(int(r.value.split()[-1]) if r.key else 0)
    assert all(values == sorted(values) for values in by_key.values())


def test_produce_to_one_partition_without_trailing_newline(broker, topic_factory):
    name = topic_factory(partitions=2)
    out = cli_ok(broker, "produce", name, "--partition", "1", input_bytes=b"first\nsecond\nlast")
    assert "produced 3 records" in out
    consumed = confluent_consume(broker.bootstrap, name, 2, 3)
    assert [(r.partition, r.key, r.value) for r in sorted(consumed, key=lambda r: r.offset)] == [
        (1, None, b"first"), (1, None, b"second"), (1, None, b"last")]


def test_consume_matches_what_was_produced(broker, topic_factory):
    name = topic_factory(partitions=2)
    produced = records("c", 40)
    delivered = confluent_produce(broker.bootstrap, name, produced, compression="lz4")
    lines = cli_ok(broker, "--output", "json", "consume", name).splitlines()
    consumed = [json.loads(line) for line in lines]
    assert len(consumed) == 40
    by_value = {r.value.decode(): (r, d) for r, d in zip(produced, delivered)}
    for item in consumed:
        record, (partition, offset) = by_value[item["value"]]
        assert item["key"] == record.key.decode()
        assert (item["partition"], item["offset"]) == (partition, offset)
        assert item["timestamp"] == record.timestamp
        assert [(h["key"], h["value"].encode()) for h in item["headers"]] == list(record.headers)

    text = cli_ok(broker, "consume", name, "--partition", "0", "--key-separator", "=").splitlines()
    expected = [f"{r.key.decode()}={r.value.decode()}" for r, d in zip(produced, delivered) if d[0] == 0]
    assert text == expected
    assert len(cli_ok(broker, "consume", name, "--max-messages", "5").splitlines()) == 5
    assert cli_ok(broker, "consume", name, "--from", "end") == ""
    first_offset_3 = cli_ok(broker, "consume", name, "--partition", "0", "--from", "3").splitlines()
    assert first_offset_3 == [line.split("=", 1)[1] for line in expected[3:]]


# --- groups ------------------------------------------------------------------------------

def consume_with_group(bootstrap, topic, group, count):
    """A group member reads `count` records and commits; returns the open consumer."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "session.timeout.ms": 10000})
    consumer.subscribe([topic])
    read = 0
    deadline = time.monotonic() + 60
    while read < count:
        assert time.monotonic() < deadline, f"group consumer read {read} of {count}"
        for msg in consumer.consume(num_messages=count - read, timeout=0.5):
            assert msg.error() is None, msg.error()
            read += 1
    consumer.commit(asynchronous=False)
    return consumer


def test_groups_list_describe_reset_delete(broker, topic_factory):
    name = topic_factory(partitions=2)
    group = unique_topic("cli-group")
    produced = records("g", 30)
    delivered = confluent_produce(broker.bootstrap, name, produced)
    consumer = consume_with_group(broker.bootstrap, name, group, 30)
    try:
        # More records after the commit make a visible lag.
        confluent_produce(broker.bootstrap, name, records("late", 5), partition=0)
        described = cli_json(broker, "groups", "describe", group)
        assert described["state"] == "Stable"
        assert described["protocol_type"] == "consumer"
        assert len(described["members"]) == 1
        member = described["members"][0]
        assigned = {p for a in member["assignment"] if a["topic"] == name for p in a["partitions"]}
        assert assigned == {0, 1}
        counts = {p: sum(1 for d in delivered if d[0] == p) for p in (0, 1)}
        offsets = {o["partition"]: o for o in described["offsets"] if o["topic"] == name}
        marks = watermarks(broker.bootstrap, name, 2)
        for p in (0, 1):
            assert offsets[p]["committed_offset"] == counts[p]
            assert offsets[p]["end_offset"] == marks[p][1]
            assert offsets[p]["lag"] == marks[p][1] - counts[p]
            assert offsets[p]["member_id"] == member["member_id"]
        assert offsets[0]["lag"] == 5
        assert any(g["group"] == group for g in cli_json(broker, "groups", "list"))
        assert group in cli_ok(broker, "groups", "list")

        cli_fails(broker, "groups", "reset-offsets", group, "--topic", name, "--to-earliest",
                  message="needs an empty group")
        cli_fails(broker, "groups", "delete", group, message="not empty")
    finally:
        consumer.close()

    reset = cli_json(broker, "groups", "reset-offsets", group, "--topic", name, "--to-earliest")
    assert {(o["partition"], o["new_offset"]) for o in reset["offsets"]} == {(0, 0), (1, 0)}
    assert committed_offsets(broker.bootstrap, group, name, 2) == {0: 0, 1: 0}

    dry = cli_json(broker, "groups", "reset-offsets", group, "--topic", name, "--to-latest", "--dry-run")
    assert dry["dry_run"] is True
    assert committed_offsets(broker.bootstrap, group, name, 2) == {0: 0, 1: 0}

    cli_ok(broker, "groups", "reset-offsets", group, "--topic", name, "--partitions", "0", "--to-offset", "3")
    assert committed_offsets(broker.bootstrap, group, name, 2) == {0: 3, 1: 0}
    # An offset past the end is clamped to the end, as Kafka's tool does.
    cli_ok(broker, "groups", "reset-offsets", group, "--topic", name, "--partitions", "1", "--to-offset", "999999")
    assert committed_offsets(broker.bootstrap, group, name, 2)[1] == watermarks(broker.bootstrap, name, 2)[1][1]

    # The first offset at or after a timestamp: records carry BASE + index.
    cut = BASE_TIMESTAMP_MS + 10
    cli_ok(broker, "groups", "reset-offsets", group, "--topic", name, "--to-timestamp", str(cut))
    expected = {}
    for p in (0, 1):
        at_or_after = [d[1] for r, d in zip(produced, delivered) if d[0] == p and r.timestamp >= cut]
        expected[p] = min(at_or_after)
    assert committed_offsets(broker.bootstrap, group, name, 2) == expected

    cli_ok(broker, "groups", "reset-offsets", group, "--topic", name, "--to-latest")
    marks = watermarks(broker.bootstrap, name, 2)
    assert committed_offsets(broker.bootstrap, group, name, 2) == {p: marks[p][1] for p in (0, 1)}
    assert all(o["lag"] == 0 for o in cli_json(broker, "groups", "describe", group)["offsets"])

    assert f"deleted group {group}" in cli_ok(broker, "groups", "delete", group)
    assert not any(g["group"] == group for g in cli_json(broker, "groups", "list"))
    cli_fails(broker, "groups", "describe", group, message="does not exist")
    cli_fails(broker, "groups", "reset-offsets", group, "--topic", unique_topic("none"), "--to-earliest",
              message="does not exist")


# --- cluster status --------------------------------------------------------------------------

def test_cluster_status(broker, topic_factory):
    name = topic_factory(partitions=3)
    status = cli_json(broker, "cluster", "status", "--metrics-url",
                      f"http://{broker.host}:{broker.metrics_port}")
    assert [(b["host"], b["port"], b["reachable"]) for b in status["brokers"]] == [
        (broker.host, broker.port, True)]
    admin = confluent_admin(broker.bootstrap)
    metadata = admin.list_topics(timeout=10)
    assert status["cluster_id"] == metadata.cluster_id
    owners = {t["topic"]: t["partitions"] for t in status["topics"]}
    assert [(p["partition"], p["leader"]) for p in owners[name]] == [
        (p, metadata.topics[name].partitions[p].leader) for p in range(3)]
    assert status["health"]["s3"]["status"] == "ok"
    assert status["health"]["etcd"]["status"] == "ok"
    table = cli_ok(broker, "cluster", "status")
    assert "Brokers" in table and "Partition owners" in table and name in table

    unknown = cli_json(broker, "cluster", "status", "--metrics-url", f"http://127.0.0.1:{free_port()}")
    assert unknown["health"]["s3"]["status"] == "unknown"
    assert unknown["health"]["etcd"]["status"] == "unknown"
    assert cli_json(broker, "cluster", "status")["health"]["s3"]["status"] == "unknown"


# --- restore -----------------------------------------------------------------------------------

def test_restore_cuts_at_the_timestamp_and_refuses_existing_topic(broker, topic_factory):
    source = topic_factory(partitions=3, config={"retention.ms": "86400000"})
    base = BASE_TIMESTAMP_MS
    cutoff = base + 50
    # Partition 0: in-range records, one after the cut-off, then an older one
    # that must not be copied (the copy stops at the first later record).
    p0 = records("p0", 8, timestamps=[base + 10, base + 20, base + 30, base + 50, base + 60,
                                      base + 40, base + 45, base + 70])
    # Partition 1: many records in few compressed batches, cut mid-batch.
    p1 = records("p1", 200, timestamps=[base + i // 2 for i in range(200)])
    # Partition 2: everything before the cut-off.
    p2 = records("p2", 20, timestamps=[base + i for i in range(20)])
    confluent_produce(broker.bootstrap, source, p0, partition=0)
    confluent_produce(broker.bootstrap, source, p1, partition=1, compression="lz4",
                      extra_config={"linger.ms": 200})
    confluent_produce(broker.bootstrap, source, p2, partition=2)

    destination = unique_topic("restored")
    result = cli_json(broker, "restore", "--topic", source, "--to", destination, "--until", str(cutoff))
    expected = {0: p0[:4], 1: [r for r in p1 if r.timestamp <= cutoff], 2: p2}
    assert result["records"] == sum(len(v) for v in expected.values())
    by_partition = {p["partition"]: p for p in result["partitions"]}
    assert by_partition[0]["stopped_at"] == "cutoff"
    assert by_partition[2]["stopped_at"] == "end"

    admin = confluent_admin(broker.bootstrap)
    wait_for_partitions(admin, destination, 3)
    assert topic_config(broker.bootstrap, destination, "retention.ms").value == "86400000"
    consumed = confluent_consume(broker.bootstrap, destination, 3, result["records"])
    for p in range(3):
        got = sorted((r for r in consumed if r.partition == p), key=lambda r: r.offset)
        assert [(r.key, r.value, r.headers, r.timestamp) for r in got] == [
            (r.key, r.value, r.headers, r.timestamp) for r in expected[p]], f"partition {p}"
        assert all(r.timestamp <= cutoff for r in got)
    assert max(r.timestamp for r in consumed) == cutoff

    before = watermarks(broker.bootstrap, destination, 3)
    cli_fails(broker, "restore", "--topic", source, "--to", destination, "--until", str(cutoff),
              message="already exists")
    assert watermarks(broker.bootstrap, destination, 3) == before
    cli_fails(broker, "restore", "--topic", unique_topic("missing"), "--to", unique_topic("new"),
              "--until", "2024-01-01T00:00:00Z", message="does not exist")


def test_restore_accepts_rfc3339(broker, topic_factory):
    source = topic_factory(partitions=1)
    confluent_produce(broker.bootstrap, source, records("r", 5, timestamps=[
        BASE_TIMESTAMP_MS + i * 1000 for i in range(5)]))
    destination = unique_topic("restored")
    # BASE_TIMESTAMP_MS is 2023-11-14T22:13:20Z; two seconds later, in +01:00.
    result = cli_json(broker, "restore", "--topic", source, "--to", destination,
                      "--until", "2023-11-14T23:13:22+01:00")
    assert result["records"] == 3

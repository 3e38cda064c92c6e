"""Acknowledged records, topics and committed offsets survive kill -9.

Offsets continue without gaps or reuse after the restart. The broker compacts
right after each flush (KAFSCALE_COMPACTION_INTERVAL_MS=0), so a crash can hit
a WAL upload, a compaction or neither; data still in WAL objects at the crash
is compacted by the restarted broker, and the tests that inspect segments wait
for that.
"""

import threading
import time
from collections import defaultdict

import confluent_kafka
import pytest
from confluent_kafka.admin import ConfigResource, NewPartitions

from clients import confluent_admin, confluent_consume, confluent_produce, watermarks
from conftest import (ADMIN_TIMEOUT_S, create_topic, unique_topic, wait_for_futures,
                      wait_for_partitions)
from dataset import make_records
from segments import COMPACT_AT_ONCE, check_all_segments, wait_until_compacted

PARTITIONS = 3
RECORDS_BEFORE_CRASH = 3000
RECORDS_AFTER_RESTART = 1000
WAIT_TIMEOUT_S = 60
PRODUCE_CHUNK = 20
PRODUCE_PAUSE_S = 0.01  # about 2,000 records/s: steady traffic, not a flood
RECORDS_AFTER_CHECK = 50


@pytest.fixture(scope="module")
def broker_env():
    return dict(COMPACT_AT_ONCE)


class ContinuousProducer:
    """Produces numbered records with acks=all from a thread until stopped.

    Records every acknowledged (partition, offset, value) and every delivery
    error. The thread owns the librdkafka producer; other threads only read
    the counters and call stop().
    """

    def __init__(self, bootstrap, topic, compression="none"):
        self.topic = topic
        self.acked = []
        self.errors = []
        self.produced = set()
        self._stop = threading.Event()
        self._producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "compression.type": compression,
            "linger.ms": 2,
            "message.timeout.ms": WAIT_TIMEOUT_S * 1000,
            "reconnect.backoff.max.ms": 500,
            "retry.backoff.ms": 100,
        })
        self._thread = threading.Thread(target=self._run, name="continuous-producer")
        self.thread_error = None

    def _on_delivery(self, err, msg):
        if err is not None:
            self.errors.append((msg.value(), str(err)))
        else:
            self.acked.append((msg.partition(), msg.offset(), msg.value()))

    def _run(self):
        try:
            sequence = 0
            while not self._stop.is_set():
                for _ in range(PRODUCE_CHUNK):
                    value = f"durable-{sequence}".encode()
                    self._producer.produce(self.topic, key=str(sequence % 13).encode(),
                                           value=value, on_delivery=self._on_delivery)
                    self.produced.add(value)
                    sequence += 1
                self._producer.poll(PRODUCE_PAUSE_S)
            self._producer.flush(WAIT_TIMEOUT_S)
        except Exception as err:  # reported by stop() in the test thread
            self.thread_error = err

    def start(self):
        self._thread.start()

    def wait_for_acks(self, count):
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while len(self.acked) < count:
            assert self._thread.is_alive(), f"producer thread died: {self.thread_error!r}"
            assert time.monotonic() < deadline, \
                f"only {len(self.acked)} of {count} records acknowledged in {WAIT_TIMEOUT_S}s"
            time.sleep(0.05)

    def stop(self):
        """Stops producing and waits for every queued record to be settled."""
        self._stop.set()
        self._thread.join(WAIT_TIMEOUT_S + 10)
        assert not self._thread.is_alive(), "producer did not finish flushing"
        assert self.thread_error is None, f"producer thread failed: {self.thread_error!r}"


def read_whole_log(bootstrap, topic):
    """Every record in the topic, checked to have dense offsets 0..high-1."""
    marks = watermarks(bootstrap, topic, PARTITIONS)
    assert all(low == 0 for low, _ in marks.values()), f"log start moved: {marks}"
    total = sum(high for _, high in marks.values())
    consumed = confluent_consume(bootstrap, topic, PARTITIONS, total)
    by_partition = defaultdict(list)
    for c in consumed:
        by_partition[c.partition].append(c.offset)
    for partition, (_, high) in marks.items():
        assert by_partition[partition] == list(range(high)), \
            f"partition {partition}: offsets read are not exactly 0..{high - 1}"
    return {(c.partition, c.offset): c.value for c in consumed}, marks


def assert_acked_records_present(acked, log):
    lost = [(p, o, v) for p, o, v in acked if log.get((p, o)) != v]
    assert not lost, (f"{len(lost)} of {len(acked)} acknowledged records missing or different, "
                      f"first: {[(p, o, v, log.get((p, o))) for p, o, v in lost[:5]]}")


def assert_offsets_continue(bootstrap, topic, marks):
    """New records land right after the old end: no gap, no reused offset.

    Returns {partition: new high watermark}.
    """
    for partition, (_, high) in marks.items():
        records = make_records(f"after-{partition}", RECORDS_AFTER_CHECK)
        acks = confluent_produce(bootstrap, topic, records, partition=partition)
        assert acks == [(partition, high + i) for i in range(len(records))], \
            f"partition {partition}: new offsets {acks[:3]}... do not start at {high}"
    return {partition: high + RECORDS_AFTER_CHECK for partition, (_, high) in marks.items()}


def assert_segments_well_formed(broker, topic, highs):
    """Once the restarted broker has compacted everything (including what was
    still in WAL objects at the crash), every segment is well-formed."""
    wait_until_compacted(broker, topic, highs, after_crash=True)
    assert check_all_segments(broker, topic) > 0


@pytest.fixture
def topic(broker):
    return create_topic(broker.bootstrap, unique_topic("durable"), PARTITIONS)


@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_kill_9_mid_stream_loses_no_acknowledged_record(broker, topic, codec):
    producer = ContinuousProducer(broker.bootstrap, topic, codec)
    producer.start()
    try:
        producer.wait_for_acks(RECORDS_BEFORE_CRASH)
        broker.kill()
        acked_at_crash = len(producer.acked)
        time.sleep(1)  # the producer keeps queueing while the broker is down
        broker.start()
        producer.wait_for_acks(acked_at_crash + RECORDS_AFTER_RESTART)
    finally:
        producer.stop()

    assert not producer.errors, (f"{len(producer.errors)} deliveries failed across the "
                                 f"restart, first: {producer.errors[:3]}")
    log, marks = read_whole_log(broker.bootstrap, topic)
    assert_acked_records_present(producer.acked, log)
    strangers = [v for v in log.values() if v not in producer.produced]
    assert not strangers, f"log holds records nobody produced: {strangers[:3]}"
    highs = assert_offsets_continue(broker.bootstrap, topic, marks)
    # A crash mid-upload must not leave a torn object behind.
    assert_segments_well_formed(broker, topic, highs)


def test_kill_9_right_after_acknowledgement(broker, topic):
    """An ack means durable: a crash the instant it arrives loses nothing."""
    records = make_records("instant", 2000)
    acks = confluent_produce(broker.bootstrap, topic, records)
    broker.restart(hard=True)
    log, marks = read_whole_log(broker.bootstrap, topic)
    assert_acked_records_present(
        [(p, o, r.value) for (p, o), r in zip(acks, records)], log)
    assert sum(high for _, high in marks.values()) == len(records)
    assert_offsets_continue(broker.bootstrap, topic, marks)


def test_sigterm_flushes_and_restart_serves_everything(broker, topic):
    records = make_records("graceful", 2000)
    acks = confluent_produce(broker.bootstrap, topic, records)
    assert broker.stop() == 0, "SIGTERM must end the broker with exit code 0"
    broker.start()
    log, marks = read_whole_log(broker.bootstrap, topic)
    assert_acked_records_present(
        [(p, o, r.value) for (p, o), r in zip(acks, records)], log)
    assert sum(high for _, high in marks.values()) == len(records)


def test_repeated_crashes_keep_topics_and_data(broker, topic):
    records = make_records("repeat", 300)
    acks = confluent_produce(broker.bootstrap, topic, records)
    for _ in range(3):
        broker.restart(hard=True)
    log, marks = read_whole_log(broker.bootstrap, topic)
    assert_acked_records_present(
        [(p, o, r.value) for (p, o), r in zip(acks, records)], log)
    highs = assert_offsets_continue(broker.bootstrap, topic, marks)
    assert_segments_well_formed(broker, topic, highs)


def test_admin_changes_survive_kill_9(broker):
    """Created, grown, reconfigured and deleted topics stay that way after a crash."""
    admin = confluent_admin(broker.bootstrap)
    kept, grown, dropped = (unique_topic(p) for p in ("kept", "grown", "dropped"))
    for name in (kept, grown, dropped):
        create_topic(broker.bootstrap, name, 2, config={"retention.ms": "3600000"})
    assert wait_for_futures(admin.create_partitions(
        [NewPartitions(grown, 5)], operation_timeout=ADMIN_TIMEOUT_S))[grown] is None
    resource = ConfigResource(ConfigResource.Type.TOPIC, kept,
                              set_config={"retention.ms": "60000"})
    assert wait_for_futures(admin.alter_configs([resource]))[resource] is None
    assert wait_for_futures(admin.delete_topics(
        [dropped], operation_timeout=ADMIN_TIMEOUT_S))[dropped] is None

    broker.restart(hard=True)
    admin = confluent_admin(broker.bootstrap)
    topics = admin.list_topics(timeout=10).topics
    assert dropped not in topics, "a deleted topic came back after the crash"
    assert len(wait_for_partitions(admin, kept, 2).partitions) == 2
    assert len(wait_for_partitions(admin, grown, 5).partitions) == 5
    described = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, kept)])
    entries = next(iter(described.values())).result(timeout=ADMIN_TIMEOUT_S)
    assert entries["retention.ms"].value == "60000"


def test_committed_offsets_survive_kill_9(broker, topic):
    confluent_produce(broker.bootstrap, topic, make_records("commit", 30))
    group = unique_topic("durable-group")
    committed = [confluent_kafka.TopicPartition(topic, p, 5 + p) for p in range(PARTITIONS)]
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap,
                                         "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=committed, asynchronous=False)
    finally:
        consumer.close()

    broker.restart(hard=True)
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap,
                                         "group.id": group, "enable.auto.commit": False})
    try:
        found = consumer.committed(
            [confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
    finally:
        consumer.close()
    assert [(tp.partition, tp.offset) for tp in found] == \
        [(tp.partition, tp.offset) for tp in committed]

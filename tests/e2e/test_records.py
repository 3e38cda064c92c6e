"""Record-level edge cases a user hits sooner or later.

Null and empty fields, records far larger than a batch, acks=0 and acks=1,
reading from the middle of a compressed batch, a fetch size smaller than
one batch, and producing to topics that do not exist.
"""

import threading
import time

import confluent_kafka
import pytest

from clients import (confluent_admin, confluent_consume, confluent_produce,
                     kafka_python_consume, kafka_python_produce, watermarks)
from conftest import start_broker, unique_topic, wait_for_partitions
from dataset import ProducedRecord, make_records

LARGE_VALUE_BYTES = 4 * 1024 * 1024
AUTO_CREATE_PARTITIONS = 2
LONG_POLL_MS = 9000


def odd_records(null_header_values=True):
    """Null key, null value (a tombstone), empty key and value, null and empty headers.

    kafka-python cannot send a null header value, hence the switch.
    """
    shapes = [(None, b"plain"), (b"k", None), (b"", b""), (b"k", b"v")]
    header_sets = [(), (("empty", b""),), (("dup", b"1"), ("dup", b"2"))]
    if null_header_values:
        header_sets.append((("null", None),))
    return [ProducedRecord(index=i, key=key, value=value, headers=headers,
                           timestamp=1_700_000_000_000 + i)
            for i, ((key, value), headers) in enumerate(
                (shape, headers) for shape in shapes for headers in header_sets)]


def as_tuples(consumed):
    return [(c.key, c.value, tuple(c.headers), c.timestamp)
            for c in sorted(consumed, key=lambda c: c.offset)]


@pytest.mark.parametrize("client", ["confluent", "kafka-python"])
def test_null_and_empty_fields_round_trip(broker, topic_factory, client):
    topic = topic_factory(1, prefix=f"odd-{client}")
    records = odd_records(null_header_values=client == "confluent")
    if client == "confluent":
        confluent_produce(broker.bootstrap, topic, records, partition=0)
        consumed = confluent_consume(broker.bootstrap, topic, 1, len(records))
    else:
        kafka_python_produce(broker.bootstrap, topic, records)
        consumed = kafka_python_consume(broker.bootstrap, topic, 1, len(records))
    assert as_tuples(consumed) == [(r.key, r.value, r.headers, r.timestamp) for r in records]


def test_large_records(broker, topic_factory):
    # As in Kafka, records above 1 MiB need the topic's max.message.bytes raised.
    topic = topic_factory(1, prefix="large",
                          config={"max.message.bytes": str(2 * LARGE_VALUE_BYTES)})
    records = [ProducedRecord(index=i, key=f"big-{i}".encode(),
                              value=bytes([65 + i]) * LARGE_VALUE_BYTES, headers=(),
                              timestamp=1_700_000_000_000 + i) for i in range(3)]
    acks = confluent_produce(broker.bootstrap, topic, records, partition=0,
                             extra_config={"message.max.bytes": 2 * LARGE_VALUE_BYTES})
    assert acks == [(0, 0), (0, 1), (0, 2)]
    consumed = confluent_consume(broker.bootstrap, topic, 1, len(records))
    assert [(c.offset, c.key, c.value) for c in consumed] == \
        [(i, r.key, r.value) for i, r in enumerate(records)]


@pytest.mark.parametrize("acks", ["0", "1"])
def test_weaker_acks_still_deliver(broker, topic_factory, acks):
    topic = topic_factory(2, prefix=f"acks{acks}")
    records = make_records(f"acks{acks}", 500)
    confluent_produce(broker.bootstrap, topic, records, extra_config={"acks": acks})
    consumed = confluent_consume(broker.bootstrap, topic, 2, len(records))
    assert sorted(c.value for c in consumed) == sorted(r.value for r in records)


def test_read_from_the_middle_of_a_compressed_batch(broker, topic_factory):
    """Fetch returns whole batches; the client must still start at the asked offset."""
    topic = topic_factory(1, prefix="mid-batch")
    records = make_records("mid", 1000)
    # kafka-python compresses whatever versions the broker advertises.
    kafka_python_produce(broker.bootstrap, topic, records, "gzip")
    start = 555
    consumed = confluent_consume(broker.bootstrap, topic, 1, len(records) - start,
                                 start_offsets={0: start})
    assert [c.offset for c in consumed] == list(range(start, len(records)))
    assert consumed[0].value == records[start].value


def test_fetch_size_smaller_than_a_batch_still_progresses(broker, topic_factory):
    """A batch bigger than max.partition.fetch.bytes is still returned whole (KIP-74)."""
    topic = topic_factory(1, prefix="small-fetch")
    records = make_records("small-fetch", 3000)
    confluent_produce(broker.bootstrap, topic, records, partition=0,
                      extra_config={"linger.ms": 100})
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": "e2e-small-fetch",
        "enable.auto.commit": False, "max.partition.fetch.bytes": 1024,
        "fetch.max.bytes": 1024, "message.max.bytes": 1024})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0,
                                                        confluent_kafka.OFFSET_BEGINNING)])
        values = []
        deadline = time.monotonic() + 60
        while len(values) < len(records) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert not msg.error(), msg.error()
                values.append(msg.value())
    finally:
        consumer.close()
    assert values == [r.value for r in records]


@pytest.mark.parametrize("reset,expected_first", [("earliest", 0), ("latest", None)])
def test_offset_out_of_range_resets(broker, topic_factory, reset, expected_first):
    """A consumer asking for an offset past the end is reset per auto.offset.reset."""
    topic = topic_factory(1, prefix=f"reset-{reset}")
    records = make_records("reset", 20)
    confluent_produce(broker.bootstrap, topic, records, partition=0)
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": f"e2e-reset-{topic}",
        "enable.auto.commit": False, "auto.offset.reset": reset})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 1_000_000)])
        if expected_first is None:
            # "latest": nothing old arrives, a record produced now does.
            assert not [m for m in consumer.consume(num_messages=100, timeout=3)
                        if not m.error()]
            confluent_produce(broker.bootstrap, topic, make_records("late", 1), partition=0)
            expected_first = len(records)
        deadline = time.monotonic() + 30
        first = None
        while first is None and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1, timeout=0.5):
                assert not msg.error(), msg.error()
                first = msg.offset()
    finally:
        consumer.close()
    assert first == expected_first


def test_long_poll_fetch_wakes_up_for_new_data(broker, topic_factory):
    """A consumer waiting in a long fetch gets a new record promptly, not at MaxWaitMs."""
    topic = topic_factory(1, prefix="long-poll")
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": f"e2e-long-poll-{topic}",
        "enable.auto.commit": False, "fetch.wait.max.ms": LONG_POLL_MS, "fetch.min.bytes": 1})
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_END)])
        consumer.consume(num_messages=1, timeout=1)  # the first fetch is now parked
        sent = time.monotonic()
        confluent_produce(broker.bootstrap, topic, make_records("wake", 1), partition=0)
        received = None
        while received is None and time.monotonic() - sent < 2 * LONG_POLL_MS / 1000:
            for msg in consumer.consume(num_messages=1, timeout=0.1):
                assert not msg.error(), msg.error()
                received = time.monotonic()
    finally:
        consumer.close()
    assert received is not None, "the record never arrived"
    assert received - sent < LONG_POLL_MS / 1000 / 3, \
        f"the record took {received - sent:.1f}s: the fetch was not woken by new data"


def test_concurrent_producers_get_unique_dense_offsets(broker, topic_factory):
    """Several producers racing on one partition: every ack is a distinct offset."""
    topic = topic_factory(1, prefix="race")
    batches = [make_records(f"race-{n}", 2000) for n in range(4)]
    acks = [None] * len(batches)
    failures = []

    def produce(n):
        try:
            acks[n] = confluent_produce(broker.bootstrap, topic, batches[n], partition=0)
        except Exception as err:  # reported by the test thread below
            failures.append(err)

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, f"producers failed: {failures}"
    assert all(a is not None for a in acks), "a producer hung"

    offsets = sorted(o for producer_acks in acks for _, o in producer_acks)
    assert offsets == list(range(sum(len(b) for b in batches))), "offsets reused or skipped"
    for producer_acks in acks:
        own = [o for _, o in producer_acks]
        assert own == sorted(own), "one producer's records were reordered"
    log = {c.offset: c.value
           for c in confluent_consume(broker.bootstrap, topic, 1, len(offsets))}
    wrong = [(o, r.value) for records, producer_acks in zip(batches, acks)
             for r, (_, o) in zip(records, producer_acks) if log[o] != r.value]
    assert not wrong, f"acknowledged offsets hold other records: {wrong[:3]}"


def test_produce_to_unknown_topic_fails_when_auto_create_is_off(broker):
    topic = unique_topic("nowhere")
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap,
                                         "message.timeout.ms": 3000})
    errors = []
    producer.produce(topic, b"lost", on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(15) == 0
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() in (confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART,
                                confluent_kafka.KafkaError._MSG_TIMED_OUT)
    assert topic not in confluent_admin(broker.bootstrap).list_topics(timeout=10).topics


@pytest.fixture(scope="module")
def auto_create_broker(tmp_path_factory):
    broker = start_broker(tmp_path_factory, "auto-create", {
        "KAFSCALE_AUTO_CREATE_TOPICS": "true",
        "KAFSCALE_AUTO_CREATE_PARTITIONS": str(AUTO_CREATE_PARTITIONS)})
    yield broker
    broker.close()


def test_auto_create_makes_topic_on_first_produce(auto_create_broker):
    topic = unique_topic("auto")
    records = make_records("auto", 50)
    confluent_produce(auto_create_broker.bootstrap, topic, records)
    wait_for_partitions(confluent_admin(auto_create_broker.bootstrap), topic,
                        AUTO_CREATE_PARTITIONS)
    marks = watermarks(auto_create_broker.bootstrap, topic, AUTO_CREATE_PARTITIONS)
    assert sum(high for _, high in marks.values()) == len(records)

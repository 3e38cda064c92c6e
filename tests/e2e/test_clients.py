"""Each real client library produces 10,000 records and reads every one back intact."""

import time

import pytest

from clients import (confluent_consume, confluent_produce, kafka_python_consume,
                     kafka_python_produce, kcat_consume, kcat_produce, node_roundtrip)
from dataset import assert_read_back, make_records, write_records_file
from segments import COMPACT_AT_ONCE, broker_high_watermarks, stored_codecs, wait_until_compacted

RECORD_COUNT = 10_000
PARTITIONS = 3
ALL_CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
KCAT_HEADERS = (("client", b"kcat"), ("suite", b"e2e"))


@pytest.fixture(scope="module")
def broker_env():
    # The stored codecs are read from segments: compact right after each flush.
    return dict(COMPACT_AT_ONCE)


def assert_acks_match_log(records, acks, consumed):
    """The (partition, offset) a producer was acknowledged holds that very record."""
    at = {(c.partition, c.offset): c.value for c in consumed}
    wrong = [(r.index, ack, at.get(ack, b"<nothing>")[:40])
             for r, ack in zip(records, acks) if at.get(ack) != r.value]
    assert not wrong, f"{len(wrong)} acknowledged positions hold other data, first: {wrong[:5]}"


def assert_stored_with_codec(broker, topic, codec):
    """The producer really compressed: the stored batches carry the codec asked for.

    Clients may send a batch uncompressed when compression does not shrink it,
    so "none" may appear beside the codec, but the codec must be there.
    """
    highs = broker_high_watermarks(broker, topic, PARTITIONS)
    assert sum(highs.values()) == RECORD_COUNT, f"high watermarks {highs}"
    wait_until_compacted(broker, topic, highs)
    codecs = stored_codecs(broker, topic)
    assert codec in codecs and codecs <= {codec, "none"}, \
        f"asked for {codec}, the stored batches use {sorted(codecs)}"


def reread_with_confluent(broker, topic, records, timestamp_window=None):
    """A second, independent reader sees the same log as the producing client."""
    consumed = confluent_consume(broker.bootstrap, topic, PARTITIONS, len(records))
    assert_read_back(records, consumed, PARTITIONS, timestamp_window)


@pytest.mark.parametrize("codec", ALL_CODECS)
def test_confluent_kafka(broker, topic_factory, codec):
    topic = topic_factory(PARTITIONS, prefix=f"confluent-{codec}")
    records = make_records("confluent", RECORD_COUNT)
    acks = confluent_produce(broker.bootstrap, topic, records, codec)
    consumed = confluent_consume(broker.bootstrap, topic, PARTITIONS, RECORD_COUNT)
    assert_read_back(records, consumed, PARTITIONS)
    assert_acks_match_log(records, acks, consumed)
    assert_stored_with_codec(broker, topic, codec)


@pytest.mark.parametrize("codec", ALL_CODECS)
def test_kafka_python(broker, topic_factory, codec):
    topic = topic_factory(PARTITIONS, prefix=f"kafka-python-{codec}")
    records = make_records("kafka-python", RECORD_COUNT)
    acks = kafka_python_produce(broker.bootstrap, topic, records, codec)
    consumed = kafka_python_consume(broker.bootstrap, topic, PARTITIONS, RECORD_COUNT)
    assert_read_back(records, consumed, PARTITIONS)
    assert_acks_match_log(records, acks, consumed)
    reread_with_confluent(broker, topic, records)
    assert_stored_with_codec(broker, topic, codec)


@pytest.mark.parametrize("codec", ALL_CODECS)
def test_kcat(broker, topic_factory, codec):
    topic = topic_factory(PARTITIONS, prefix=f"kcat-{codec}")
    records = make_records("kcat", RECORD_COUNT, fixed_headers=KCAT_HEADERS,
                           with_timestamps=False)
    started_ms = int(time.time() * 1000)
    kcat_produce(broker.bootstrap, topic, records, codec, KCAT_HEADERS)
    window = (started_ms, int(time.time() * 1000))
    consumed = kcat_consume(broker.bootstrap, topic, RECORD_COUNT)
    assert_read_back(records, consumed, PARTITIONS, timestamp_window=window)
    reread_with_confluent(broker, topic, records, timestamp_window=window)
    assert_stored_with_codec(broker, topic, codec)


NODE_CLIENTS = [
    # KafkaJS ships gzip only; @platformatic/kafka's zstd needs Node.js >= 22.
    ("kafkajs_roundtrip.mjs", "none"),
    ("kafkajs_roundtrip.mjs", "gzip"),
    ("platformatic_roundtrip.mjs", "none"),
    ("platformatic_roundtrip.mjs", "gzip"),
    ("platformatic_roundtrip.mjs", "snappy"),
    ("platformatic_roundtrip.mjs", "lz4"),
]


@pytest.mark.parametrize("script,codec", NODE_CLIENTS)
def test_node_client(broker, topic_factory, node_clients, tmp_path, script, codec):
    tag = script.split("_")[0]
    topic = topic_factory(PARTITIONS, prefix=f"{tag}-{codec}")
    records = make_records(tag, RECORD_COUNT)
    records_file = tmp_path / "records.jsonl"
    write_records_file(records, records_file)
    acks, consumed, consume_error = node_roundtrip(script, broker.bootstrap, topic,
                                                   records_file, RECORD_COUNT, codec)
    assert {a["partition"] for a in acks} == set(range(PARTITIONS))
    reread_with_confluent(broker, topic, records)
    assert consume_error is None, \
        f"{tag} consumer group failed: {consume_error.splitlines()[0]}"
    assert_read_back(records, consumed, PARTITIONS)
    assert_stored_with_codec(broker, topic, codec)

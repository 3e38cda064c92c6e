"""The objects the broker writes are KafScale segments, decoded here independently.

See segments.py for the format (DESIGN.md section 4).
"""

import time
from collections import defaultdict
from dataclasses import dataclass

import pytest

import wire
from clients import ClientError, confluent_consume, confluent_produce, kafka_python_produce
from conftest import create_topic, unique_topic
from dataset import make_records
from segments import (COMPACT_AT_ONCE, HEADER_SIZE, SEGMENT_NAME, acked_high_watermarks,
                      check_batches, check_footer, check_index, read_topic_segments,
                      topic_objects, wait_until_compacted)

PARTITIONS = 3
# Each (client, codec, count) produces one stretch of the log.
WORKLOAD = [("confluent", "none", 4000), ("confluent", "gzip", 1500),
            ("confluent", "zstd", 1500), ("kafka-python", "lz4", 800),
            ("kafka-python", "snappy", 800)]


@pytest.fixture(scope="module")
def broker_env():
    # Small segments so every partition gets several of them; the compactor
    # writes them right after each flush.
    return {"KAFSCALE_SEGMENT_BYTES": str(64 * 1024), "KAFSCALE_COMPACTED_SEGMENT_BYTES": str(64 * 1024),
            "KAFSCALE_FLUSH_INTERVAL_MS": "20",
            **COMPACT_AT_ONCE}


@dataclass
class Produced:
    topic: str
    started_ms: int
    stopped_ms: int
    by_position: dict  # (partition, offset) -> ProducedRecord


@pytest.fixture(scope="module")
def produced(broker):
    """Produces the workload, waits until the compactor has written it all as
    segments, then stops the broker so every segment is final."""
    topic = create_topic(broker.bootstrap, unique_topic("segments"), PARTITIONS)
    started_ms = int(time.time() * 1000)
    by_position = {}
    for client, codec, count in WORKLOAD:
        records = make_records(f"{client}-{codec}", count)
        if client == "confluent":
            acks = confluent_produce(broker.bootstrap, topic, records, codec)
        else:
            acks = kafka_python_produce(broker.bootstrap, topic, records, codec)
        by_position.update(zip(acks, records))
    wait_until_compacted(broker, topic, acked_high_watermarks(by_position))
    assert broker.stop() == 0
    return Produced(topic, started_ms, int(time.time() * 1000), by_position)


@pytest.fixture(scope="module")
def segments(broker, produced):
    """{partition: [Segment, ...]} in offset order."""
    return read_topic_segments(broker, produced.topic)


def test_object_keys_follow_the_s3_layout(broker, produced):
    root = topic_objects(broker, produced.topic)
    assert root.is_dir(), f"no objects under {root}"
    assert sorted(p.name for p in root.iterdir()) == [str(p) for p in range(PARTITIONS)]
    for partition_dir in root.iterdir():
        names = [p.name for p in partition_dir.iterdir()]
        assert names, f"partition {partition_dir.name} has no segments"
        bad = [n for n in names if not SEGMENT_NAME.fullmatch(n)]
        assert not bad, f"unexpected object names: {bad[:5]}"
        stems = defaultdict(set)
        for name in names:
            stem, kind = SEGMENT_NAME.fullmatch(name).groups()
            stems[stem].add(kind)
        unpaired = {s: k for s, k in stems.items() if k != {"kfs", "index"}}
        assert not unpaired, f"segments without their pair: {unpaired}"


def test_segment_headers(segments, produced):
    for segment in (s for group in segments.values() for s in group):
        where = f"partition {segment.partition} segment {segment.name_offset}"
        assert segment.base_offset == segment.name_offset, \
            f"{where}: header base offset {segment.base_offset}"
        assert segment.message_count == sum(h.record_count for _, h in segment.batches), \
            f"{where}: header message count {segment.message_count}"
        assert produced.started_ms - 60_000 <= segment.created_ms <= produced.stopped_ms + 60_000, \
            f"{where}: created {segment.created_ms} is not the time of the test"


def test_batches_are_valid_and_contiguous(segments):
    for segment in (s for group in segments.values() for s in group):
        check_batches(segment)


def test_footers(segments):
    for segment in (s for group in segments.values() for s in group):
        check_footer(segment)


def test_segments_tile_each_partition_from_zero(segments, produced):
    acked_per_partition = defaultdict(int)
    for partition, _ in produced.by_position:
        acked_per_partition[partition] += 1
    assert sorted(segments) == list(range(PARTITIONS))
    for partition, group in segments.items():
        next_offset = 0
        for segment in group:
            assert segment.base_offset == next_offset, \
                f"partition {partition}: segment starts at {segment.base_offset}, " \
                f"expected {next_offset} (gap or overlap)"
            next_offset = segment.last_offset + 1
        assert next_offset == acked_per_partition[partition], \
            f"partition {partition}: segments end at {next_offset - 1}, " \
            f"{acked_per_partition[partition]} records were acknowledged"
    assert any(len(group) > 1 for group in segments.values()), \
        "expected several segments per partition with KAFSCALE_COMPACTED_SEGMENT_BYTES=64KiB"


def test_records_are_what_was_acknowledged(segments, produced):
    codecs = set()
    mismatches = []
    for partition, group in segments.items():
        for segment in group:
            for position, header in segment.batches:
                codecs.add(header.codec)
                for record in wire.decode_batch_records(segment.data, position, header):
                    want = produced.by_position.get((partition, record.offset))
                    got = (record.key, record.value, tuple(record.headers), record.timestamp)
                    if want is None or got != (want.key, want.value, want.headers,
                                               want.timestamp):
                        mismatches.append((partition, record.offset, got[1][:40]))
    assert not mismatches, f"{len(mismatches)} stored records differ from the acknowledged " \
                           f"ones, first: {mismatches[:5]}"
    assert codecs == {codec for _, codec, _ in WORKLOAD}, \
        f"batches keep the producer's compression; saw {codecs}"


def test_index_entries_point_at_batches(segments):
    for segment in (s for group in segments.values() for s in group):
        check_index(segment)


def test_corrupted_segment_is_never_served(broker, produced, segments):
    """Damage stored bytes behind the broker's back: it may refuse, never lie.

    One record value in an uncompressed batch gets a changed byte (so only the
    CRCs can tell). Reading that partition must yield only acknowledged
    values; the records before the damaged segment must still be served.
    """
    partition, segment = next((p, s) for p, group in segments.items() for s in group[1:]
                              if s.batches[0][1].codec == "none")
    target = produced.by_position[(partition, segment.base_offset)].value
    path = (topic_objects(broker, produced.topic) / str(partition)
            / f"segment-{segment.name_offset:020d}.kfs")
    data = bytearray(path.read_bytes())
    at = data.index(target, HEADER_SIZE)
    data[at] ^= 0x01
    path.write_bytes(bytes(data))

    broker.start()
    try:
        served = confluent_consume(broker.bootstrap, produced.topic, PARTITIONS,
                                   len(produced.by_position), timeout_s=15)
    except ClientError as refusal:  # refusing the damaged range is allowed
        served = refusal.partial
    assert broker.is_running(), "the broker crashed on a damaged segment"
    lies = [(c.partition, c.offset) for c in served
            if getattr(produced.by_position.get((c.partition, c.offset)), "value", None)
            != c.value]
    assert not lies, f"the broker served damaged records: {lies[:5]}"
    before_damage = [c for c in served
                     if c.partition == partition and c.offset < segment.base_offset]
    assert len(before_damage) == segment.base_offset, \
        "records before the damaged segment must still be readable"

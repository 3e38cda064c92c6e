"""Produced data lands in write-ahead objects, one per flush for all of a
broker's partitions, and is served from them until the compactor rewrites it
as segments (KAFSCALE_COMPACTION_INTERVAL_MS), across restarts too.

The module's broker compacts only after an hour, so nothing is compacted while
the test reads; it flushes every 200 ms, so one producer flush() lands in one
or two flush windows.
"""

import pytest

from clients import confluent_consume, confluent_produce
from conftest import create_topic, unique_topic
from dataset import make_records
from segments import (COMPACT_AT_ONCE, acked_high_watermarks, check_all_segments,
                      topic_objects, wal_objects, wait_until_compacted)

PARTITIONS = 6
RECORD_COUNT = 600
# One producer flush() spans at most a couple of 200 ms flush windows: far
# fewer WAL objects than partitions.
MAX_WAL_OBJECTS = PARTITIONS // 2


@pytest.fixture(scope="module")
def broker_env():
    return {"KAFSCALE_COMPACTION_INTERVAL_MS": "3600000", "KAFSCALE_FLUSH_INTERVAL_MS": "200"}


def stored_segments(broker, topic):
    root = topic_objects(broker, topic)
    return sorted(p.name for p in root.rglob("*.kfs")) if root.is_dir() else []


def assert_reads_back(broker, topic, expected, when):
    """A reader from offset 0 of every partition gets exactly the acknowledged records."""
    consumed = confluent_consume(broker.bootstrap, topic, PARTITIONS, len(expected))
    got = {(c.partition, c.offset): (c.key, c.value, c.headers, c.timestamp) for c in consumed}
    want = {position: (r.key, r.value, r.headers, r.timestamp) for position, r in expected.items()}
    assert len(consumed) == len(got), f"{when}: some offsets were read twice"
    wrong = sorted(p for p in want.keys() | got.keys() if got.get(p) != want.get(p))
    assert not wrong, (f"{when}: {len(wrong)} positions differ from the acknowledged records, "
                       f"first: {[(p, got.get(p), want.get(p)) for p in wrong[:3]]}")


def test_one_wal_object_per_flush_serves_every_partition_until_compaction(broker):
    topic = create_topic(broker.bootstrap, unique_topic("wal"), PARTITIONS)
    records = make_records("wal", RECORD_COUNT)
    # acks=all, produce everything, then flush(): the broker acknowledges
    # only what its flush made durable.
    acks = confluent_produce(broker.bootstrap, topic, records)
    expected = dict(zip(acks, records))
    assert {partition for partition, _ in acks} == set(range(PARTITIONS)), \
        "the keys must spread the records over every partition"

    wal = wal_objects(broker)
    assert 1 <= len(wal) <= MAX_WAL_OBJECTS, \
        (f"{PARTITIONS} partitions produced in one flush window went into {len(wal)} WAL "
         f"objects (expected one per flush, shared by the partitions): {[p.name for p in wal]}")
    assert stored_segments(broker, topic) == [], "compacted although the interval is an hour"

    assert_reads_back(broker, topic, expected, "served from WAL objects")

    # A restarted broker finds the WAL data through the metadata alone (its
    # cache is empty) and still does not compact it.
    assert broker.stop() == 0
    assert wal_objects(broker) == wal, "a clean shutdown rewrote or dropped WAL objects"
    broker.start()
    assert_reads_back(broker, topic, expected, "after a restart, served from WAL objects")
    assert wal_objects(broker) == wal
    assert stored_segments(broker, topic) == []

    # Restarted with compaction at once, the broker rewrites the previous
    # run's WAL data as segments and deletes the WAL objects.
    assert broker.stop() == 0
    broker.env_overrides.update(COMPACT_AT_ONCE)
    broker.start()
    wait_until_compacted(broker, topic, acked_high_watermarks(acks))
    assert check_all_segments(broker, topic) >= PARTITIONS
    assert_reads_back(broker, topic, expected, "after compaction, served from segments")

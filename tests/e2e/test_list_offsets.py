"""ListOffsets: earliest, latest and by timestamp, with Kafka's semantics.

Partition 0 holds three batches of ten records with known timestamps and
gaps between the batches; partition 1 stays empty. The lookups are repeated
after a restart, when the answers must come from stored data (write-ahead
objects until compaction).
"""

import confluent_kafka
import kafka
import pytest

from clients import confluent_produce
from conftest import create_topic, unique_topic
from dataset import ProducedRecord

T0 = 1_700_000_000_000
BATCHES = 3
BATCH_SIZE = 10
BATCH_GAP_MS = 1000
RECORD_STEP_MS = 10
TOTAL = BATCHES * BATCH_SIZE
LAST_TIMESTAMP = T0 + (BATCHES - 1) * BATCH_GAP_MS + (BATCH_SIZE - 1) * RECORD_STEP_MS
NO_OFFSET = -1


def timestamp_of(offset):
    batch, position = divmod(offset, BATCH_SIZE)
    return T0 + batch * BATCH_GAP_MS + position * RECORD_STEP_MS


# timestamp -> the first offset whose timestamp is >= it (Kafka's rule), or -1.
TIMESTAMP_CASES = [
    pytest.param(T0 - 1_000_000, 0, id="long-before-first"),
    pytest.param(T0, 0, id="first-record"),
    pytest.param(T0 + 35, 4, id="inside-first-batch"),
    pytest.param(T0 + 500, 10, id="between-batches"),
    pytest.param(T0 + BATCH_GAP_MS, 10, id="first-of-second-batch"),
    pytest.param(T0 + 2 * BATCH_GAP_MS - 1, 20, id="just-before-third-batch"),
    pytest.param(LAST_TIMESTAMP, TOTAL - 1, id="last-record"),
    pytest.param(LAST_TIMESTAMP + 1, NO_OFFSET, id="after-last-record"),
]


@pytest.fixture(scope="module")
def topic(broker):
    name = create_topic(broker.bootstrap, unique_topic("offsets"), partitions=2)
    for batch in range(BATCHES):
        # One produce (one flush) per batch keeps the batches apart.
        records = [ProducedRecord(index=o, key=b"k", value=f"v{o}".encode(), headers=(),
                                  timestamp=timestamp_of(o))
                   for o in range(batch * BATCH_SIZE, (batch + 1) * BATCH_SIZE)]
        acks = confluent_produce(broker.bootstrap, name, records, partition=0,
                                 extra_config={"linger.ms": 50})
        assert acks == [(0, r.index) for r in records]
    return name


@pytest.fixture(params=["fresh", "after-restart"], scope="module")
def served(request, broker, topic):
    """Runs the lookups against in-memory data, then again after a restart."""
    if request.param == "after-restart":
        broker.restart()
    return broker


@pytest.fixture
def confluent_consumer(served):
    consumer = confluent_kafka.Consumer({"bootstrap.servers": served.bootstrap,
                                         "group.id": "e2e-list-offsets"})
    yield consumer
    consumer.close()


@pytest.fixture
def kafka_python_consumer(served):
    consumer = kafka.KafkaConsumer(bootstrap_servers=served.bootstrap, group_id=None,
                                   request_timeout_ms=30000)
    yield consumer
    consumer.close()


def test_earliest_and_latest_confluent(confluent_consumer, topic):
    p0 = confluent_kafka.TopicPartition(topic, 0)
    p1 = confluent_kafka.TopicPartition(topic, 1)
    assert confluent_consumer.get_watermark_offsets(p0, timeout=10) == (0, TOTAL)
    assert confluent_consumer.get_watermark_offsets(p1, timeout=10) == (0, 0)


def test_earliest_and_latest_kafka_python(kafka_python_consumer, topic):
    partitions = [kafka.TopicPartition(topic, 0), kafka.TopicPartition(topic, 1)]
    assert kafka_python_consumer.beginning_offsets(partitions) == {
        partitions[0]: 0, partitions[1]: 0}
    assert kafka_python_consumer.end_offsets(partitions) == {
        partitions[0]: TOTAL, partitions[1]: 0}


@pytest.mark.parametrize("timestamp,expected", TIMESTAMP_CASES)
def test_offsets_for_times_confluent(confluent_consumer, topic, timestamp, expected):
    query = [confluent_kafka.TopicPartition(topic, 0, timestamp),
             confluent_kafka.TopicPartition(topic, 1, timestamp)]
    p0, p1 = confluent_consumer.offsets_for_times(query, timeout=10)
    assert p0.error is None and p1.error is None
    assert p0.offset == expected
    assert p1.offset == NO_OFFSET, "an empty partition has no offset for any timestamp"


@pytest.mark.parametrize("timestamp,expected", TIMESTAMP_CASES)
def test_offsets_for_times_kafka_python(kafka_python_consumer, topic, timestamp, expected):
    p0, p1 = kafka.TopicPartition(topic, 0), kafka.TopicPartition(topic, 1)
    found = kafka_python_consumer.offsets_for_times({p0: timestamp, p1: timestamp})
    assert found[p1] is None
    if expected == NO_OFFSET:
        assert found[p0] is None
    else:
        assert found[p0].offset == expected
        assert found[p0].timestamp == timestamp_of(expected), \
            "the timestamp returned is that of the record at the returned offset"

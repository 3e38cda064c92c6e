"""Topic administration through two clients' admin APIs, including the error cases."""

import time

import confluent_kafka
import kafka
import kafka.admin
import kafka.errors
import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic

from clients import confluent_admin, confluent_consume, confluent_produce, run_node_script
from conftest import ADMIN_TIMEOUT_S, unique_topic, wait_for_futures, wait_for_partitions
from dataset import make_records

RETENTION_MS = "3600000"
LONG_NAME = "x" * 300
MANY_PARTITIONS = 300


@pytest.fixture
def admin(broker):
    return confluent_admin(broker.bootstrap)


@pytest.fixture
def kafka_python_admin(broker):
    client = kafka.admin.KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                                          request_timeout_ms=ADMIN_TIMEOUT_S * 1000)
    yield client
    client.close()


def error_code(err):
    """The Kafka error code inside a confluent admin future's exception."""
    assert err is not None, "the operation succeeded but an error was expected"
    return err.args[0].code()


def create(admin, name, partitions=3, config=None, validate_only=False):
    """Runs CreateTopics for one topic; returns the error (None on success)."""
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})],
        operation_timeout=ADMIN_TIMEOUT_S, validate_only=validate_only)
    return wait_for_futures(futures)[name]


def topic_names(admin):
    return set(admin.list_topics(timeout=10).topics)


def wait_until_gone(admin, name, timeout_s=ADMIN_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while name in topic_names(admin):
        assert time.monotonic() < deadline, f"topic {name} still listed {timeout_s}s after deletion"
        time.sleep(0.1)


def describe_topic_config(admin, name):
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    entries = admin.describe_configs([resource])[resource].result(timeout=ADMIN_TIMEOUT_S)
    return {key: entry.value for key, entry in entries.items()}


# --- confluent-kafka AdminClient ----------------------------------------------


def test_create_list_describe_delete(admin, broker):
    name = unique_topic("admin")
    assert create(admin, name, partitions=4, config={"retention.ms": RETENTION_MS}) is None

    metadata = wait_for_partitions(admin, name, 4)
    assert sorted(metadata.partitions) == [0, 1, 2, 3]
    broker_ids = set(admin.list_topics(timeout=10).brokers)
    for partition in metadata.partitions.values():
        assert partition.leader in broker_ids
        assert partition.error is None
    assert name in topic_names(admin)
    assert describe_topic_config(admin, name)["retention.ms"] == RETENTION_MS

    futures = admin.delete_topics([name], operation_timeout=ADMIN_TIMEOUT_S)
    assert wait_for_futures(futures)[name] is None
    wait_until_gone(admin, name)
    gone = admin.list_topics(name, timeout=10).topics[name]
    assert gone.error is not None and gone.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_created_topic_takes_data_on_every_partition(admin, broker):
    name = unique_topic("admin-data")
    assert create(admin, name, partitions=2) is None
    wait_for_partitions(admin, name, 2)
    records = make_records("admin", 20)
    confluent_produce(broker.bootstrap, name, records)
    consumed = confluent_consume(broker.bootstrap, name, 2, len(records))
    assert sorted(c.value for c in consumed) == sorted(r.value for r in records)


def test_many_partitions_all_take_data(admin, broker):
    """One flush covering hundreds of partitions, and metadata for all of them."""
    name = unique_topic("admin-wide")
    assert create(admin, name, partitions=MANY_PARTITIONS) is None
    wait_for_partitions(admin, name, MANY_PARTITIONS)
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all",
                                         "linger.ms": 50})
    errors = []
    for partition in range(MANY_PARTITIONS):
        producer.produce(name, value=f"p{partition}".encode(), partition=partition,
                         on_delivery=lambda err, _msg: err and errors.append(err))
    assert producer.flush(ADMIN_TIMEOUT_S) == 0 and not errors, errors[:3]
    consumed = confluent_consume(broker.bootstrap, name, MANY_PARTITIONS, MANY_PARTITIONS)
    assert sorted((c.partition, c.offset, c.value) for c in consumed) == \
        [(p, 0, f"p{p}".encode()) for p in range(MANY_PARTITIONS)]


def test_create_partitions_grows_topic(admin, broker):
    name = unique_topic("admin-grow")
    assert create(admin, name, partitions=2) is None
    wait_for_partitions(admin, name, 2)

    futures = admin.create_partitions([NewPartitions(name, 5)],
                                      operation_timeout=ADMIN_TIMEOUT_S)
    assert wait_for_futures(futures)[name] is None
    wait_for_partitions(admin, name, 5)

    # A new partition is usable right away.
    records = make_records("grow", 5)
    acks = confluent_produce(broker.bootstrap, name, records,
                             extra_config={"partitioner": "random"})
    consumer_view = confluent_consume(broker.bootstrap, name, 5, len(records))
    assert sorted(c.value for c in consumer_view) == sorted(r.value for r in records)
    assert all(0 <= partition < 5 for partition, _ in acks)


def test_alter_configs_changes_retention(admin, broker):
    name = unique_topic("admin-alter")
    assert create(admin, name, partitions=1) is None
    resource = ConfigResource(ConfigResource.Type.TOPIC, name,
                              set_config={"retention.ms": "7200000"})
    futures = admin.alter_configs([resource])
    assert wait_for_futures(futures)[resource] is None
    assert describe_topic_config(admin, name)["retention.ms"] == "7200000"


def test_create_existing_topic_is_rejected(admin, broker):
    name = unique_topic("admin-dup")
    assert create(admin, name, partitions=2) is None
    assert error_code(create(admin, name, partitions=2)) == KafkaError.TOPIC_ALREADY_EXISTS
    assert len(wait_for_partitions(admin, name, 2).partitions) == 2


def test_lowering_partition_count_is_rejected(admin, broker):
    name = unique_topic("admin-shrink")
    assert create(admin, name, partitions=3) is None
    wait_for_partitions(admin, name, 3)
    for target in (2, 3):  # fewer, and the same count, are both invalid
        futures = admin.create_partitions([NewPartitions(name, target)],
                                          operation_timeout=ADMIN_TIMEOUT_S)
        assert error_code(wait_for_futures(futures)[name]) == KafkaError.INVALID_PARTITIONS
    assert len(wait_for_partitions(admin, name, 3).partitions) == 3


def test_unknown_config_is_rejected(admin, broker):
    name = unique_topic("admin-badcfg")
    err = create(admin, name, config={"no.such.config": "1"})
    assert error_code(err) == KafkaError.INVALID_CONFIG
    assert name not in topic_names(admin)

    assert create(admin, name, partitions=1) is None
    resource = ConfigResource(ConfigResource.Type.TOPIC, name,
                              set_config={"no.such.config": "1"})
    err = wait_for_futures(admin.alter_configs([resource]))[resource]
    assert error_code(err) == KafkaError.INVALID_CONFIG


def test_invalid_config_value_is_rejected(admin, broker):
    name = unique_topic("admin-badval")
    err = create(admin, name, config={"retention.ms": "not-a-number"})
    assert error_code(err) == KafkaError.INVALID_CONFIG
    assert name not in topic_names(admin)


@pytest.mark.parametrize("name", ["bad/name", "..", ".", LONG_NAME, "spaces are bad"])
def test_invalid_topic_name_is_rejected(admin, broker, name):
    assert error_code(create(admin, name)) == KafkaError.TOPIC_EXCEPTION
    assert name not in topic_names(admin)


def test_validate_only_creates_nothing(admin, broker):
    name = unique_topic("admin-dry")
    assert create(admin, name, partitions=3, validate_only=True) is None
    time.sleep(0.5)  # a broker that created it anyway has had time to show it
    assert name not in topic_names(admin)

    # Validation still reports the errors a real create would.
    assert error_code(create(admin, "bad/name", validate_only=True)) == KafkaError.TOPIC_EXCEPTION
    existing = unique_topic("admin-dry-existing")
    assert create(admin, existing, partitions=2) is None
    assert error_code(create(admin, existing, validate_only=True)) == \
        KafkaError.TOPIC_ALREADY_EXISTS

    futures = admin.create_partitions([NewPartitions(existing, 4)], validate_only=True,
                                      operation_timeout=ADMIN_TIMEOUT_S)
    assert wait_for_futures(futures)[existing] is None
    time.sleep(0.5)
    assert len(wait_for_partitions(admin, existing, 2).partitions) == 2


def test_delete_unknown_topic_is_rejected(admin, broker):
    name = unique_topic("admin-ghost")
    futures = admin.delete_topics([name], operation_timeout=ADMIN_TIMEOUT_S)
    assert error_code(wait_for_futures(futures)[name]) == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_deleted_topic_can_be_recreated_empty(admin, broker):
    name = unique_topic("admin-reborn")
    assert create(admin, name, partitions=1) is None
    confluent_produce(broker.bootstrap, name, make_records("old", 10))
    assert wait_for_futures(admin.delete_topics([name], operation_timeout=ADMIN_TIMEOUT_S))[
        name] is None
    wait_until_gone(admin, name)

    assert create(admin, name, partitions=1) is None
    wait_for_partitions(admin, name, 1)
    records = make_records("new", 3)
    confluent_produce(broker.bootstrap, name, records)
    consumed = confluent_consume(broker.bootstrap, name, 1, len(records))
    assert [c.value for c in consumed] == [r.value for r in records]
    assert [c.offset for c in consumed] == [0, 1, 2], "a recreated topic starts at offset 0"


# --- kafka-python KafkaAdminClient --------------------------------------------


def test_kafka_python_admin_lifecycle(kafka_python_admin, admin, broker):
    name = unique_topic("kp-admin")
    kafka_python_admin.create_topics([kafka.admin.NewTopic(
        name, num_partitions=2, replication_factor=1,
        topic_configs={"retention.ms": RETENTION_MS})])
    wait_for_partitions(admin, name, 2)
    assert name in kafka_python_admin.list_topics()
    (described,) = kafka_python_admin.describe_topics([name])
    assert described["error_code"] == 0
    assert sorted(p["partition"] for p in described["partitions"]) == [0, 1]

    kafka_python_admin.create_partitions({name: kafka.admin.NewPartitions(total_count=4)})
    wait_for_partitions(admin, name, 4)

    resource = kafka.admin.ConfigResource(kafka.admin.ConfigResourceType.TOPIC, name)
    (response,) = kafka_python_admin.describe_configs([resource])
    ((code, _message, _type, resource_name, entries),) = response.resources
    assert code == 0 and resource_name == name
    assert {entry[0]: entry[1] for entry in entries}["retention.ms"] == RETENTION_MS

    altered = kafka_python_admin.alter_configs([kafka.admin.ConfigResource(
        kafka.admin.ConfigResourceType.TOPIC, name, configs={"retention.ms": "60000"})])
    assert [r[0] for r in altered.resources] == [0]
    assert describe_topic_config(admin, name)["retention.ms"] == "60000"

    kafka_python_admin.delete_topics([name])
    wait_until_gone(admin, name)


def test_kafka_python_admin_errors(kafka_python_admin, admin, broker):
    name = unique_topic("kp-admin-err")
    new_topic = kafka.admin.NewTopic(name, num_partitions=2, replication_factor=1)
    kafka_python_admin.create_topics([new_topic])
    with pytest.raises(kafka.errors.TopicAlreadyExistsError):
        kafka_python_admin.create_topics([new_topic])
    with pytest.raises(kafka.errors.InvalidPartitionsError):
        kafka_python_admin.create_partitions({name: kafka.admin.NewPartitions(total_count=1)})
    with pytest.raises(kafka.errors.InvalidConfigurationError):
        kafka_python_admin.create_topics([kafka.admin.NewTopic(
            unique_topic("kp-badcfg"), 1, 1, topic_configs={"no.such.config": "1"})])
    with pytest.raises(kafka.errors.InvalidTopicError):
        kafka_python_admin.create_topics([kafka.admin.NewTopic("bad/name", 1, 1)])
    with pytest.raises(kafka.errors.UnknownTopicOrPartitionError):
        kafka_python_admin.delete_topics([unique_topic("kp-ghost")])
    assert len(wait_for_partitions(admin, name, 2).partitions) == 2


def test_metadata_advertises_the_configured_address(admin, broker):
    metadata = admin.list_topics(timeout=10)
    assert [(b.host, b.port) for b in metadata.brokers.values()] == [(broker.host, broker.port)]
    assert metadata.controller_id in metadata.brokers
    assert metadata.cluster_id, "the cluster id must not be empty"


def test_metadata_for_unknown_topic_does_not_create_it(admin, broker):
    """With auto-creation off, asking about a topic must not create it."""
    name = unique_topic("admin-nocreate")
    reply = admin.list_topics(name, timeout=10).topics[name]
    assert reply.error is not None and reply.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    assert name not in topic_names(admin)


# --- KafkaJS admin ----------------------------------------------------------------


def test_kafkajs_admin_scenario(admin, broker, node_clients):
    prefix = unique_topic("kjs-admin")
    steps = run_node_script("kafkajs_admin.mjs", [broker.bootstrap, prefix])
    failed = {name: step for name, step in steps.items()
              if name not in ("shrink", "badName", "badConfig") and not step["ok"]}
    assert not failed, f"KafkaJS admin steps failed: {failed}"
    assert steps["create"]["value"] is True
    assert steps["createAgain"]["value"] is False, "KafkaJS reports an existing topic as false"
    assert steps["listed"]["value"] is True
    assert steps["partitions"]["value"] == [0, 1, 2]
    assert steps["retention"]["value"] == RETENTION_MS
    assert steps["partitionsAfterGrow"]["value"] == [0, 1, 2, 3, 4]
    assert steps["shrink"].get("errors") == ["INVALID_PARTITIONS"]
    assert steps["retentionAfterAlter"]["value"] == "60000"
    assert steps["badName"].get("errors") == ["INVALID_TOPIC_EXCEPTION"]
    assert steps["badConfig"].get("errors") == ["INVALID_CONFIG"]
    assert steps["dryListed"]["value"] is False, "validateOnly created the topic"
    wait_until_gone(admin, f"{prefix}-main")

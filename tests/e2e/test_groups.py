"""Consumer groups through real clients: partition sharing, rebalances on leave,
crash and join, committed offsets across restarts, cooperative and static
membership, and group administration.
"""

import json
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid

import confluent_kafka
import kafka
import kafka.admin
import kafka.errors
import pytest
from kafka.structs import OffsetAndMetadata

from clients import confluent_admin, confluent_produce, run_node_script, watermarks
from conftest import ADMIN_TIMEOUT_S
from dataset import consumed_from_json, make_records
from wire import RawClient, encode_string, encode_unsigned_varint

PARTITIONS = 6
SESSION_TIMEOUT_MS = 6000
# Short enough to keep rebalances quick, long enough that members started
# together land in the first generation.
INITIAL_REBALANCE_DELAY_MS = 500
REBALANCE_DEADLINE_S = 30
# Session timeout, a heartbeat to learn of the rebalance, and the rebalance itself.
CRASH_DEADLINE_S = SESSION_TIMEOUT_MS / 1000 + REBALANCE_DEADLINE_S
CONSUME_DEADLINE_S = 60

# Kafka error codes the tests look for.
NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
COORDINATOR_NOT_AVAILABLE = 15
GROUP_SUBSCRIBED_TO_TOPIC = 86

FIND_COORDINATOR = 10
OFFSET_FOR_LEADER_EPOCH = 23
OFFSET_DELETE = 47


@pytest.fixture(scope="module")
def broker_env():
    return {"KAFSCALE_GROUP_INITIAL_REBALANCE_DELAY_MS": str(INITIAL_REBALANCE_DELAY_MS)}


def unique_group(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def consumer_config(bootstrap, group, **extra):
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": 500,
    }
    config.update(extra)
    return config


class Member:
    """An in-process confluent-kafka group member that tracks its assignment.

    The test thread must keep calling poll() (or consume_one()): librdkafka
    serves rebalances there. Not thread-safe.
    """

    def __init__(self, bootstrap, group, topic, **extra):
        self.consumer = confluent_kafka.Consumer(consumer_config(bootstrap, group, **extra))
        self.assigned = set()
        self.revoked = []  # partitions taken away, per revocation
        self.closed = False
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                on_lost=self._on_revoke)

    def _on_assign(self, _consumer, partitions):
        self.assigned |= {p.partition for p in partitions}

    def _on_revoke(self, _consumer, partitions):
        taken = {p.partition for p in partitions}
        self.revoked.append(taken)
        self.assigned -= taken

    def poll(self):
        if self.closed:
            return None
        msg = self.consumer.poll(0.05)
        if msg is not None and msg.error():
            raise AssertionError(f"consume error: {msg.error()}")
        return msg

    def close(self):
        if not self.closed:
            self.closed = True
            self.consumer.close()


MEMBER_PROCESS_SCRIPT = r"""
import json, sys
import confluent_kafka

config, topic = json.loads(sys.argv[1]), sys.argv[2]
consumer = confluent_kafka.Consumer(config)
assigned = set()

def report():
    print(json.dumps(sorted(assigned)), flush=True)

def on_assign(_consumer, partitions):
    assigned.update(p.partition for p in partitions)
    report()

def on_revoke(_consumer, partitions):
    assigned.difference_update(p.partition for p in partitions)
    report()

consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
while True:
    consumer.poll(0.1)
"""


class MemberProcess:
    """A group member in its own process, so that it can be killed with SIGKILL.

    It prints its assignment as a JSON list whenever it changes; a reader
    thread keeps the latest.
    """

    def __init__(self, bootstrap, group, topic):
        config = consumer_config(bootstrap, group)
        self.process = subprocess.Popen(
            [sys.executable, "-c", MEMBER_PROCESS_SCRIPT, json.dumps(config), topic],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        self.updates = queue.Queue()
        self.assigned = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.updates.put(set(json.loads(line)))

    def refresh(self):
        while not self.updates.empty():
            self.assigned = self.updates.get_nowait()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.kill()


def poll_until(members, condition, timeout_s, what, processes=()):
    """Polls the in-process members until condition() holds; fails with their assignments."""
    deadline = time.monotonic() + timeout_s
    while True:
        for process in processes:
            process.refresh()
        if condition():
            return
        if time.monotonic() > deadline:
            state = [sorted(m.assigned) for m in members] + [sorted(p.assigned) for p in processes]
            raise AssertionError(f"{what} not reached in {timeout_s}s; assignments: {state}")
        for member in members:
            member.poll()


def partitions_split(owners, expected_sizes):
    """True when the assignments are disjoint, cover every partition and have these sizes."""
    sets = [owner.assigned for owner in owners]
    union = set().union(*sets)
    return (sorted(len(s) for s in sets) == sorted(expected_sizes)
            and sum(len(s) for s in sets) == len(union) == PARTITIONS)


def test_members_share_partitions_and_take_over_after_leave_and_crash(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="share")
    group = unique_group("share")
    first = Member(broker.bootstrap, group, topic)
    second = Member(broker.bootstrap, group, topic)
    crashing = MemberProcess(broker.bootstrap, group, topic)
    try:
        poll_until([first, second], lambda: partitions_split([first, second, crashing], [2, 2, 2]),
                   REBALANCE_DEADLINE_S, "2 partitions each", [crashing])

        # No LeaveGroup: the others take over once its session times out.
        crashing.kill()
        started = time.monotonic()
        poll_until([first, second], lambda: partitions_split([first, second], [3, 3]),
                   CRASH_DEADLINE_S, "3 partitions each after the crash")
        assert time.monotonic() - started >= SESSION_TIMEOUT_MS / 1000 - 1.5, \
            "partitions moved before the crashed member's session could have expired"

        # close() sends LeaveGroup: the survivor gets everything without waiting.
        second.close()
        poll_until([first], lambda: first.assigned == set(range(PARTITIONS)),
                   REBALANCE_DEADLINE_S, "all partitions after the leave")
    finally:
        crashing.stop()
        first.close()
        second.close()


def test_synchronous_commits_give_exactly_once_across_membership_changes(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="exactly-once")
    group = unique_group("exactly-once")
    records = make_records("exactly-once", 900)
    confluent_produce(broker.bootstrap, topic, records)
    expected = {r.value for r in records}

    members = [Member(broker.bootstrap, group, topic), Member(broker.bootstrap, group, topic)]
    seen = []
    commit_errors = []
    joined_third = left_first = False
    deadline = time.monotonic() + CONSUME_DEADLINE_S
    try:
        while len(seen) < len(records):
            assert time.monotonic() < deadline, \
                f"consumed {len(seen)} of {len(records)} in {CONSUME_DEADLINE_S}s"
            for member in members:
                msg = member.poll()
                if msg is None:
                    continue
                seen.append(msg.value())
                # One record per poll, committed before the next poll: a
                # rebalance (served inside poll) never finds work uncommitted.
                try:
                    member.consumer.commit(message=msg, asynchronous=False)
                except confluent_kafka.KafkaException as err:
                    commit_errors.append(str(err))
            if not joined_third and len(seen) >= len(records) // 4:
                joined_third = True
                members.append(Member(broker.bootstrap, group, topic))
            if not left_first and len(seen) >= len(records) // 2:
                left_first = True
                members[0].close()
        duplicates = len(seen) - len(set(seen))
        assert duplicates == 0 and set(seen) == expected, \
            f"{duplicates} records read twice; commit errors: {commit_errors[:5]}"
        assert not commit_errors
        # The group's committed offsets are the end of every partition.
        live = next(m for m in members if not m.closed)
        committed = live.consumer.committed(
            [confluent_kafka.TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        ends = [live.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in committed]
        assert [tp.offset for tp in committed] == ends
    finally:
        for member in members:
            member.close()


def kafka_python_consumer(bootstrap, group, topic):
    return kafka.KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                               enable_auto_commit=False, auto_offset_reset="earliest",
                               session_timeout_ms=SESSION_TIMEOUT_MS, heartbeat_interval_ms=500,
                               consumer_timeout_ms=CONSUME_DEADLINE_S * 1000)


def kafka_python_read(consumer, count):
    """Reads exactly count records (fewer only if the deadline passes)."""
    read = []
    deadline = time.monotonic() + CONSUME_DEADLINE_S
    while len(read) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500, max_records=count - len(read)).values():
            read.extend(batch)
    return read


def test_kafka_python_resumes_from_its_commit_after_a_broker_restart(broker, topic_factory):
    topic = topic_factory(2, prefix="resume")
    group = unique_group("resume")
    records = make_records("resume", 200)
    confluent_produce(broker.bootstrap, topic, records)

    consumer = kafka_python_consumer(broker.bootstrap, group, topic)
    first = kafka_python_read(consumer, 80)
    assert len(first) == 80
    consumer.commit()
    consumer.close(autocommit=False)

    broker.restart()

    consumer = kafka_python_consumer(broker.bootstrap, group, topic)
    try:
        rest = kafka_python_read(consumer, len(records) - len(first))
        consumer.commit()
    finally:
        consumer.close(autocommit=False)
    values = [m.value for m in first + rest]
    assert len(values) == len(set(values)) == len(records), "records were skipped or read twice"
    committed_end = {}
    for m in first:
        committed_end[m.partition] = max(committed_end.get(m.partition, 0), m.offset + 1)
    for partition, offset in committed_end.items():
        resumed = [m.offset for m in rest if m.partition == partition]
        assert not resumed or min(resumed) == offset, \
            f"partition {partition} did not resume at {offset}"


NODE_GROUP_PARTITIONS = 3


def node_group_consume(script, bootstrap, topic, group, count):
    """Runs a tests/e2e/node/*_group.mjs consumer; returns the values it consumed.

    The script commits every record before reporting it and stops after count.
    """
    result = run_node_script(script, [bootstrap, topic, group, count])
    return [r.value for r in consumed_from_json(result["consumed"])]


def assert_each_once(consumed, records, what):
    expected = sorted(r.value for r in records)
    assert sorted(consumed) == expected, (
        f"{what}: {len(consumed)} consumed, {len(set(consumed))} distinct, "
        f"{len(set(consumed) - set(expected))} not of this run, "
        f"{len(set(expected) - set(consumed))} of this run missing")


@pytest.mark.parametrize("script", ["kafkajs_group.mjs", "platformatic_group.mjs"])
def test_node_group_consumes_commits_and_resumes_from_its_commit(
        broker, topic_factory, node_clients, kafka_python_admin, script):
    topic = topic_factory(NODE_GROUP_PARTITIONS, prefix="node-group")
    group = unique_group("node-group")
    first = make_records("node-group-first", 300)
    confluent_produce(broker.bootstrap, topic, first)
    assert_each_once(node_group_consume(script, broker.bootstrap, topic, group, len(first)),
                     first, "first run")

    # A second run of the group resumes from the first run's commits: only new records.
    second = make_records("node-group-second", 200)
    confluent_produce(broker.bootstrap, topic, second)
    assert_each_once(node_group_consume(script, broker.bootstrap, topic, group, len(second)),
                     second, "second run")

    committed = kafka_python_admin.list_consumer_group_offsets(group)
    ends = watermarks(broker.bootstrap, topic, NODE_GROUP_PARTITIONS)
    assert {tp.partition: meta.offset for tp, meta in committed.items()} == \
        {p: high for p, (_low, high) in ends.items()}


def test_cooperative_sticky_keeps_unaffected_partitions(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="cooperative")
    group = unique_group("cooperative")
    cooperative = {"partition.assignment.strategy": "cooperative-sticky"}
    first = Member(broker.bootstrap, group, topic, **cooperative)
    second = None
    try:
        poll_until([first], lambda: len(first.assigned) == PARTITIONS, REBALANCE_DEADLINE_S,
                   "all partitions for the first member")
        second = Member(broker.bootstrap, group, topic, **cooperative)
        poll_until([first, second], lambda: partitions_split([first, second], [3, 3]),
                   REBALANCE_DEADLINE_S, "3 partitions each")
        # Only what moved to the newcomer was ever revoked.
        kept = set(first.assigned)
        assert set().union(*first.revoked) == set(range(PARTITIONS)) - kept

        second.close()
        poll_until([first], lambda: first.assigned == set(range(PARTITIONS)), REBALANCE_DEADLINE_S,
                   "all partitions back")
        assert set().union(*first.revoked) & kept == set(), "a kept partition was revoked"
    finally:
        first.close()
        if second is not None:
            second.close()


def test_static_member_restart_keeps_its_partitions_without_a_rebalance(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="static")
    group = unique_group("static")
    steady = Member(broker.bootstrap, group, topic, **{"group.instance.id": "steady"})
    bouncing = Member(broker.bootstrap, group, topic, **{"group.instance.id": "bouncing"})
    try:
        poll_until([steady, bouncing], lambda: partitions_split([steady, bouncing], [3, 3]),
                   REBALANCE_DEADLINE_S, "3 partitions each")
        before = set(bouncing.assigned)
        steady_revocations = len(steady.revoked)
        # A static member does not leave on close; its restart replaces it in place.
        bouncing.close()
        bouncing = Member(broker.bootstrap, group, topic, **{"group.instance.id": "bouncing"})
        poll_until([steady, bouncing], lambda: bouncing.assigned == before,
                   SESSION_TIMEOUT_MS / 1000 - 1,
                   "the same partitions back within the session timeout")
        # Give a rebalance time to show up if one had been started.
        end = time.monotonic() + 2
        while time.monotonic() < end:
            steady.poll()
            bouncing.poll()
        assert len(steady.revoked) == steady_revocations, "the steady member was rebalanced"
        assert bouncing.assigned == before
    finally:
        steady.close()
        bouncing.close()


# --- administration --------------------------------------------------------------


@pytest.fixture
def kafka_python_admin(broker):
    client = kafka.admin.KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                                          request_timeout_ms=ADMIN_TIMEOUT_S * 1000)
    yield client
    client.close()


def commit_standalone(bootstrap, group, offsets):
    """Commits {(topic, partition): (offset, metadata)} from outside group management,
    as AdminClient.alterConsumerGroupOffsets does (generation -1, no member id)."""
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                   enable_auto_commit=False)
    try:
        consumer.assign([kafka.TopicPartition(t, p) for t, p in offsets])
        consumer.commit({kafka.TopicPartition(t, p): OffsetAndMetadata(offset, metadata)
                         for (t, p), (offset, metadata) in offsets.items()})
    finally:
        consumer.close(autocommit=False)


def offset_delete(broker, group, topic, partitions):
    """OffsetDelete v0 over a raw connection: (group error, {partition: error})."""
    body = encode_string(group) + struct.pack(">i", 1) + encode_string(topic)
    body += struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions)
    with RawClient(broker.host, broker.port) as client:
        client.request(OFFSET_DELETE, 0, body)
        _, response = client.receive()
    group_error, _throttle, topic_count = struct.unpack_from(">hii", response, 0)
    pos = 10
    errors = {}
    for _ in range(topic_count):
        (name_length,) = struct.unpack_from(">h", response, pos)
        pos += 2 + name_length
        (partition_count,) = struct.unpack_from(">i", response, pos)
        pos += 4
        for _ in range(partition_count):
            partition, error = struct.unpack_from(">ih", response, pos)
            pos += 6
            errors[partition] = error
    return group_error, errors


def listed_group(admin, group):
    groups = admin.list_groups(group, timeout=ADMIN_TIMEOUT_S)
    assert len(groups) == 1, f"group {group} listed {len(groups)} times"
    return groups[0]


def test_list_describe_and_delete_groups(broker, topic_factory, kafka_python_admin):
    topic = topic_factory(PARTITIONS, prefix="admin")
    group = unique_group("admin")
    member = Member(broker.bootstrap, group, topic)
    admin = confluent_admin(broker.bootstrap)
    try:
        poll_until([member], lambda: len(member.assigned) == PARTITIONS, REBALANCE_DEADLINE_S,
                   "the member's assignment")
        # librdkafka's list_groups is ListGroups plus DescribeGroups.
        described = listed_group(admin, group)
        assert described.state == "Stable"
        assert described.protocol_type == "consumer"
        assert described.protocol == "range"
        assert len(described.members) == 1
        assert described.members[0].client_host.startswith("/127.0.0.1")
        assert described.members[0].assignment, "the leader's assignment bytes are shown"

        assert (group, "consumer") in kafka_python_admin.list_consumer_groups()
        (info,) = kafka_python_admin.describe_consumer_groups([group])
        assert info.state == "Stable"
        (member_info,) = info.members
        assigned = member_info.member_assignment.assignment
        assert assigned == [(topic, list(range(PARTITIONS)))]

        (result,) = kafka_python_admin.delete_consumer_groups([group])
        assert result[1] is kafka.errors.NonEmptyGroupError
    finally:
        member.close()

    poll_deadline = time.monotonic() + REBALANCE_DEADLINE_S
    while listed_group(admin, group).state != "Empty":
        assert time.monotonic() < poll_deadline, "group never became Empty after its member left"
        time.sleep(0.1)
    (result,) = kafka_python_admin.delete_consumer_groups([group])
    assert result[1] is kafka.errors.NoError
    assert group not in {g for g, _ in kafka_python_admin.list_consumer_groups()}
    (result,) = kafka_python_admin.delete_consumer_groups([group])
    assert result[1] is kafka.errors.GroupIdNotFoundError


def test_alter_list_and_delete_committed_offsets(broker, topic_factory, kafka_python_admin):
    topic = topic_factory(2, prefix="offsets")
    group = unique_group("offsets")
    commit_standalone(broker.bootstrap, group, {(topic, 0): (5, "five"), (topic, 1): (7, "")})
    offsets = kafka_python_admin.list_consumer_group_offsets(group)
    assert offsets == {kafka.TopicPartition(topic, 0): OffsetAndMetadata(5, "five"),
                       kafka.TopicPartition(topic, 1): OffsetAndMetadata(7, "")}

    # A consumer of the group starts where the offsets were set.
    confluent_produce(broker.bootstrap, topic, make_records("offsets", 40), partition=0)
    member = Member(broker.bootstrap, group, topic)
    try:
        first = None
        deadline = time.monotonic() + CONSUME_DEADLINE_S
        while first is None:
            assert time.monotonic() < deadline, "nothing consumed from the committed position"
            first = member.poll()
        assert (first.partition(), first.offset()) == (0, 5)
        # Offsets of a topic the group consumes cannot be deleted under it.
        group_error, errors = offset_delete(broker, group, topic, [0])
        assert (group_error, errors) == (NONE, {0: GROUP_SUBSCRIBED_TO_TOPIC})
    finally:
        member.close()

    group_error, errors = offset_delete(broker, group, topic, [0])
    assert (group_error, errors) == (NONE, {0: NONE})
    remaining = kafka_python_admin.list_consumer_group_offsets(group)
    assert set(remaining) == {kafka.TopicPartition(topic, 1)}
    group_error, errors = offset_delete(broker, group, "no-such-topic", [0])
    assert (group_error, errors) == (NONE, {0: UNKNOWN_TOPIC_OR_PARTITION})


# --- raw protocol: FindCoordinator v4 batches and OffsetForLeaderEpoch ---------------


def read_unsigned_varint(buf, pos):
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def read_compact_string(buf, pos):
    length, pos = read_unsigned_varint(buf, pos)
    if length == 0:
        return None, pos
    return buf[pos:pos + length - 1].decode(), pos + length - 1


def find_coordinators(broker, keys, key_type):
    """FindCoordinator v4: [(key, node_id, host, port, error_code)]."""
    body = struct.pack(">b", key_type) + encode_unsigned_varint(len(keys) + 1)
    for key in keys:
        data = key.encode()
        body += encode_unsigned_varint(len(data) + 1) + data
    body += encode_unsigned_varint(0)
    with RawClient(broker.host, broker.port) as client:
        client.request(FIND_COORDINATOR, 4, body, flexible=True)
        _, response = client.receive()
    _, pos = read_unsigned_varint(response, 0)  # response header tags
    pos += 4  # throttle
    count, pos = read_unsigned_varint(response, pos)
    found = []
    for _ in range(count - 1):
        key, pos = read_compact_string(response, pos)
        (node_id,) = struct.unpack_from(">i", response, pos)
        host, pos = read_compact_string(response, pos + 4)
        port, error = struct.unpack_from(">ih", response, pos)
        _message, pos = read_compact_string(response, pos + 6)
        _, pos = read_unsigned_varint(response, pos)
        found.append((key, node_id, host, port, error))
    return found


def test_find_coordinator_batches_answer_groups_not_transactions(broker):
    found = find_coordinators(broker, ["group-a", "group-b"], key_type=0)
    assert found == [("group-a", 0, broker.host, broker.port, NONE),
                     ("group-b", 0, broker.host, broker.port, NONE)]
    ((key, node_id, _host, _port, error),) = find_coordinators(broker, ["txn"], key_type=1)
    assert (key, node_id, error) == ("txn", -1, COORDINATOR_NOT_AVAILABLE)


def test_offset_for_leader_epoch_answers_the_high_watermark(broker, topic_factory):
    topic = topic_factory(1, prefix="epoch")
    confluent_produce(broker.bootstrap, topic, make_records("epoch", 25))
    # v2: replica id absent; one topic, one partition, current epoch 0, asked epoch 0.
    body = struct.pack(">i", 1) + encode_string(topic) + struct.pack(">iiii", 1, 0, 0, 0)
    with RawClient(broker.host, broker.port) as client:
        client.request(OFFSET_FOR_LEADER_EPOCH, 2, body)
        _, response = client.receive()
    _throttle, topics = struct.unpack_from(">ii", response, 0)
    (name_length,) = struct.unpack_from(">h", response, 8)
    pos = 10 + name_length
    (partitions,) = struct.unpack_from(">i", response, pos)
    error, partition, leader_epoch, end_offset = struct.unpack_from(">hiiq", response, pos + 4)
    assert (topics, partitions) == (1, 1)
    assert (error, partition, leader_epoch, end_offset) == (NONE, 0, 0, 25)

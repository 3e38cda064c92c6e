"""Consumer groups on a 3-broker cluster: the group coordinator is killed with
SIGKILL while the group consumes, another broker takes the group over within
the lease TTL, and no committed offset is lost.

Needs a running radosgw (KAFSCALE_TEST_S3_*), like every cluster test.
"""

import time

import confluent_kafka
import kafka.admin

from clients import confluent_admin, confluent_produce, watermarks
from cluster import Cluster
from conftest import ADMIN_TIMEOUT_S, create_topic
from dataset import make_records
from test_groups import INITIAL_REBALANCE_DELAY_MS, SESSION_TIMEOUT_MS, Member, listed_group, unique_group

PARTITIONS = 6
RECORDS = 3000
LEASE_TTL_S = 5
# The coordinator dies once this share of the records has been read.
KILL_AFTER = RECORDS // 3
CONSUME_DEADLINE_S = 180
# The group lease runs out, another broker restores the group, and the members
# rediscover it and rejoin (after their session on the dead one, at the latest).
TAKEOVER_DEADLINE_S = LEASE_TTL_S + SESSION_TIMEOUT_MS / 1000 + 15


class FailoverMember(Member):
    """A group member that expects transient errors while a broker is down.

    librdkafka hands connection errors to poll() when there is no error
    callback; they are kept for the failure message, and only fatal ones fail
    the test.
    """

    def __init__(self, bootstrap, group, topic):
        super().__init__(bootstrap, group, topic)
        self.transient_errors = []

    def poll(self):
        if self.closed:
            return None
        msg = self.consumer.poll(0.05)
        if msg is None or not msg.error():
            return msg
        assert not msg.error().fatal(), f"fatal consumer error: {msg.error()}"
        self.transient_errors.append(str(msg.error()))
        return None


class CommittedReads:
    """Every read and every successful synchronous commit, in the order they happened.

    With a commit after each record, a record may be read again only if its
    commit had failed: a read below a partition's committed offset means a
    committed offset was lost.
    """

    def __init__(self):
        self.values = []
        self.committed = {}  # partition -> highest offset committed successfully
        self.commit_errors = []
        self.reads_below_commit = []
        self.last_commit_time = None

    def read(self, msg):
        self.values.append(msg.value())
        if msg.offset() < self.committed.get(msg.partition(), 0):
            self.reads_below_commit.append(
                (msg.partition(), msg.offset(), self.committed[msg.partition()]))

    def commit(self, member, msg):
        try:
            member.consumer.commit(message=msg, asynchronous=False)
        except confluent_kafka.KafkaException as err:
            self.commit_errors.append(f"partition {msg.partition()} offset {msg.offset()}: {err}")
            return
        self.committed[msg.partition()] = max(self.committed.get(msg.partition(), 0),
                                              msg.offset() + 1)
        self.last_commit_time = time.monotonic()


def coordinator_id(bootstrap, group):
    """The id of the broker that coordinates the group.

    Each broker lists only the groups it coordinates, and librdkafka reports
    which broker listed the group.
    """
    return listed_group(confluent_admin(bootstrap), group).broker.id


def committed_offsets(bootstrap, group):
    """{partition: offset} of the group's commits, through kafka-python's admin client."""
    admin = kafka.admin.KafkaAdminClient(bootstrap_servers=bootstrap,
                                         request_timeout_ms=ADMIN_TIMEOUT_S * 1000)
    try:
        return {tp.partition: meta.offset
                for tp, meta in admin.list_consumer_group_offsets(group).items()}
    finally:
        admin.close()


def test_group_resumes_from_its_commits_after_the_coordinator_is_killed(tmp_path):
    group_settings = {"KAFSCALE_GROUP_INITIAL_REBALANCE_DELAY_MS": str(INITIAL_REBALANCE_DELAY_MS)}
    with Cluster(tmp_path, brokers=3, lease_ttl_s=LEASE_TTL_S, env_overrides=group_settings) as cluster:
        cluster.start_all()
        bootstrap = cluster.bootstrap()
        topic = create_topic(bootstrap, "coordinator-failover", PARTITIONS)
        records = make_records("coordinator-failover", RECORDS)
        confluent_produce(bootstrap, topic, records)
        group = unique_group("coordinator-failover")

        members = [FailoverMember(bootstrap, group, topic) for _ in range(2)]
        reads = CommittedReads()
        killed = killed_at = committed_at_kill = resumed_after_s = None
        deadline = time.monotonic() + CONSUME_DEADLINE_S
        try:
            while len(set(reads.values)) < RECORDS:
                assert time.monotonic() < deadline, (
                    f"{len(set(reads.values))} of {RECORDS} records consumed in "
                    f"{CONSUME_DEADLINE_S}s; commit errors: {reads.commit_errors[-5:]}; "
                    f"consumer errors: {[m.transient_errors[-3:] for m in members]}")
                for member in members:
                    msg = member.poll()
                    if msg is None:
                        continue
                    reads.read(msg)
                    # Committed before the next poll, where librdkafka serves rebalances.
                    reads.commit(member, msg)
                if killed is None and len(reads.values) >= KILL_AFTER:
                    killed = coordinator_id(bootstrap, group)
                    committed_at_kill = dict(reads.committed)
                    cluster.kill(killed)
                    killed_at = time.monotonic()
                if resumed_after_s is None and killed_at and (reads.last_commit_time or 0) > killed_at:
                    resumed_after_s = reads.last_commit_time - killed_at

            assert resumed_after_s is not None, "no commit succeeded after the coordinator died"
            assert resumed_after_s < TAKEOVER_DEADLINE_S, \
                f"the group took {resumed_after_s:.1f}s to commit again after the coordinator died"
            assert not reads.reads_below_commit, (
                f"records read again below a committed offset (partition, offset, committed): "
                f"{reads.reads_below_commit[:5]}")
            assert set(reads.values) == {r.value for r in records}

            # Another broker holds the group now, with every commit made before the kill.
            new_coordinator = coordinator_id(bootstrap, group)
            assert new_coordinator != killed
            after_failover = committed_offsets(bootstrap, group)
            lost = {p: (offset, after_failover.get(p)) for p, offset in committed_at_kill.items()
                    if after_failover.get(p, -1) < offset}
            assert not lost, f"committed offsets lost (before kill, after failover): {lost}"
            ends = {p: high for p, (_low, high) in watermarks(bootstrap, topic, PARTITIONS).items()}
            assert after_failover == ends
        finally:
            for member in members:
                member.close()

        # The restarted broker does not take the group back with stale offsets.
        cluster.start(killed)
        assert committed_offsets(bootstrap, group) == ends

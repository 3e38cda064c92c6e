"""Stateless brokers on radosgw + etcd: several brokers, any of which may die.

Each test runs its own cluster (tests/e2e/cluster.py): a private etcd, a new
bucket on the shared radosgw, and broker processes killed the way machines
die (SIGKILL) or stall (SIGSTOP).
"""

import subprocess
import threading
import time

import confluent_kafka
import pytest
from confluent_kafka.admin import NewTopic

from clients import confluent_admin, confluent_consume, confluent_produce
from cluster import Cluster
from conftest import REPO_ROOT
from dataset import ProducedRecord
from wire import RawClient, Record, decode_produce_response, encode_produce_body, encode_record_batch

NOT_LEADER_OR_FOLLOWER = 6
REQUEST_TIMED_OUT = 7
KAFKA_STORAGE_ERROR = 56


def record(index, value, key=None):
    return ProducedRecord(index=index, key=key, value=value, headers=(), timestamp=None)


def create_topic(bootstrap, name, partitions):
    admin = confluent_admin(bootstrap)  # must outlive its futures
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(30)


def partition_leaders(bootstrap, topic):
    """{partition: leader broker id} from a Metadata request."""
    metadata = confluent_admin(bootstrap).list_topics(topic, timeout=10)
    return {p.id: p.leader for p in metadata.topics[topic].partitions.values()}


def wait_for_leaders(bootstrap, topic, partitions, timeout_s=30, exclude=()):
    """Waits until every partition has a live leader outside `exclude`."""
    deadline = time.monotonic() + timeout_s
    while True:
        leaders = partition_leaders(bootstrap, topic)
        if len(leaders) == partitions and all(l >= 0 and l not in exclude for l in leaders.values()):
            return leaders
        if time.monotonic() > deadline:
            raise AssertionError(f"partitions without a live leader after {timeout_s}s: {leaders}")
        time.sleep(0.2)


def wait_for_brokers(bootstrap, expected, timeout_s=10):
    """Whether Metadata from `bootstrap` lists exactly the `expected` broker ids
    within timeout_s (each broker refreshes its view of the others every 0.5 s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        brokers = sorted(confluent_admin(bootstrap).list_topics(timeout=10).brokers)
        if brokers == expected:
            return True
        if time.monotonic() > deadline:
            print(f"{bootstrap} reports brokers {brokers}, expected {expected}")
            return False
        time.sleep(0.2)


def by_partition(consumed):
    out = {}
    for record in consumed:
        out.setdefault(record.partition, []).append(record)
    return out


def test_three_brokers_report_each_other_and_spread_partitions(tmp_path):
    with Cluster(tmp_path, brokers=3) as cluster:
        cluster.start_all()
        for index in range(3):
            assert wait_for_brokers(cluster.brokers[index].address, [0, 1, 2]), f"broker {index}"
        create_topic(cluster.bootstrap(), "spread", 12)
        # The creating broker takes its share at once, the others on their
        # next pass (every 0.5 s); a broker that saw fewer live brokers hands
        # the excess over on its next pass.
        deadline = time.monotonic() + 15
        while True:
            leaders = wait_for_leaders(cluster.bootstrap(), "spread", 12)
            counts = [list(leaders.values()).count(b) for b in range(3)]
            if counts == [4, 4, 4] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert counts == [4, 4, 4], f"12 partitions over 3 brokers: {leaders}"


def test_dead_broker_partitions_get_new_owners_within_the_lease_ttl(tmp_path):
    ttl_s = 4
    with Cluster(tmp_path, brokers=3, lease_ttl_s=ttl_s) as cluster:
        cluster.start_all()
        create_topic(cluster.bootstrap(), "takeover", 9)
        leaders = wait_for_leaders(cluster.bootstrap(), "takeover", 9)
        victim = leaders[0]
        killed_at = time.monotonic()
        cluster.kill(victim)
        survivor = cluster.brokers[(victim + 1) % 3].address
        after = wait_for_leaders(survivor, "takeover", 9, timeout_s=3 * ttl_s, exclude=(victim,))
        took = time.monotonic() - killed_at
        # The lease runs out after the TTL (counted from the last keep-alive,
        # up to TTL/3 before the kill); a survivor notices within a pass.
        assert took <= ttl_s + 2, f"new owners after {took:.1f}s with a {ttl_s}s lease"
        assert wait_for_brokers(survivor, sorted({0, 1, 2} - {victim}))
        records = [record(i, f"v{i}".encode()) for i in range(9)]
        for partition in range(9):
            confluent_produce(survivor, "takeover", [records[partition]], partition=partition)
        print(f"takeover: {sum(1 for p in leaders if leaders[p] == victim)} partitions moved in {took:.1f}s; "
              f"leaders now {after}")


def test_stateless_every_record_survives_killing_every_broker(tmp_path):
    """100,000 records acked on 3 brokers read back by 3 new brokers with empty disks."""
    with Cluster(tmp_path, brokers=3) as cluster:
        cluster.start_all()
        create_topic(cluster.bootstrap(), "stateless", 12)
        wait_for_leaders(cluster.bootstrap(), "stateless", 12)
        records = [record(i, str(i).encode(), key=f"k{i}".encode()) for i in range(100_000)]
        deliveries = []
        for partition in range(12):
            mine = records[partition::12]
            deliveries += confluent_produce(cluster.bootstrap(), "stateless", mine, partition=partition)
        assert len(deliveries) == 100_000

        for index in range(3):
            cluster.kill(index)
        for index in range(3):
            cluster.restart(index, fresh_data_dir=True, wait=False)
        for index in range(3):
            cluster.wait_ready(index)

        consumed = confluent_consume(cluster.bootstrap(), "stateless", 12, 100_000, timeout_s=120)
        assert len(consumed) == 100_000
        for partition, got in by_partition(consumed).items():
            assert [int(r.value) for r in got] == [int(r.value) for r in records[partition::12]], \
                f"partition {partition} differs"
            assert [r.offset for r in got] == list(range(len(got)))


class LoadRun:
    """An acks=all producer with retries and a reader, both running until stop().

    Values are "partition:sequence", the sequence counting produce calls per
    partition, so order and loss can be checked per partition.
    """

    PARTITIONS = 6

    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.acked = {p: [] for p in range(self.PARTITIONS)}
        self.errors = []
        self.consumed = {p: [] for p in range(self.PARTITIONS)}
        self._stop = threading.Event()
        self._producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "retries": 1_000_000,
            "retry.backoff.ms": 100,
            "message.timeout.ms": 120_000,
            # Without idempotence one request in flight keeps retries in order.
            "max.in.flight.requests.per.connection": 1,
        })
        self._consumer = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{topic}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        })
        self._consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
                               for p in range(self.PARTITIONS)])
        self._threads = [threading.Thread(target=self._produce), threading.Thread(target=self._consume)]

    def start(self):
        for thread in self._threads:
            thread.start()

    def _produce(self):
        sequence = 0

        def report(err, msg):
            if err is not None:
                self.errors.append(str(err))
            else:
                self.acked[msg.partition()].append(msg.value().decode())

        while not self._stop.is_set():
            for partition in range(self.PARTITIONS):
                try:
                    self._producer.produce(self.topic, value=f"{partition}:{sequence}".encode(),
                                           partition=partition, on_delivery=report)
                except BufferError:
                    self._producer.poll(0.05)
            sequence += 1
            self._producer.poll(0)
            time.sleep(0.002)
        self._producer.flush(120)

    def _consume(self):
        while not self._stop.is_set():
            for msg in self._consumer.consume(num_messages=1000, timeout=0.5):
                if not msg.error():
                    self.consumed[msg.partition()].append(msg.value().decode())

    def stop_producing(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(180)

    def drain(self, timeout_s=60):
        """Reads until every acked record was consumed (or the deadline)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            missing = sum(len(set(self.acked[p]) - set(self.consumed[p])) for p in self.acked)
            if missing == 0:
                break
            for msg in self._consumer.consume(num_messages=1000, timeout=0.5):
                if not msg.error():
                    self.consumed[msg.partition()].append(msg.value().decode())
        self._consumer.close()


def test_failover_under_load_loses_no_acknowledged_record(tmp_path):
    """A producer and a consumer run 60 s while a broker is SIGKILLed every 15 s."""
    with Cluster(tmp_path, brokers=3, lease_ttl_s=5) as cluster:
        cluster.start_all()
        create_topic(cluster.bootstrap(), "failover", LoadRun.PARTITIONS)
        wait_for_leaders(cluster.bootstrap(), "failover", LoadRun.PARTITIONS)
        load = LoadRun(cluster.bootstrap(), "failover")
        load.start()
        try:
            for round_number in range(4):
                time.sleep(15)
                victim = round_number % 3
                cluster.kill(victim)
                cluster.start(victim, wait=False)
        finally:
            load.stop_producing()
        for index in range(3):
            cluster.wait_ready(index)
        load.drain()

        acked_total = sum(len(v) for v in load.acked.values())
        assert acked_total > 1000, f"only {acked_total} records acknowledged in 60 s"
        assert not load.errors, f"{len(load.errors)} deliveries failed, first: {load.errors[:3]}"
        duplicates = 0
        for partition in range(LoadRun.PARTITIONS):
            consumed = load.consumed[partition]
            missing = set(load.acked[partition]) - set(consumed)
            assert not missing, f"partition {partition}: {len(missing)} acknowledged records missing"
            sequences = [int(v.split(":")[1]) for v in consumed]
            first_seen = []
            seen = set()
            for s in sequences:
                if s in seen:
                    duplicates += 1
                else:
                    seen.add(s)
                    first_seen.append(s)
            assert first_seen == sorted(first_seen), f"partition {partition} out of order"
        print(f"failover: {acked_total} acknowledged, {duplicates} duplicates from client retries")


def test_paused_broker_is_fenced_and_acknowledges_nothing(tmp_path):
    """SIGSTOP past the lease, then SIGCONT: the zombie's produce fails, offsets never conflict."""
    with Cluster(tmp_path, brokers=3, lease_ttl_s=3, flush_interval_ms=200) as cluster:
        cluster.start_all()
        create_topic(cluster.bootstrap(), "zombie", 6)
        leaders = wait_for_leaders(cluster.bootstrap(), "zombie", 6)
        before = [record(i, f"before-{i}".encode()) for i in range(60)]
        for partition in range(6):
            confluent_produce(cluster.bootstrap(), "zombie", before[partition::6], partition=partition)

        zombie = leaders[0]
        lost = sorted(p for p, leader in leaders.items() if leader == zombie)
        batch = encode_record_batch([Record(key=None, value=b"from-the-zombie")])
        cluster.pause(zombie)
        # Sent while the broker is frozen: it reads the request only after SIGCONT.
        host, port = cluster.brokers[zombie].address.split(":")
        with RawClient(host, int(port), timeout_s=30) as raw:
            raw.request(0, 3, encode_produce_body("zombie", {p: batch for p in lost}, acks=-1,
                                                  timeout_ms=20000))
            new_leaders = wait_for_leaders(cluster.brokers[(zombie + 1) % 3].address, "zombie", 6,
                                           exclude=(zombie,))
            after = [record(i, f"after-{i}".encode()) for i in range(60)]
            for partition in range(6):
                confluent_produce(cluster.bootstrap(), "zombie", after[partition::6], partition=partition)
            cluster.resume(zombie)
            _, body = raw.receive()
        answers = decode_produce_response(body)["zombie"]
        for partition in lost:
            assert answers[partition].error_code in (NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR), \
                f"zombie answered partition {partition} with {answers[partition]} (new leader " \
                f"{new_leaders[partition]})"

        consumed = confluent_consume(cluster.bootstrap(), "zombie", 6, 120, timeout_s=60)
        values = [r.value for r in consumed]
        assert b"from-the-zombie" not in values
        assert sorted(values) == sorted(r.value for r in before + after)
        for partition, got in by_partition(consumed).items():
            assert [r.offset for r in got] == list(range(20)), f"partition {partition} offsets conflict"


@pytest.mark.parametrize("override, expected", [
    ({"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "the secret access key is wrong"),
    ({"KAFSCALE_S3_BUCKET": "kafscale-no-such-bucket"}, "does not exist"),
    ({"KAFSCALE_ETCD_ENDPOINTS": "http://127.0.0.1:1"}, "cannot open metadata store"),
])
def test_bad_store_settings_stop_start_up_with_a_message(tmp_path, override, expected):
    with Cluster(tmp_path, brokers=1, env_overrides=override) as cluster:
        with pytest.raises(RuntimeError) as failure:
            cluster.start(0)
        assert expected in str(failure.value)
        assert not cluster.is_running(0)


def etcd_script(command, directory):
    subprocess.run([str(REPO_ROOT / "scripts" / "etcd.sh"), command, str(directory)], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def test_etcd_outage_gives_retriable_errors_and_recovers(tmp_path):
    with Cluster(tmp_path, brokers=1, lease_ttl_s=5) as cluster:
        cluster.start_all()
        create_topic(cluster.bootstrap(), "etcd-outage", 2)
        wait_for_leaders(cluster.bootstrap(), "etcd-outage", 2)
        before = [record(i, f"before-{i}".encode()) for i in range(20)]
        confluent_produce(cluster.bootstrap(), "etcd-outage", before, partition=0)

        etcd_script("stop", cluster.etcd_dir)
        try:
            host, port = cluster.brokers[0].address.split(":")
            with RawClient(host, int(port), timeout_s=30) as raw:
                batch = encode_record_batch([Record(key=None, value=b"during-the-outage")])
                raw.request(0, 3, encode_produce_body("etcd-outage", {0: batch}, acks=-1, timeout_ms=10000))
                _, body = raw.receive()
            answer = decode_produce_response(body)["etcd-outage"][0]
            # Not durable without its commit: a retriable error, never an ack.
            assert answer.error_code in (KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER), answer
            assert cluster.is_running(0)
        finally:
            etcd_script("start", cluster.etcd_dir)

        after = [record(i, f"after-{i}".encode()) for i in range(20)]
        confluent_produce(cluster.bootstrap(), "etcd-outage", after, partition=0,
                          extra_config={"retries": 1_000_000, "retry.backoff.ms": 200})
        consumed = confluent_consume(cluster.bootstrap(), "etcd-outage", 1, 40, timeout_s=60)
        assert [r.value for r in consumed] == [r.value for r in before + after]
        assert cluster.is_running(0)

"""S3 outage: radosgw stops under a running broker and comes back.

While the gateway is down, produce gets retriable errors (KAFKA_STORAGE_ERROR
once the broker's S3 health tracker has noticed), /readyz answers 503 naming
the object store and /metrics reports the store unavailable. When the gateway
returns, the same broker process becomes ready again, a producer that kept
retrying gets every record acknowledged, and every acknowledged record reads
back.

The test runs its own radosgw (about 11 s to start) so that stopping it does
not disturb tests on the shared one; only the gateway daemon stops, the
monitor and the memstore OSD keep the objects.

A store that is only slow (degraded) keeps taking writes: refusing them
would turn a slowdown into an outage. That test uses the shared radosgw
with a degraded-latency threshold every request exceeds.
"""

import json
import time
import urllib.error
import urllib.request

import confluent_kafka
from confluent_kafka import KafkaError
from confluent_kafka.admin import NewTopic
from prometheus_client.parser import text_string_to_metric_families

from clients import confluent_admin, confluent_consume, confluent_produce, watermarks
from cluster import Cluster, read_env_file, run_script
from dataset import ProducedRecord
from wire import RawClient, Record, decode_produce_response, encode_produce_body, encode_record_batch

TOPIC = "s3-outage"
PARTITIONS = 2
RECORDS_PER_PHASE = 100
PRODUCE_API_KEY = 0
PRODUCE_VERSION = 3
KAFKA_STORAGE_ERROR = 56
REQUEST_TIMED_OUT = 7
HTTP_TIMEOUT_S = 10
# The broker probes the object store every 2 s; three failures in a row make
# it unavailable, three successes in a row start a fresh health window.
HEALTH_CHANGE_TIMEOUT_S = 30
# Long enough for the producer that keeps running to outlive the outage.
OUTAGE_PRODUCER_TIMEOUT_MS = 180_000
SHORT_MESSAGE_TIMEOUT_MS = 5_000
CLIENT_FLUSH_TIMEOUT_S = 120
HEALTH_SETTINGS = {"KAFSCALE_S3_HEALTH_WINDOW_SECONDS": "10"}


def records(tag):
    return [ProducedRecord(index=i, key=None, value=f"{tag}-{i}".encode(), headers=(), timestamp=None)
            for i in range(RECORDS_PER_PHASE)]


def http_get(cluster, path):
    """(status, body text) of one GET to broker 0's HTTP port."""
    try:
        with urllib.request.urlopen(f"{cluster.metrics_url(0)}{path}", timeout=HTTP_TIMEOUT_S) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_for_readiness(cluster, status, timeout_s=HEALTH_CHANGE_TIMEOUT_S):
    """Polls /readyz until it answers status; returns its JSON report."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer, body = http_get(cluster, "/readyz")
        if answer == status:
            return json.loads(body)
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz still answers {answer} after {timeout_s}s: {body}\n"
                                 f"{cluster.brokers[0].log_tail()}")
        time.sleep(0.2)


def s3_health_states(cluster):
    """{state label: value} of kafscale_s3_health_state, parsed strictly."""
    status, text = http_get(cluster, "/metrics")
    assert status == 200, text
    return {sample.labels["state"]: sample.value
            for family in text_string_to_metric_families(text) if family.name == "kafscale_s3_health_state"
            for sample in family.samples}


def wait_for_s3_health(cluster, state, timeout_s=HEALTH_CHANGE_TIMEOUT_S):
    """Polls /metrics until kafscale_s3_health_state is 1 for state alone."""
    expected = {name: 1 if name == state else 0 for name in ("healthy", "degraded", "unavailable")}
    deadline = time.monotonic() + timeout_s
    while (states := s3_health_states(cluster)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"S3 health still {states} after {timeout_s}s, wanted {state}\n"
                                 f"{cluster.brokers[0].log_tail()}")
        time.sleep(0.2)


def raw_produce_error(cluster, partition, value):
    """The per-partition error code of one acks=all Produce v3 carrying value."""
    host, port = cluster.brokers[0].address.split(":")
    batch = encode_record_batch([Record(key=None, value=value)])
    with RawClient(host, int(port), timeout_s=30) as raw:
        raw.request(PRODUCE_API_KEY, PRODUCE_VERSION,
                    encode_produce_body(TOPIC, {partition: batch}, acks=-1, timeout_ms=10000))
        _, body = raw.receive()
    return decode_produce_response(body, PRODUCE_VERSION)[TOPIC][partition].error_code


class KeptRunningProducer:
    """A librdkafka producer (acks=all, retries on) that is handed records
    during the outage and only flushed after it; records its outcomes."""

    def __init__(self, bootstrap):
        self.producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "retry.backoff.ms": 200,
            "message.timeout.ms": OUTAGE_PRODUCER_TIMEOUT_MS,
        })
        self.acknowledged = []
        self.errors = []

    def produce(self, values):
        for index, value in enumerate(values):
            self.producer.produce(TOPIC, value=value, partition=index % PARTITIONS, on_delivery=self._report)
            self.producer.poll(0)

    def flush(self):
        remaining = self.producer.flush(CLIENT_FLUSH_TIMEOUT_S)
        assert remaining == 0, f"{remaining} records unacknowledged {CLIENT_FLUSH_TIMEOUT_S}s after the outage"

    def _report(self, err, msg):
        if err is not None:
            self.errors.append(err)
        else:
            self.acknowledged.append(msg.value())


def short_timeout_produce_error(bootstrap, value):
    """The delivery error of one record whose message.timeout is short."""
    outcome = []
    producer = confluent_kafka.Producer({
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "message.timeout.ms": SHORT_MESSAGE_TIMEOUT_MS,
    })
    producer.produce(TOPIC, value=value, partition=0, on_delivery=lambda err, msg: outcome.append(err))
    assert producer.flush(SHORT_MESSAGE_TIMEOUT_MS / 1000 + 10) == 0
    return outcome[0]


def produce_by_partition(bootstrap, tagged):
    """Produces records spread over the partitions; returns the acknowledged values."""
    for partition in range(PARTITIONS):
        confluent_produce(bootstrap, TOPIC, tagged[partition::PARTITIONS], partition=partition)
    return [r.value for r in tagged]


def test_s3_outage_gives_retriable_errors_and_recovers_without_loss(tmp_path):
    rgw_dir = tmp_path / "rgw"
    run_script("rgw.sh", "start", str(rgw_dir))
    try:
        s3 = read_env_file(rgw_dir / "env")
        with Cluster(tmp_path / "cluster", brokers=1, s3=s3, env_overrides=HEALTH_SETTINGS) as cluster:
            cluster.start_all()
            broker_process = cluster.brokers[0].process
            admin = confluent_admin(cluster.bootstrap())  # must outlive its futures
            for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
                future.result(30)
            acknowledged = produce_by_partition(cluster.bootstrap(), records("before"))
            # A fresh radosgw answers its first writes slowly (it creates its
            # pools), which can leave the store degraded for a window.
            wait_for_s3_health(cluster, "healthy")

            kept_running = KeptRunningProducer(cluster.bootstrap())
            refused = []
            run_script("rgw.sh", "stop-gateway", str(rgw_dir))
            try:
                # Before the tracker notices, the record is buffered and its
                # flush fails; afterwards the broker refuses it up front.
                first_answer = raw_produce_error(cluster, 0, b"refused-at-once")
                refused.append(b"refused-at-once")
                assert first_answer in (KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT), first_answer
                kept_running.produce([r.value for r in records("during")])

                report = wait_for_readiness(cluster, 503)
                assert report["ready"] is False
                object_store = report["checks"]["object_store"]
                assert object_store["ok"] is False
                assert object_store["reason"].startswith("unavailable: "), report
                assert "object-store requests failed" in object_store["reason"], report
                assert report["checks"]["startup"]["ok"] and report["checks"]["metadata_store"]["ok"], report
                wait_for_s3_health(cluster, "unavailable", timeout_s=0)

                assert raw_produce_error(cluster, 1, b"refused-when-unavailable") == KAFKA_STORAGE_ERROR
                refused.append(b"refused-when-unavailable")
                error = short_timeout_produce_error(cluster.bootstrap(), b"timed-out-in-the-client")
                refused.append(b"timed-out-in-the-client")
                assert error is not None, "a record was acknowledged while radosgw was down"
                assert error.code() in (KafkaError.KAFKA_STORAGE_ERROR, KafkaError._MSG_TIMED_OUT,
                                        KafkaError.REQUEST_TIMED_OUT), error
                assert not kept_running.acknowledged, "acknowledged while radosgw was down"
                assert cluster.is_running(0)
            finally:
                run_script("rgw.sh", "start-gateway", str(rgw_dir))

            wait_for_readiness(cluster, 200)
            wait_for_s3_health(cluster, "healthy")
            kept_running.flush()
            assert not kept_running.errors, kept_running.errors[:3]
            assert sorted(kept_running.acknowledged) == sorted(r.value for r in records("during"))
            acknowledged += kept_running.acknowledged
            acknowledged += produce_by_partition(cluster.bootstrap(), records("after"))
            assert cluster.brokers[0].process is broker_process and cluster.is_running(0), \
                "the broker restarted"

            stored = sum(high for _, high in watermarks(cluster.bootstrap(), TOPIC, PARTITIONS).values())
            consumed = confluent_consume(cluster.bootstrap(), TOPIC, PARTITIONS, stored)
            values = [r.value for r in consumed]
            assert len(values) == len(set(values)), "a record is stored twice"
            missing = set(acknowledged) - set(values)
            assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:3]}"
            assert not set(refused) & set(values), "a record refused during the outage was stored"
            assert len(values) == len(acknowledged)
    finally:
        run_script("rgw.sh", "stop", str(rgw_dir))


def test_a_degraded_store_keeps_taking_writes(tmp_path):
    # Every radosgw request takes more than 1 ms, so the store is degraded as
    # soon as the window holds enough of them.
    settings = {"KAFSCALE_S3_DEGRADED_LATENCY_MS": "1", "KAFSCALE_S3_HEALTH_WINDOW_SECONDS": "10"}
    with Cluster(tmp_path / "cluster", brokers=1, env_overrides=settings) as cluster:
        cluster.start_all()
        admin = confluent_admin(cluster.bootstrap())  # must outlive its futures
        for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
            future.result(30)
        acknowledged = produce_by_partition(cluster.bootstrap(), records("first"))
        wait_for_s3_health(cluster, "degraded")
        assert raw_produce_error(cluster, 0, b"while-degraded") == 0
        acknowledged.append(b"while-degraded")
        acknowledged += produce_by_partition(cluster.bootstrap(), records("second"))
        assert s3_health_states(cluster)["degraded"] == 1
        status, body = http_get(cluster, "/readyz")
        assert status == 200, body  # degraded is reported, not a reason to stop serving

        read = confluent_consume(cluster.bootstrap(), TOPIC, PARTITIONS, len(acknowledged))
        assert sorted(r.value for r in read) == sorted(acknowledged)

"""The broker's HTTP surface: /metrics in strict Prometheus text format whose
counters match the traffic a test sends, and /healthz and /readyz, which
follows the object store's health."""

import json
import time
import urllib.error
import urllib.request

import confluent_kafka
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clients import confluent_consume, confluent_produce
from conftest import start_broker
from dataset import make_records
from segments import (COMPACT_AT_ONCE, NAMESPACE, acked_high_watermarks, read_topic_segments,
                      wait_until_compacted)
from wire import (RawClient, Record, decode_produce_response, encode_produce_body,
                  encode_record_batch)

PARTITIONS = 3
RECORD_COUNT = 2_000
HTTP_TIMEOUT_S = 10
PRODUCE_API_KEY = 0
PRODUCE_VERSION = 3
UNKNOWN_TOPIC_OR_PARTITION = 3
COMMITTED_OFFSET = 5
# The broker probes the object store every 2 s; three failures in a row make
# it unavailable and three successes healthy again.
HEALTH_CHANGE_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def broker_env():
    # Stored bytes are read from segments: compact right after each flush.
    return dict(COMPACT_AT_ONCE)


def http_get(broker, path, method="GET"):
    """(status, content type, body text) of one request to the broker's HTTP port."""
    request = urllib.request.Request(f"http://{broker.host}:{broker.metrics_port}{path}",
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


class Scrape:
    """One /metrics answer, parsed by prometheus_client's strict parser."""

    def __init__(self, broker):
        status, content_type, text = http_get(broker, "/metrics")
        assert status == 200, text
        assert content_type.startswith("text/plain; version=0.0.4"), content_type
        # The parser raises on anything outside the text format.
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples = {}
        for family in self.families.values():
            for sample in family.samples:
                self.samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value

    def value(self, name, **labels):
        """A sample's value; 0 for a labelled child that does not exist yet."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0)

    def total(self, name, **labels):
        """Sum of every sample of name whose labels include labels."""
        return sum(value for (sample_name, sample_labels), value in self.samples.items()
                   if sample_name == name and set(labels.items()) <= set(sample_labels))


def stored_batch_bytes(broker, topic):
    """Bytes of every record batch stored for topic (they are stored as produced)."""
    return sum(header.total_size for segments in read_topic_segments(broker, topic).values()
               for segment in segments for _, header in segment.batches)


def raw_produce(broker, topic, partition, records):
    """One Produce v3 request with one batch; returns the partition's error code."""
    batch = encode_record_batch(records)
    body = encode_produce_body(topic, {partition: batch}, version=PRODUCE_VERSION)
    with RawClient(broker.host, broker.port) as client:
        client.request(PRODUCE_API_KEY, PRODUCE_VERSION, body)
        _, response = client.receive()
    return decode_produce_response(response, PRODUCE_VERSION)[topic][partition].error_code


def test_healthz_and_readyz(broker):
    status, content_type, body = http_get(broker, "/healthz")
    assert (status, content_type, json.loads(body)) == (200, "application/json", {"status": "alive"})
    status, _, body = http_get(broker, "/readyz")
    report = json.loads(body)
    assert status == 200 and report["ready"] is True, report
    assert set(report["checks"]) == {"startup", "object_store", "object_store_probe", "metadata_store"}
    assert all(check["ok"] and check["reason"] for check in report["checks"].values()), report


def test_unknown_paths_and_methods(broker):
    assert http_get(broker, "/nothing-here")[0] == 404
    assert http_get(broker, "/metrics", method="POST")[0] == 405
    assert http_get(broker, "/metrics?name=x")[0] == 200


def test_counters_equal_what_was_sent_and_read(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="metrics")
    before = Scrape(broker)
    records = make_records("metrics", RECORD_COUNT)
    acks = confluent_produce(broker.bootstrap, topic, records)
    consumed = confluent_consume(broker.bootstrap, topic, PARTITIONS, RECORD_COUNT)
    assert len(consumed) == RECORD_COUNT
    after = Scrape(broker)

    def delta(name, **labels):
        return after.total(name, **labels) - before.total(name, **labels)

    wait_until_compacted(broker, topic, acked_high_watermarks(acks))
    stored_bytes = stored_batch_bytes(broker, topic)
    assert delta("kafscale_produce_records_total") == RECORD_COUNT
    assert delta("kafscale_fetch_records_total") == RECORD_COUNT
    assert delta("kafscale_produce_bytes_total") == stored_bytes
    assert delta("kafscale_fetch_bytes_total") == stored_bytes
    assert delta("kafscale_requests_total", api="Produce") >= 1
    assert delta("kafscale_requests_total", api="Produce") == delta(
        "kafscale_requests_total", api="Produce", error="NONE")
    assert delta("kafscale_request_duration_seconds_count", api="Produce") == delta(
        "kafscale_requests_total", api="Produce")
    assert delta("kafscale_produce_latency_ms_count") == delta("kafscale_requests_total", api="Produce")
    assert delta("kafscale_object_store_bytes_total", op="put_if_absent") >= stored_bytes
    assert delta("kafscale_connections_accepted_total") >= 2
    # Every flush is timed once per stage.
    flushes = delta("kafscale_wal_objects_written_total")
    assert flushes >= 1
    for stage in ("buffered", "upload", "turn", "commit"):
        assert delta("kafscale_wal_flush_stage_ms_count", stage=stage) == flushes

    per_partition = {p: sum(1 for partition, _ in acks if partition == p) for p in range(PARTITIONS)}
    for partition, count in per_partition.items():
        labels = {"topic": topic, "partition": str(partition)}
        assert after.value("kafscale_partition_high_watermark", **labels) == count
        assert after.value("kafscale_partition_log_start_offset", **labels) == 0

    assert after.value("kafscale_s3_health_state", state="healthy") == 1
    assert after.value("kafscale_s3_error_rate") == 0
    assert after.value("process_resident_memory_bytes") > 0
    # Every record acknowledged: nothing counts against the produce buffer.
    assert after.value("kafscale_buffer_used_bytes") == 0
    assert "kafscale_request_duration_seconds" in after.families
    assert after.families["kafscale_request_duration_seconds"].type == "histogram"


def test_request_counts_by_api_and_error(broker, topic_factory):
    topic = topic_factory(1, prefix="metrics-raw")
    before = Scrape(broker)
    for i in range(3):
        assert raw_produce(broker, topic, 0, [Record(b"k", f"v{i}".encode())]) == 0
    assert raw_produce(broker, "no-such-topic", 0, [Record(b"k", b"v")]) == UNKNOWN_TOPIC_OR_PARTITION
    after = Scrape(broker)
    produce_ok = {"api": "Produce", "error": "NONE"}
    produce_unknown = {"api": "Produce", "error": "UNKNOWN_TOPIC_OR_PARTITION"}
    assert after.value("kafscale_requests_total", **produce_ok) - before.value(
        "kafscale_requests_total", **produce_ok) == 3
    assert after.value("kafscale_requests_total", **produce_unknown) - before.value(
        "kafscale_requests_total", **produce_unknown) == 1
    assert after.value("kafscale_produce_records_total") - before.value(
        "kafscale_produce_records_total") == 3


def test_consumer_lag_per_group_and_partition(broker, topic_factory):
    topic = topic_factory(PARTITIONS, prefix="metrics-lag")
    records = make_records("lag", 300)
    confluent_produce(broker.bootstrap, topic, records, partition=0)
    group = f"lag-group-{topic}"
    consumer = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                                         "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, COMMITTED_OFFSET)],
                        asynchronous=False)
    finally:
        consumer.close()
    scrape = Scrape(broker)
    lag = scrape.value("kafscale_consumer_group_lag", group=group, topic=topic, partition="0")
    assert lag == len(records) - COMMITTED_OFFSET
    assert scrape.value("kafscale_consumer_lag_max") >= lag
    assert scrape.families["kafscale_consumer_lag"].type == "histogram"
    assert scrape.value("kafscale_consumer_lag_count") >= 1


def test_request_rate_gauges(broker, topic_factory):
    topic = topic_factory(1, prefix="metrics-rps")
    for i in range(5):
        assert raw_produce(broker, topic, 0, [Record(b"k", f"v{i}".encode())]) == 0
    scrape = Scrape(broker)
    # Five produces within the last 10 s window.
    assert scrape.value("kafscale_produce_rps") >= 0.5
    assert scrape.value("kafscale_broker_uptime_seconds") > 0


def wait_for_readiness(broker, status, timeout_s=HEALTH_CHANGE_TIMEOUT_S):
    """Polls /readyz until it answers status; returns its report."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer, _, body = http_get(broker, "/readyz")
        if answer == status:
            return json.loads(body)
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz still answers {answer} after {timeout_s}s: {body}")
        time.sleep(0.2)


def test_readyz_follows_an_object_store_outage(tmp_path_factory):
    """/readyz fails while the object store cannot answer and recovers with it.

    The local store's namespace directory becomes a symlink to itself, so
    every object lookup fails with ELOOP, as requests to an unreachable S3
    fail; removing it brings the store back.
    """
    broker = start_broker(tmp_path_factory, "metrics-outage")
    try:
        wait_for_readiness(broker, 200)
        namespace_dir = broker.objects_dir / NAMESPACE
        assert not namespace_dir.exists(), "a fresh broker has stored nothing yet"
        namespace_dir.symlink_to(NAMESPACE)
        report = wait_for_readiness(broker, 503)
        assert report["ready"] is False
        assert report["checks"]["object_store"]["ok"] is False
        assert report["checks"]["object_store"]["reason"].startswith("unavailable"), report
        assert report["checks"]["startup"]["ok"] and report["checks"]["metadata_store"]["ok"]
        scrape = Scrape(broker)
        assert scrape.value("kafscale_s3_health_state", state="unavailable") == 1
        # The readiness probe's HEADs and the broker's own background listing
        # (write-ahead garbage collection) both fail.
        assert scrape.total("kafscale_object_store_errors_total", code="io_error") >= 3

        namespace_dir.unlink()
        wait_for_readiness(broker, 200)
        # A few successful probes later the outage no longer counts at all.
        deadline = time.monotonic() + HEALTH_CHANGE_TIMEOUT_S
        while Scrape(broker).value("kafscale_s3_health_state", state="healthy") != 1:
            assert time.monotonic() < deadline, "object store never became healthy again"
            time.sleep(0.2)
        assert Scrape(broker).value("kafscale_s3_error_rate") == 0
    finally:
        broker.close()

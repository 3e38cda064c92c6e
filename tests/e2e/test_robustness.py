"""Malformed and hostile input never crashes the broker, hangs it, or corrupts data.

Raw requests are built by hand (wire.py). Throughout the module a normal
client keeps producing and consuming; each test checks it still makes
progress, and the last test restarts the broker and reads everything back.
"""

import random
import struct
import threading
import time
from pathlib import Path

import confluent_kafka
import pytest

import wire
from clients import confluent_consume, watermarks
from conftest import create_topic, unique_topic

MAX_REQUEST_BYTES = 1024 * 1024
RAW_PARTITIONS = 2
BACKGROUND_PARTITIONS = 2
PROGRESS_TIMEOUT_S = 20
SETTLE_TIMEOUT_S = 60
RSS_LIMIT_BYTES = 512 * 1024 * 1024
RESPONSE_TIMEOUT_S = 10
UNREAD_CHUNKS = 100  # up to ~400 MB of responses nobody reads
BAD_BATCH_ERRORS = {wire.ERROR_CORRUPT_MESSAGE, wire.ERROR_INVALID_RECORD}
BAD_MAGIC_ERRORS = BAD_BATCH_ERRORS | {wire.ERROR_UNSUPPORTED_FOR_MESSAGE_FORMAT}


@pytest.fixture(scope="module")
def broker_env():
    return {"KAFSCALE_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES)}


class BackgroundClient:
    """A well-behaved producer and consumer running on a thread for the whole module.

    Only the thread touches the librdkafka handles; the test thread reads the
    counters (list appends are atomic) and calls stop().
    """

    def __init__(self, bootstrap, topic):
        self.acked = []
        self.consumed = set()
        self.errors = []
        self.thread_error = None
        self._stop = threading.Event()
        self._producer = confluent_kafka.Producer({
            "bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2,
            "message.timeout.ms": SETTLE_TIMEOUT_S * 1000})
        self._consumer = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap, "group.id": "e2e-background",
            "enable.auto.commit": False, "fetch.wait.max.ms": 100})
        self._consumer.assign([confluent_kafka.TopicPartition(
            topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(BACKGROUND_PARTITIONS)])
        self._topic = topic
        self._thread = threading.Thread(target=self._run, name="background-client")
        self._thread.start()

    def _on_delivery(self, err, msg):
        if err is not None:
            self.errors.append(f"delivery: {err}")
        else:
            self.acked.append((msg.partition(), msg.offset(), msg.value()))

    def _consume_some(self):
        for msg in self._consumer.consume(num_messages=500, timeout=0.05):
            if msg.error():
                self.errors.append(f"consume: {msg.error()}")
            else:
                self.consumed.add(msg.value())

    def _run(self):
        try:
            sequence = 0
            while not self._stop.is_set():
                for _ in range(10):
                    self._producer.produce(self._topic, key=str(sequence % 7).encode(),
                                           value=f"bg-{sequence}".encode(),
                                           on_delivery=self._on_delivery)
                    sequence += 1
                self._producer.poll(0.02)
                self._consume_some()
            self._producer.flush(SETTLE_TIMEOUT_S)
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while (time.monotonic() < deadline
                   and not {v for _, _, v in self.acked} <= self.consumed):
                self._consume_some()
            self._consumer.close()
        except Exception as err:  # reported by stop() in the test thread
            self.thread_error = err

    def wait_for_progress(self):
        """Both acks and reads must advance within PROGRESS_TIMEOUT_S."""
        acked, consumed = len(self.acked), len(self.consumed)
        deadline = time.monotonic() + PROGRESS_TIMEOUT_S
        while len(self.acked) < acked + 20 or len(self.consumed) < consumed + 20:
            assert self._thread.is_alive(), f"background client died: {self.thread_error!r}"
            assert time.monotonic() < deadline, (
                f"background client stalled: acks {acked}->{len(self.acked)}, reads "
                f"{consumed}->{len(self.consumed)} in {PROGRESS_TIMEOUT_S}s")
            time.sleep(0.05)
        assert not self.errors, f"background client saw errors: {self.errors[:3]}"

    @property
    def stopped(self):
        return self._stop.is_set()

    def stop(self):
        """Stops producing, then waits until every acknowledged record was read."""
        self._stop.set()
        self._thread.join(2 * SETTLE_TIMEOUT_S + 10)
        assert not self._thread.is_alive(), "background client did not finish"
        assert self.thread_error is None, f"background client failed: {self.thread_error!r}"


@pytest.fixture(scope="module")
def background_topic(broker):
    return create_topic(broker.bootstrap, unique_topic("background"), BACKGROUND_PARTITIONS)


@pytest.fixture(scope="module")
def background(broker, background_topic):
    client = BackgroundClient(broker.bootstrap, background_topic)
    client.wait_for_progress()
    yield client
    if not client.stopped:
        client.stop()


@pytest.fixture(autouse=True)
def normal_client_unaffected(background):
    """Whatever a test threw at the broker, normal traffic still flows afterwards."""
    yield
    if not background.stopped:
        background.wait_for_progress()


@pytest.fixture(scope="module")
def raw_topic(broker):
    return create_topic(broker.bootstrap, unique_topic("raw"), RAW_PARTITIONS)


class RawLedger:
    """What the raw produce tests got acknowledged, checked after the restart."""

    def __init__(self):
        self.acknowledged = {p: [] for p in range(RAW_PARTITIONS)}
        # Well-formed records a fuzzed request may legitimately have stored anywhere.
        self.maybe_stored = set()

    def allowed_values(self):
        return self.maybe_stored.union(*self.acknowledged.values())


@pytest.fixture(scope="module")
def ledger():
    return RawLedger()


def connect(broker, timeout_s=RESPONSE_TIMEOUT_S):
    return wire.RawClient(broker.host, broker.port, timeout_s)


def broker_rss_bytes(broker):
    for line in Path(f"/proc/{broker.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for the broker process")


def assert_broker_serves(broker):
    """The process is alive and a fresh connection gets an ApiVersions answer."""
    assert broker.is_running(), "broker process exited"
    with connect(broker) as client:
        correlation_id = client.request(wire.API_API_VERSIONS, 0, b"")
        got_id, body = client.receive()
        assert got_id == correlation_id
        assert wire.decode_api_versions_v0_response(body)[0] == wire.ERROR_NONE


def valid_batch(values, timestamp=1_700_000_000_000):
    return wire.encode_record_batch(
        [wire.Record(b"raw", v, [("h", b"1")], timestamp + i) for i, v in enumerate(values)])


def produce_raw(broker, topic, partition_batches, acks=-1, version=3):
    """One Produce request; returns {partition: ProducePartitionResult}."""
    with connect(broker) as client:
        correlation_id = client.request(wire.API_PRODUCE, version, wire.encode_produce_body(
            topic, partition_batches, acks, version=version))
        got_id, body = client.receive()
    assert got_id == correlation_id
    results = wire.decode_produce_response(body, version)
    assert list(results) == [topic]
    return results[topic]


# --- protocol negotiation -------------------------------------------------------


def test_api_versions_unsupported_version_answers_with_ranges(broker, background):
    with connect(broker) as client:
        correlation_id = client.request(wire.API_API_VERSIONS, 99,
                                        wire.encode_api_versions_v3_body(), flexible=True)
        # Response header v0: the correlation id and nothing else, then a v0 body.
        got_id, body = client.receive()
        assert got_id == correlation_id
        error_code, ranges = wire.decode_api_versions_v0_response(body)
        assert error_code == wire.ERROR_UNSUPPORTED_VERSION
        for api_key, least_max in ((wire.API_API_VERSIONS, 3), (wire.API_PRODUCE, 3),
                                   (1, 4), (wire.API_METADATA, 1)):
            assert api_key in ranges, f"API {api_key} missing from {ranges}"
            low, high = ranges[api_key]
            assert 0 <= low <= high and high >= least_max, f"API {api_key}: {low}..{high}"

        # A client then retries with a version from the ranges, on the same connection.
        correlation_id = client.request(wire.API_API_VERSIONS, 0, b"")
        got_id, body = client.receive()
        assert got_id == correlation_id
        assert wire.decode_api_versions_v0_response(body)[0] == wire.ERROR_NONE


def test_api_versions_v3_flexible(broker, background):
    with connect(broker) as client:
        correlation_id = client.request(wire.API_API_VERSIONS, 3,
                                        wire.encode_api_versions_v3_body(), flexible=True)
        got_id, body = client.receive()
        assert got_id == correlation_id
        (error_code,) = struct.unpack_from(">h", body, 0)
        assert error_code == wire.ERROR_NONE


@pytest.mark.parametrize("version", [13, 99, 32767])
def test_metadata_unsupported_version_answers_or_closes(broker, background, version):
    with connect(broker) as client:
        correlation_id = client.request(wire.API_METADATA, version, b"\x00\x00\x00\x00",
                                        flexible=True)
        reply = client.answer_or_close()
        if reply is not None:
            assert reply[0] == correlation_id
    assert_broker_serves(broker)


@pytest.mark.parametrize("api_key", [9999, 32767, -1])
def test_unknown_api_key_answers_or_closes(broker, background, api_key):
    with connect(broker) as client:
        correlation_id = client.request(api_key, 0, b"\x00" * 16)
        reply = client.answer_or_close()
        if reply is not None:
            assert reply[0] == correlation_id
    assert_broker_serves(broker)


# --- framing ------------------------------------------------------------------------


@pytest.mark.parametrize("fragment", [
    b"\x00\x00",  # half a length prefix
    struct.pack(">i", 100),  # a length prefix and nothing else
    struct.pack(">i", 100) + b"\x00\x12\x00\x00",  # a prefix and part of a header
], ids=["half-prefix", "prefix-only", "partial-header"])
def test_truncated_frame_then_disconnect(broker, background, fragment):
    with connect(broker) as client:
        client.send(fragment)
    assert_broker_serves(broker)


def test_truncated_frame_left_open_does_not_block_others(broker, background):
    with connect(broker) as stalled:
        stalled.send(struct.pack(">i", 1000) + b"\x00\x03\x00\x01")
        assert_broker_serves(broker)


@pytest.mark.parametrize("body", [
    struct.pack(">hhi", wire.API_METADATA, 1, 7),  # header ends before the client id
    struct.pack(">hhih", wire.API_METADATA, 1, 7, 50) + b"short",  # client id overruns
    struct.pack(">hhi", wire.API_PRODUCE, 3, 7) + wire.encode_string("x")
    + struct.pack(">hhii", -1, 1, 1000, 5),  # Produce whose topic array overruns
], ids=["no-client-id", "client-id-overrun", "produce-body-overrun"])
def test_complete_frame_with_truncated_content(broker, background, body):
    with connect(broker) as client:
        client.send(struct.pack(">i", len(body)) + body)
        reply = client.answer_or_close()
        if reply is not None:
            assert reply[0] == 7
    assert_broker_serves(broker)


@pytest.mark.parametrize("size", [MAX_REQUEST_BYTES + 1, 0x7FFFFFFF, -1, -0x80000000])
def test_oversized_or_negative_length_prefix_closes(broker, background, size):
    rss_before = broker_rss_bytes(broker)
    with connect(broker) as client:
        client.send(struct.pack(">i", size) + b"\x00\x12\x00\x00\x00\x00\x00\x01")
        assert client.answer_or_close() is None, "the broker answered an illegal frame"
    assert broker_rss_bytes(broker) < max(RSS_LIMIT_BYTES, 2 * rss_before), \
        "the broker allocated memory for the announced frame size"
    assert_broker_serves(broker)


def test_request_sent_one_byte_at_a_time(broker, background):
    frame = wire.encode_request(wire.API_API_VERSIONS, 0, 42, b"")
    with connect(broker) as client:
        for byte in frame:
            client.send(bytes([byte]))
            time.sleep(0.002)
        got_id, body = client.receive()
        assert got_id == 42
        assert wire.decode_api_versions_v0_response(body)[0] == wire.ERROR_NONE


def test_pipelined_requests_answered_in_order(broker, background):
    with connect(broker) as client:
        client.send(b"".join(wire.encode_request(wire.API_API_VERSIONS, v % 3, 1000 + v, b"")
                             for v in range(30)))
        assert [client.receive()[0] for _ in range(30)] == list(range(1000, 1030))


def test_client_that_never_reads_its_responses(broker, background):
    """Requests pile up unread: the broker must push back, not buffer without bound."""
    frame = wire.encode_request(wire.API_API_VERSIONS, 0, 1, b"")
    chunk = frame * 10_000  # ~200 KB of requests, ~4 MB of responses
    rss_before = broker_rss_bytes(broker)
    with connect(broker) as hog:
        hog.sock.settimeout(2)
        try:
            for _ in range(UNREAD_CHUNKS):
                hog.sock.sendall(chunk)
        except (TimeoutError, ConnectionError):
            pass  # the broker stopped reading, or gave up on us: both are fine
        background.wait_for_progress()
        assert broker_rss_bytes(broker) < max(RSS_LIMIT_BYTES, 2 * rss_before), \
            "the broker buffers unread responses without bound"
    assert_broker_serves(broker)


def test_random_bytes(broker, background):
    rng = random.Random(1234)
    for attempt in range(60):
        junk = rng.randbytes(rng.randint(1, 4096))
        if attempt % 2:  # half get a plausible length prefix so the body gets parsed
            junk = struct.pack(">i", len(junk)) + junk
        with connect(broker, timeout_s=0.2) as client:
            try:
                client.send(junk)
                client.answer_or_close()
            except (TimeoutError, ConnectionError):
                pass  # no answer, or a reset, are both fine; only survival matters
    assert_broker_serves(broker)


def test_connection_storm(broker, background):
    for _ in range(200):
        with connect(broker):
            pass
    assert_broker_serves(broker)


# --- produce validation -----------------------------------------------------------


def test_valid_raw_produce(broker, background, raw_topic, ledger):
    before = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)
    values = [b"raw-valid-0", b"raw-valid-1", b"raw-valid-2"]
    results = produce_raw(broker, raw_topic, {0: valid_batch(values)})
    assert results[0].error_code == wire.ERROR_NONE
    assert results[0].base_offset == before[0][1]
    ledger.acknowledged[0].extend(values)
    consumed = confluent_consume(broker.bootstrap, raw_topic, 1, len(values),
                                 start_offsets={0: before[0][1]})
    assert [(c.offset, c.value, c.headers) for c in consumed] == [
        (before[0][1] + i, v, (("h", b"1"),)) for i, v in enumerate(values)]


def test_bad_crc_fails_only_its_partition(broker, background, raw_topic, ledger):
    before = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)
    corrupt = bytearray(valid_batch([b"raw-corrupt"]))
    corrupt[-1] ^= 0xFF  # inside the CRC-covered records
    good_values = [b"raw-beside-corrupt"]
    results = produce_raw(broker, raw_topic, {0: bytes(corrupt), 1: valid_batch(good_values)})
    assert results[0].error_code == wire.ERROR_CORRUPT_MESSAGE
    assert results[1].error_code == wire.ERROR_NONE
    assert results[1].base_offset == before[1][1]
    ledger.acknowledged[1].extend(good_values)
    after = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)
    assert after[0] == before[0], "the corrupt batch moved the high watermark"


def assert_rejected(broker, raw_topic, records, allowed_errors):
    before = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)
    results = produce_raw(broker, raw_topic, {0: records})
    assert results[0].error_code in allowed_errors, \
        f"error {results[0].error_code}, expected one of {sorted(allowed_errors)}"
    assert watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS) == before


@pytest.mark.parametrize("magic", [0, 1, 3, 0x7F])
def test_bad_magic_rejected(broker, background, raw_topic, magic):
    batch = bytearray(valid_batch([b"raw-bad-magic"]))
    batch[wire.BATCH_MAGIC_OFFSET] = magic  # not CRC-covered: only the magic is wrong
    assert_rejected(broker, raw_topic, bytes(batch), BAD_MAGIC_ERRORS)


@pytest.mark.parametrize("cut", [1, 10, 40])
def test_truncated_batch_rejected(broker, background, raw_topic, cut):
    batch = valid_batch([b"raw-truncated-a", b"raw-truncated-b"])
    assert_rejected(broker, raw_topic, batch[:-cut], BAD_BATCH_ERRORS)


def test_batch_shorter_than_header_rejected(broker, background, raw_topic):
    assert_rejected(broker, raw_topic, valid_batch([b"raw-stub"])[:30], BAD_BATCH_ERRORS)


def test_batch_length_beyond_data_rejected(broker, background, raw_topic):
    batch = bytearray(valid_batch([b"raw-long-length"]))
    struct.pack_into(">i", batch, wire.BATCH_LENGTH_OFFSET, len(batch) + 1000)
    assert_rejected(broker, raw_topic, bytes(batch), BAD_BATCH_ERRORS)


def test_trailing_partial_batch_rejected(broker, background, raw_topic):
    records = valid_batch([b"raw-then-junk"]) + valid_batch([b"raw-junk-tail"])[:20]
    assert_rejected(broker, raw_topic, records, BAD_BATCH_ERRORS)


def test_record_count_larger_than_records_rejected(broker, background, raw_topic):
    """The CRC is valid but the batch claims more records than it holds."""
    batch = bytearray(valid_batch([b"raw-count-a", b"raw-count-b"]))
    struct.pack_into(">i", batch, wire.BATCH_HEADER_SIZE - 4, 5)
    covered = batch[wire.BATCH_ATTRIBUTES_OFFSET:]
    struct.pack_into(">I", batch, wire.BATCH_CRC_OFFSET, wire.crc32c(covered))
    assert_rejected(broker, raw_topic, bytes(batch), BAD_BATCH_ERRORS)


@pytest.mark.parametrize("version", [0, 1, 2])
def test_old_produce_versions(broker, background, raw_topic, ledger, version):
    """Old request versions carrying v2 batches work; pre-0.11 message sets are refused."""
    before = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)[0][1]
    value = f"raw-produce-v{version}".encode()
    results = produce_raw(broker, raw_topic, {0: valid_batch([value])}, version=version)
    assert (results[0].error_code, results[0].base_offset) == (wire.ERROR_NONE, before)
    ledger.acknowledged[0].append(value)

    legacy = wire.encode_legacy_message_set(b"raw-legacy", magic=min(version, 1))
    results = produce_raw(broker, raw_topic, {0: legacy}, version=version)
    assert results[0].error_code in BAD_MAGIC_ERRORS
    assert watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)[0][1] == before + 1


def test_unknown_partition_rejected(broker, background, raw_topic):
    results = produce_raw(broker, raw_topic, {99: valid_batch([b"raw-nowhere"])})
    assert results[99].error_code == 3  # UNKNOWN_TOPIC_OR_PARTITION


def test_mutated_produce_requests(broker, background, raw_topic, ledger):
    """Bit flips anywhere in a valid request: the broker survives and stores no garbage."""
    rng = random.Random(99)
    ledger.maybe_stored.add(b"raw-mutant")
    template = bytearray(wire.encode_request(
        wire.API_PRODUCE, 3, 5, wire.encode_produce_body(
            raw_topic, {1: valid_batch([b"raw-mutant"])}, acks=1)))
    for _ in range(100):
        mutant = bytearray(template)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(4, len(mutant))  # keep the frame length sane
            mutant[position] ^= 1 << rng.randrange(8)
        with connect(broker, timeout_s=0.3) as client:
            try:
                client.send(bytes(mutant))
                client.answer_or_close()
            except (TimeoutError, ConnectionError):
                pass  # acks may have been flipped to 0; no answer is fine
    assert_broker_serves(broker)
    assert_raw_topic_holds_only_known_records(broker, raw_topic, ledger)


def assert_raw_topic_holds_only_known_records(broker, raw_topic, ledger):
    marks = watermarks(broker.bootstrap, raw_topic, RAW_PARTITIONS)
    consumed = confluent_consume(broker.bootstrap, raw_topic, RAW_PARTITIONS,
                                 sum(high for _, high in marks.values()))
    strangers = [c for c in consumed if c.value not in ledger.allowed_values()]
    assert not strangers, f"stored records nobody sent intact: {strangers[:3]}"
    for partition, values in ledger.acknowledged.items():
        stored = {c.value for c in consumed if c.partition == partition}
        assert set(values) <= stored, f"partition {partition}: acknowledged records missing"


# --- afterwards -----------------------------------------------------------------


def test_everything_intact_after_restart(broker, background, background_topic, raw_topic,
                                         ledger):
    background.stop()
    assert not background.errors, f"background client errors: {background.errors[:3]}"
    unread = {v for _, _, v in background.acked} - background.consumed
    assert not unread, f"{len(unread)} acknowledged background records never read"

    assert broker.stop() == 0
    broker.start()

    marks = watermarks(broker.bootstrap, background_topic, BACKGROUND_PARTITIONS)
    consumed = confluent_consume(broker.bootstrap, background_topic, BACKGROUND_PARTITIONS,
                                 sum(high for _, high in marks.values()))
    log = {(c.partition, c.offset): c.value for c in consumed}
    lost = [a for a in background.acked if log.get(a[:2]) != a[2]]
    assert not lost, f"{len(lost)} acknowledged background records lost, first {lost[:3]}"

    assert_raw_topic_holds_only_known_records(broker, raw_topic, ledger)

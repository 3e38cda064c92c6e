"""Produce and consume through real Kafka clients, always with a deadline."""

import json
import os
import subprocess
import time
from pathlib import Path

import confluent_kafka
from confluent_kafka.admin import AdminClient
import kafka

from dataset import ConsumedRecord, consumed_from_json

NODE_DIR = Path(__file__).resolve().parent / "node"
PRODUCE_TIMEOUT_S = 60
CONSUME_TIMEOUT_S = 60


class ClientError(AssertionError):
    """A client reported an error the test did not expect.

    partial holds whatever was read before the failure.
    """

    def __init__(self, message, partial=()):
        super().__init__(message)
        self.partial = list(partial)


# --- confluent-kafka (librdkafka) -------------------------------------------

def confluent_produce(bootstrap, topic, records, compression="none", extra_config=None,
                      partition=None):
    """Produces records with acks=all; returns the delivered (partition, offset) in order.

    Records go to the given partition, or where the key's hash puts them.

    Raises ClientError if any delivery fails or the flush does not finish.
    """
    config = {
        "bootstrap.servers": bootstrap,
        "compression.type": compression,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": PRODUCE_TIMEOUT_S * 1000,
    }
    config.update(extra_config or {})
    producer = confluent_kafka.Producer(config)
    deliveries = [None] * len(records)
    errors = []

    def on_delivery(index):
        def report(err, msg):
            if err is not None:
                errors.append(f"record {index}: {err}")
            else:
                deliveries[index] = (msg.partition(), msg.offset())
        return report

    for i, r in enumerate(records):
        kwargs = {"key": r.key, "value": r.value, "headers": list(r.headers),
                  "on_delivery": on_delivery(i)}
        if r.timestamp is not None:
            kwargs["timestamp"] = r.timestamp
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    remaining = producer.flush(PRODUCE_TIMEOUT_S)
    if remaining:
        raise ClientError(f"{remaining} records still unacknowledged after {PRODUCE_TIMEOUT_S}s")
    if errors:
        raise ClientError(f"{len(errors)} delivery errors, first: {errors[:3]}")
    return deliveries


def confluent_consume(bootstrap, topic, partitions, expected_count, timeout_s=CONSUME_TIMEOUT_S,
                      start_offsets=None):
    """Reads partitions from the beginning (or start_offsets) until expected_count records.

    Uses manual assignment, so no consumer group is involved. Raises
    ClientError (carrying the records read so far) on a consume error or if
    the deadline passes first.
    """
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"e2e-reader-{topic}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    try:
        consumer.assign([
            confluent_kafka.TopicPartition(
                topic, p, (start_offsets or {}).get(p, confluent_kafka.OFFSET_BEGINNING))
            for p in range(partitions)])
        consumed = []
        deadline = time.monotonic() + timeout_s
        while len(consumed) < expected_count:
            if time.monotonic() > deadline:
                raise ClientError(f"read {len(consumed)} of {expected_count} records "
                                  f"in {timeout_s}s", consumed)
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    raise ClientError(f"consume error: {msg.error()}", consumed)
                consumed.append(ConsumedRecord(
                    partition=msg.partition(), offset=msg.offset(), key=msg.key(),
                    value=msg.value(), headers=tuple(msg.headers() or ()),
                    timestamp=msg.timestamp()[1]))
        return consumed
    finally:
        consumer.close()


def confluent_admin(bootstrap):
    return AdminClient({"bootstrap.servers": bootstrap})


def watermarks(bootstrap, topic, partitions):
    """{partition: (low, high)} through ListOffsets."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap,
                                         "group.id": f"e2e-watermarks-{topic}"})
    try:
        return {p: consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p),
                                                  timeout=10)
                for p in range(partitions)}
    finally:
        consumer.close()


# --- kafka-python -------------------------------------------------------------

def kafka_python_produce(bootstrap, topic, records, compression="none"):
    """Produces with acks=all; returns delivered (partition, offset) in order."""
    producer = kafka.KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, request_timeout_ms=30000,
        compression_type=None if compression == "none" else compression)
    try:
        futures = [producer.send(topic, key=r.key, value=r.value, headers=list(r.headers),
                                 timestamp_ms=r.timestamp) for r in records]
        producer.flush(timeout=PRODUCE_TIMEOUT_S)
        deliveries = []
        for i, future in enumerate(futures):
            try:
                meta = future.get(timeout=1)
            except Exception as err:  # any client error fails the test with context
                raise ClientError(f"record {i}: {err!r}") from err
            deliveries.append((meta.partition, meta.offset))
        return deliveries
    finally:
        producer.close(timeout=10)


def kafka_python_consume(bootstrap, topic, partitions, expected_count,
                         timeout_s=CONSUME_TIMEOUT_S):
    """Reads all partitions from the beginning by manual assignment."""
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                   enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        assignment = [kafka.TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        consumed = []
        deadline = time.monotonic() + timeout_s
        while len(consumed) < expected_count:
            if time.monotonic() > deadline:
                raise ClientError(f"read {len(consumed)} of {expected_count} records "
                                  f"in {timeout_s}s")
            for tp, messages in consumer.poll(timeout_ms=500, max_records=2000).items():
                consumed.extend(ConsumedRecord(
                    partition=tp.partition, offset=m.offset, key=m.key, value=m.value,
                    headers=tuple(m.headers), timestamp=m.timestamp) for m in messages)
        return consumed
    finally:
        consumer.close()


# --- kcat -------------------------------------------------------------------------

KCAT_KEY_DELIMITER = "\t"


def kcat_produce(bootstrap, topic, records, compression="none", fixed_headers=()):
    """Produces 'key<TAB>value' lines with kcat -K; kcat stamps the time itself.

    kcat sets the same -H headers on every record and cannot set per-record
    timestamps, so records must carry exactly fixed_headers and no timestamp.
    """
    lines = []
    for r in records:
        assert r.timestamp is None and r.headers == tuple(fixed_headers)
        assert b"\n" not in r.value and KCAT_KEY_DELIMITER.encode() not in r.key + r.value
        lines.append(r.key + KCAT_KEY_DELIMITER.encode() + r.value)
    command = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", KCAT_KEY_DELIMITER,
               "-X", f"compression.codec={compression}", "-X", "acks=all",
               "-X", "linger.ms=5", "-m", "30"]
    for name, value in fixed_headers:
        command += ["-H", f"{name}={value.decode()}"]
    completed = subprocess.run(command, input=b"\n".join(lines) + b"\n", capture_output=True,
                               timeout=PRODUCE_TIMEOUT_S)
    if completed.returncode != 0 or b"ERROR" in completed.stderr:
        raise ClientError(f"kcat produce exited {completed.returncode}: "
                          f"{completed.stderr.decode(errors='replace')[-2000:]}")


def kcat_consume(bootstrap, topic, expected_count, timeout_s=CONSUME_TIMEOUT_S):
    """Reads expected_count records with kcat -C -J from the beginning of all partitions."""
    command = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-J",
               "-c", str(expected_count), "-m", "30"]
    try:
        completed = subprocess.run(command, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as err:
        raise ClientError(f"kcat consume did not read {expected_count} records "
                          f"in {timeout_s}s") from err
    if completed.returncode != 0:
        raise ClientError(f"kcat consume exited {completed.returncode}: "
                          f"{completed.stderr.decode(errors='replace')[-2000:]}")
    consumed = []
    for line in completed.stdout.decode().splitlines():
        item = json.loads(line)
        headers = item.get("headers") or []
        consumed.append(ConsumedRecord(
            partition=item["partition"], offset=item["offset"],
            key=None if item["key"] is None else item["key"].encode(),
            value=None if item["payload"] is None else item["payload"].encode(),
            # kcat's -J prints headers as a flat [name, value, name, value, ...] list.
            headers=tuple((headers[i], headers[i + 1].encode())
                          for i in range(0, len(headers), 2)),
            timestamp=item["ts"]))
    return consumed


# --- Node.js clients ------------------------------------------------------------

def run_node_script(script, args, timeout_s=PRODUCE_TIMEOUT_S + CONSUME_TIMEOUT_S):
    """Runs tests/e2e/node/<script> with args; returns its JSON stdout.

    The scripts print exactly one JSON document and exit non-zero on error.
    """
    command = ["node", str(NODE_DIR / script), *[str(a) for a in args]]
    env = {**os.environ, "KAFKAJS_NO_PARTITIONER_WARNING": "1"}
    try:
        completed = subprocess.run(command, capture_output=True, timeout=timeout_s,
                                   cwd=NODE_DIR, env=env)
    except subprocess.TimeoutExpired as err:
        raise ClientError(f"{script} did not finish in {timeout_s}s; stderr tail: "
                          f"{(err.stderr or b'').decode(errors='replace')[-2000:]}") from err
    if completed.returncode != 0:
        raise ClientError(f"{script} exited {completed.returncode}: "
                          f"{completed.stderr.decode(errors='replace')[-3000:]}")
    return json.loads(completed.stdout)


def node_roundtrip(script, bootstrap, topic, records_file, count, compression):
    """Produce-then-consume through a Node.js client.

    Returns (acks, consumed, consume_error): a failed consume phase is
    reported, not raised, so the produce phase can still be checked.
    """
    result = run_node_script(script, [bootstrap, topic, records_file, count, compression])
    return result["acks"], consumed_from_json(result["consumed"]), result["consumeError"]

"""Deterministic test records and the read-back checks a user would make."""

import json
from collections import defaultdict
from dataclasses import dataclass

# 2023-11-14T22:13:20Z: explicit timestamps far from "now" prove the broker
# stores the producer's CreateTime rather than its own clock.
BASE_TIMESTAMP_MS = 1_700_000_000_000
DISTINCT_KEYS = 97
MAX_REPORTED_MISMATCHES = 5


@dataclass(frozen=True)
class ProducedRecord:
    index: int
    key: bytes
    value: bytes
    headers: tuple  # ((str, bytes), ...)
    timestamp: int | None  # None: the client stamps it (kcat cannot set one)


@dataclass(frozen=True)
class ConsumedRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple
    timestamp: int


def make_records(tag, count, fixed_headers=None, with_timestamps=True):
    """count records; keys repeat every DISTINCT_KEYS so partitioning is checkable.

    Values are unique and carry the index, some non-ASCII text, and a
    variable-length tail so batches are not uniform. Headers are per record
    unless fixed_headers gives the same ones for all (as kcat -H does).
    """
    records = []
    for i in range(count):
        value = f"{tag}-{i}-" + "\u00fc\u20ac" * (i % 5) + "x" * (i % 61)
        headers = fixed_headers if fixed_headers is not None else (
            ("index", str(i).encode()), ("client", tag.encode()))
        records.append(ProducedRecord(
            index=i,
            key=f"key-{i % DISTINCT_KEYS}".encode(),
            value=value.encode(),
            headers=headers,
            timestamp=BASE_TIMESTAMP_MS + 3 * i if with_timestamps else None,
        ))
    return records


def write_records_file(records, path):
    """JSON-lines file for the Node.js scripts (text fields are UTF-8)."""
    with open(path, "w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({
                "key": r.key.decode(),
                "value": r.value.decode(),
                "headers": [[name, value.decode()] for name, value in r.headers],
                "timestamp": r.timestamp,
            }) + "\n")


def consumed_from_json(items):
    """ConsumedRecords from the Node.js scripts' JSON output."""
    return [ConsumedRecord(
        partition=item["partition"],
        offset=int(item["offset"]),
        key=None if item["key"] is None else item["key"].encode(),
        value=None if item["value"] is None else item["value"].encode(),
        headers=tuple((name, value.encode()) for name, value in item["headers"]),
        timestamp=int(item["timestamp"]),
    ) for item in items]


def _fail(problems, what):
    shown = "\n  ".join(problems[:MAX_REPORTED_MISMATCHES])
    more = len(problems) - MAX_REPORTED_MISMATCHES
    suffix = f"\n  ... and {more} more" if more > 0 else ""
    raise AssertionError(f"{len(problems)} {what}:\n  {shown}{suffix}")


def assert_read_back(expected, consumed, partitions, timestamp_window=None):
    """Every expected record was read exactly once, intact and in order.

    Checks: exact key, value, headers and timestamp (or, for records produced
    without one, a timestamp inside timestamp_window=(lo, hi)); per partition,
    offsets are 0..n-1 in consumption order (fresh topic, nothing deleted) and
    records appear in produce order; one key always maps to one partition;
    every partition received data.
    """
    by_value = {r.value: r for r in expected}
    assert len(by_value) == len(expected), "test data values must be unique"

    seen = {}
    problems = []
    for c in consumed:
        want = by_value.get(c.value)
        if want is None:
            problems.append(f"unexpected record p{c.partition}@{c.offset} value={c.value[:40]!r}")
            continue
        if c.value in seen:
            first = seen[c.value]
            problems.append(f"record {want.index} read twice: p{first.partition}@{first.offset} "
                            f"and p{c.partition}@{c.offset}")
            continue
        seen[c.value] = c
        if c.key != want.key:
            problems.append(f"record {want.index}: key {c.key!r} != {want.key!r}")
        if tuple(c.headers) != want.headers:
            problems.append(f"record {want.index}: headers {c.headers!r} != {want.headers!r}")
        if want.timestamp is not None and c.timestamp != want.timestamp:
            problems.append(f"record {want.index}: timestamp {c.timestamp} != {want.timestamp}")
        if want.timestamp is None and timestamp_window is not None:
            low, high = timestamp_window
            if not low <= c.timestamp <= high:
                problems.append(f"record {want.index}: timestamp {c.timestamp} outside "
                                f"the produce window [{low}, {high}]")
    missing = [r.index for r in expected if r.value not in seen]
    if missing:
        problems.append(f"{len(missing)} records never read, first indexes {missing[:10]}")
    if problems:
        _fail(problems, "read-back mismatches")

    per_partition = defaultdict(list)
    partitions_of_key = defaultdict(set)
    for c in consumed:
        per_partition[c.partition].append(c)
        partitions_of_key[c.key].add(c.partition)
    for partition, records in sorted(per_partition.items()):
        offsets = [c.offset for c in records]
        if offsets != list(range(len(records))):
            gaps = [(a, b) for a, b in zip(offsets, offsets[1:]) if b != a + 1]
            problems.append(f"partition {partition}: offsets are not 0..{len(records) - 1} in "
                            f"order (first irregular steps {gaps[:5]}, first offset {offsets[0]})")
        indexes = [by_value[c.value].index for c in records]
        inversions = [(a, b) for a, b in zip(indexes, indexes[1:]) if b <= a]
        if inversions:
            problems.append(f"partition {partition}: records out of produce order, "
                            f"first inversions {inversions[:5]}")
    split_keys = {k: sorted(p) for k, p in partitions_of_key.items() if len(p) > 1}
    if split_keys:
        first = dict(list(split_keys.items())[:5])
        problems.append(f"keys spread over several partitions: {first}")
    if set(per_partition) != set(range(partitions)):
        problems.append(f"partitions with data {sorted(per_partition)}, expected all of "
                        f"0..{partitions - 1}")
    if problems:
        _fail(problems, "ordering problems")

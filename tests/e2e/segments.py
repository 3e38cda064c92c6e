"""Reads the segment objects a broker stored, per DESIGN.md section 4.

Format (big-endian): a 32-byte header (KAFS, version 1, flags 0, base
offset, message count, created ms, reserved 0), the record batches exactly
as produced with only base offsets rewritten, and a 16-byte footer (CRC32C
of the body, last offset, END!). The .index beside each segment: a 16-byte
header (IDX\\0, version 1, entry count, interval, reserved) and 12-byte
entries (offset, byte position of a batch).

A flush first writes one write-ahead object per broker
(<namespace>/~wal/<broker id>/<name>.wal) holding every partition's batches;
the broker's compactor rewrites them into segments later
(KAFSCALE_COMPACTION_INTERVAL_MS after the flush, or once a partition's WAL
data reaches KAFSCALE_COMPACTED_SEGMENT_BYTES) and then deletes the WAL objects. A
test that reads segments runs its broker with KAFSCALE_COMPACTION_INTERVAL_MS=0
and calls wait_until_compacted first.
"""

import re
import struct
import time
from collections import defaultdict
from dataclasses import dataclass

import wire
from clients import watermarks

NAMESPACE = "default"
WAL_DIRECTORY = "~wal"
COMPACTION_TIMEOUT_S = 30
POLL_INTERVAL_S = 0.1
# Environment of a broker whose compactor rewrites WAL data at its next pass.
COMPACT_AT_ONCE = {"KAFSCALE_COMPACTION_INTERVAL_MS": "0"}
SEGMENT_MAGIC = 0x4B414653  # "KAFS"
FOOTER_MAGIC = 0x454E4421  # "END!"
INDEX_MAGIC = b"IDX\x00"
HEADER_SIZE = 32
FOOTER_SIZE = 16
INDEX_HEADER_SIZE = 16
INDEX_ENTRY_SIZE = 12
SEGMENT_NAME = re.compile(r"segment-(\d{20})\.(kfs|index)")


@dataclass
class Segment:
    partition: int
    name_offset: int
    data: bytes
    base_offset: int
    message_count: int
    created_ms: int
    batches: list  # [(position, wire.BatchHeader)]
    body_crc: int
    last_offset: int
    index: bytes


def topic_objects(broker, topic):
    return broker.objects_dir / NAMESPACE / topic


def wal_objects(broker):
    """Paths of every write-ahead object in the broker's embedded store."""
    root = broker.objects_dir / NAMESPACE / WAL_DIRECTORY
    return sorted(root.rglob("*.wal")) if root.is_dir() else []


def segment_files(broker, topic):
    """{partition: [.kfs path, ...]} in offset order, for every partition directory stored."""
    root = topic_objects(broker, topic)
    if not root.is_dir():
        return {}
    return {int(d.name): sorted(d.glob("*.kfs")) for d in root.iterdir() if d.is_dir()}


def segmented_ends(broker, topic):
    """{partition: the offset after its last segment's footer offset} (0 without segments)."""
    ends = {}
    for partition, paths in segment_files(broker, topic).items():
        if not paths:
            continue
        with open(paths[-1], "rb") as segment:
            segment.seek(-FOOTER_SIZE, 2)
            _, last_offset, _ = struct.unpack(">Iqi", segment.read(FOOTER_SIZE))
        ends[partition] = last_offset + 1
    return ends


def poll_until(what, check, timeout_s=COMPACTION_TIMEOUT_S):
    """Calls check() until it returns None; raises AssertionError naming what and the last answer.

    check returns None when done, or a text saying what is still missing.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        missing = check()
        if missing is None:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {timeout_s}s: {missing}")
        time.sleep(POLL_INTERVAL_S)


def acked_high_watermarks(acks):
    """{partition: last acknowledged offset + 1} of (partition, offset) acknowledgements."""
    highs = {}
    for partition, offset in acks:
        highs[partition] = max(highs.get(partition, 0), offset + 1)
    return highs


def broker_high_watermarks(broker, topic, partitions):
    """{partition: high watermark} as the running broker reports them (ListOffsets)."""
    return {p: high for p, (_, high) in watermarks(broker.bootstrap, topic, partitions).items()}


def wait_until_compacted(broker, topic, high_watermarks, timeout_s=COMPACTION_TIMEOUT_S, after_crash=False):
    """Waits until topic's data is all in segments and no WAL object is left.

    high_watermarks: {partition: the offset after its last record} (what the
    test produced or what ListOffsets reports). Done when no .wal file remains
    in the broker's store, every partition's segments end exactly at its high
    watermark, and every .kfs has its .index beside it (the compactor uploads
    the .index second). Needs a broker with KAFSCALE_COMPACTION_INTERVAL_MS=0
    (COMPACT_AT_ONCE) to finish within the default timeout.

    after_crash: a kill -9 between a write-ahead upload and its commit leaves
    an orphan object that no commit names; the broker deletes such objects
    only when they are 10 minutes old, so WAL objects left are not waited for.
    """
    def check():
        left = [] if after_crash else wal_objects(broker)
        try:
            ends = segmented_ends(broker, topic)
        except FileNotFoundError as gone:  # an uncommitted upload being replaced
            return f"a segment went away while read: {gone}"
        wrong = {p: ends.get(p, 0) for p, high in high_watermarks.items() if ends.get(p, 0) != high}
        unpaired = [path.name for paths in segment_files(broker, topic).values() for path in paths
                    if not path.with_suffix(".index").exists()]
        if not left and not wrong and not unpaired:
            return None
        return (f"{len(left)} WAL objects left {[p.name for p in left[:3]]}; partitions whose "
                f"segments end elsewhere than the high watermarks {high_watermarks}: {wrong}; "
                f"segments without .index: {unpaired[:3]}")
    poll_until(f"compaction of topic {topic} into segments", check, timeout_s)


def parse_segment(partition, path):
    """Decodes one .kfs file; raises AssertionError naming what is malformed."""
    data = path.read_bytes()
    where = f"{path.name} (partition {partition})"
    assert len(data) >= HEADER_SIZE + FOOTER_SIZE, f"{where}: only {len(data)} bytes"
    magic, version, flags, base_offset, message_count, created_ms, reserved = \
        struct.unpack_from(">IHHqiqI", data, 0)
    assert magic == SEGMENT_MAGIC, f"{where}: header magic {magic:#x}"
    assert (version, flags, reserved) == (1, 0, 0), \
        f"{where}: version {version}, flags {flags}, reserved {reserved}"
    body_crc, last_offset, footer_magic = struct.unpack_from(">Iqi", data, len(data) - FOOTER_SIZE)
    assert footer_magic & 0xFFFFFFFF == FOOTER_MAGIC, f"{where}: footer magic {footer_magic:#x}"

    batches = []
    position = HEADER_SIZE
    body_end = len(data) - FOOTER_SIZE
    while position < body_end:
        header = wire.decode_batch_header(data, position)
        assert position + header.total_size <= body_end, \
            f"{where}: batch at byte {position} runs past the footer"
        batches.append((position, header))
        position += header.total_size
    index_path = path.with_suffix(".index")
    assert index_path.exists(), f"{where}: no .index beside it"
    return Segment(partition, int(SEGMENT_NAME.fullmatch(path.name).group(1)), data,
                   base_offset, message_count, created_ms, batches, body_crc, last_offset,
                   index_path.read_bytes())


def _where(segment):
    return f"partition {segment.partition} segment {segment.name_offset}"


def check_batches(segment):
    """Magic 2, valid CRC32C, and base offsets contiguous with the record counts."""
    where = _where(segment)
    assert segment.batches, f"{where}: no batches"
    expected_base = segment.base_offset
    for position, header in segment.batches:
        assert header.magic == 2, f"{where}: batch at {position} has magic {header.magic}"
        assert wire.batch_crc_is_valid(segment.data, position, header), \
            f"{where}: batch at {position} fails its CRC32C"
        assert header.base_offset == expected_base, \
            f"{where}: batch at {position} starts at {header.base_offset}, " \
            f"expected {expected_base}"
        assert header.record_count == header.last_offset_delta + 1, \
            f"{where}: batch at {position} has {header.record_count} records but " \
            f"last offset delta {header.last_offset_delta}"
        expected_base = header.last_offset + 1


def check_footer(segment):
    """The footer's body CRC32C and last offset match the body."""
    where = _where(segment)
    body = segment.data[HEADER_SIZE:len(segment.data) - FOOTER_SIZE]
    assert wire.crc32c(body) == segment.body_crc, f"{where}: footer CRC32C mismatch"
    assert segment.last_offset == segment.batches[-1][1].last_offset, \
        f"{where}: footer last offset {segment.last_offset}"


def check_index(segment):
    """The index header is sound and every entry points at the batch it names."""
    where = f"partition {segment.partition} index {segment.name_offset}"
    index = segment.index
    assert len(index) >= INDEX_HEADER_SIZE, f"{where}: only {len(index)} bytes"
    magic, version, count, interval, reserved = struct.unpack_from(">4sHiiH", index, 0)
    assert (magic, version, reserved) == (INDEX_MAGIC, 1, 0), \
        f"{where}: header {magic!r} v{version} reserved {reserved}"
    assert interval > 0, f"{where}: interval {interval}"
    assert len(index) == INDEX_HEADER_SIZE + count * INDEX_ENTRY_SIZE, \
        f"{where}: {count} entries but {len(index)} bytes"
    batch_at = {position: header.base_offset for position, header in segment.batches}
    entries = [struct.unpack_from(">qi", index, INDEX_HEADER_SIZE + i * INDEX_ENTRY_SIZE)
               for i in range(count)]
    assert entries, f"{where}: no entries"
    assert entries[0] == (segment.base_offset, HEADER_SIZE), \
        f"{where}: first entry {entries[0]} is not the first batch"
    for offset, position in entries:
        assert batch_at.get(position) == offset, \
            f"{where}: entry ({offset}, {position}) is not the start of that batch"
    assert entries == sorted(set(entries)), f"{where}: entries not strictly increasing"


def check_all_segments(broker, topic):
    """Every stored segment of topic is well-formed; returns how many there are."""
    segments = [s for group in read_topic_segments(broker, topic).values() for s in group]
    for segment in segments:
        check_batches(segment)
        check_footer(segment)
        check_index(segment)
    return len(segments)


def read_topic_segments(broker, topic):
    """{partition: [Segment, ...]} in offset order, for every partition stored."""
    by_partition = defaultdict(list)
    for partition_dir in sorted(topic_objects(broker, topic).iterdir(), key=lambda d: int(d.name)):
        partition = int(partition_dir.name)
        for path in sorted(partition_dir.glob("*.kfs")):
            by_partition[partition].append(parse_segment(partition, path))
    return dict(by_partition)


def stored_codecs(broker, topic):
    """The compression codecs of every batch the broker stored for topic."""
    return {header.codec for group in read_topic_segments(broker, topic).values()
            for segment in group for _, header in segment.batches}

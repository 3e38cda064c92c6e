"""Reads the segment objects a broker stored, per DESIGN.md section 4.

Format (big-endian): a 32-byte header (KAFS, version 1, flags 0, base
offset, message count, created ms, reserved 0), the record batches exactly
as produced with only base offsets rewritten, and a 16-byte footer (CRC32C
of the body, last offset, END!). The .index beside each segment: a 16-byte
header (IDX\\0, version 1, entry count, interval, reserved) and 12-byte
entries (offset, byte position of a batch).
"""

import re
import struct
from collections import defaultdict
from dataclasses import dataclass

import wire

NAMESPACE = "default"
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

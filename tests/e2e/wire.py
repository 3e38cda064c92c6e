"""Hand-built Kafka wire protocol pieces for tests that must control every byte.

Covers what the robustness and segment-format tests need: CRC32C, varints,
record batch v2 encode/decode, request framing, a few request/response
bodies, and a raw socket client whose every read has a deadline.
"""

import gzip
import socket
import struct
import time
import zlib
from dataclasses import dataclass, field

import lz4.frame
import snappy
import zstandard


def _make_crc32c_table():
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _make_crc32c_table()


def crc32c(data, crc=0):
    """CRC32C (Castagnoli) of data; pass a previous result as crc to continue."""
    crc ^= 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def encode_varint(value):
    """Zig-zag signed varint as used inside Kafka records."""
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag & ~0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def decode_varint(buf, pos):
    """Decodes a zig-zag varint at pos; returns (value, next_pos)."""
    shift = 0
    raw = 0
    while True:
        byte = buf[pos]
        pos += 1
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
    return (raw >> 1) ^ -(raw & 1), pos


def encode_unsigned_varint(value):
    """Unsigned varint as used by flexible protocol versions."""
    out = bytearray()
    while value & ~0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# --- record batches (magic 2) -------------------------------------------------

BATCH_HEADER_SIZE = 61
# Offset of the fields within a batch, used to corrupt or patch them.
BATCH_LENGTH_OFFSET = 8
BATCH_MAGIC_OFFSET = 16
BATCH_CRC_OFFSET = 17
BATCH_ATTRIBUTES_OFFSET = 21

COMPRESSION_CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}


@dataclass
class Record:
    key: bytes | None
    value: bytes | None
    headers: list = field(default_factory=list)  # [(str, bytes | None)]
    timestamp: int = 0
    offset: int = 0


def _encode_bytes_field(data):
    if data is None:
        return encode_varint(-1)
    return encode_varint(len(data)) + data


def _encode_record(record, offset_delta, timestamp_delta):
    body = bytearray()
    body.append(0)  # record attributes, unused
    body += encode_varint(timestamp_delta)
    body += encode_varint(offset_delta)
    body += _encode_bytes_field(record.key)
    body += _encode_bytes_field(record.value)
    body += encode_varint(len(record.headers))
    for name, value in record.headers:
        body += _encode_bytes_field(name.encode())
        body += _encode_bytes_field(value)
    return encode_varint(len(body)) + bytes(body)


def encode_record_batch(records, base_offset=0, magic=2):
    """An uncompressed record batch holding records, with a valid CRC32C."""
    base_timestamp = records[0].timestamp
    max_timestamp = max(r.timestamp for r in records)
    encoded = b"".join(
        _encode_record(r, i, r.timestamp - base_timestamp) for i, r in enumerate(records))
    # Everything from attributes to the end is what the CRC covers.
    crc_covered = struct.pack(
        ">hiqqqhii", 0, len(records) - 1, base_timestamp, max_timestamp,
        -1, -1, -1, len(records)) + encoded
    after_length = struct.pack(">ibI", -1, magic, crc32c(crc_covered)) + crc_covered
    return struct.pack(">qi", base_offset, len(after_length)) + after_length


@dataclass
class BatchHeader:
    base_offset: int
    length: int  # bytes after the length field
    leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int

    @property
    def total_size(self):
        return 12 + self.length

    @property
    def last_offset(self):
        return self.base_offset + self.last_offset_delta

    @property
    def codec(self):
        return COMPRESSION_CODECS.get(self.attributes & 0x7, "unknown")


def decode_batch_header(buf, pos=0):
    """Parses the fixed 61-byte header of the batch starting at pos."""
    if len(buf) - pos < BATCH_HEADER_SIZE:
        raise ValueError(f"batch header at {pos} truncated: {len(buf) - pos} bytes left")
    return BatchHeader(*struct.unpack_from(">qiibIhiqqqhii", buf, pos))


def batch_crc_is_valid(buf, pos, header):
    covered = buf[pos + BATCH_ATTRIBUTES_OFFSET:pos + header.total_size]
    return crc32c(covered) == header.crc


def _decompress(codec, data):
    if codec == "none":
        return data
    if codec == "gzip":
        return gzip.decompress(data)
    if codec == "snappy":
        # Java clients use xerial framing; librdkafka writes raw snappy.
        if data.startswith(b"\x82SNAPPY\x00"):
            out = bytearray()
            pos = 16
            while pos < len(data):
                (chunk_len,) = struct.unpack_from(">i", data, pos)
                out += snappy.decompress(data[pos + 4:pos + 4 + chunk_len])
                pos += 4 + chunk_len
            return bytes(out)
        return snappy.decompress(data)
    if codec == "lz4":
        return lz4.frame.decompress(data)
    if codec == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    raise ValueError(f"unknown compression codec {codec}")


def _decode_bytes_field(buf, pos):
    length, pos = decode_varint(buf, pos)
    if length < 0:
        return None, pos
    return bytes(buf[pos:pos + length]), pos + length


def decode_batch_records(buf, pos, header):
    """Decompresses and decodes the records of one batch into Record objects."""
    payload = _decompress(header.codec, bytes(buf[pos + BATCH_HEADER_SIZE:pos + header.total_size]))
    records = []
    cursor = 0
    for _ in range(header.record_count):
        length, cursor = decode_varint(payload, cursor)
        end = cursor + length
        cursor += 1  # record attributes
        timestamp_delta, cursor = decode_varint(payload, cursor)
        offset_delta, cursor = decode_varint(payload, cursor)
        key, cursor = _decode_bytes_field(payload, cursor)
        value, cursor = _decode_bytes_field(payload, cursor)
        header_count, cursor = decode_varint(payload, cursor)
        headers = []
        for _ in range(header_count):
            name, cursor = _decode_bytes_field(payload, cursor)
            header_value, cursor = _decode_bytes_field(payload, cursor)
            headers.append((name.decode(), header_value))
        if cursor != end:
            raise ValueError(f"record length {length} disagrees with its fields")
        records.append(Record(key, value, headers, header.base_timestamp + timestamp_delta,
                              header.base_offset + offset_delta))
    if cursor != len(payload):
        raise ValueError(f"{len(payload) - cursor} stray bytes after the last record")
    return records


# --- requests and responses ---------------------------------------------------

API_PRODUCE = 0
API_METADATA = 3
API_API_VERSIONS = 18

ERROR_NONE = 0
ERROR_CORRUPT_MESSAGE = 2
ERROR_UNSUPPORTED_VERSION = 35
ERROR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43
ERROR_INVALID_RECORD = 87


def encode_string(text):
    if text is None:
        return struct.pack(">h", -1)
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def encode_request(api_key, api_version, correlation_id, body, client_id="e2e-raw",
                   flexible=False):
    """A length-prefixed request; flexible=True uses request header v2."""
    header = struct.pack(">hhi", api_key, api_version, correlation_id) + encode_string(client_id)
    if flexible:
        header += encode_unsigned_varint(0)  # no tagged fields
    frame = header + body
    return struct.pack(">i", len(frame)) + frame


def encode_compact_string(text):
    data = text.encode()
    return encode_unsigned_varint(len(data) + 1) + data


def encode_api_versions_v3_body(software_name="kafscale-e2e", software_version="1.0"):
    return (encode_compact_string(software_name) + encode_compact_string(software_version)
            + encode_unsigned_varint(0))


def encode_produce_body(topic, partition_batches, acks=-1, timeout_ms=10000, version=3):
    """Produce v0-v4 body for one topic; partition_batches maps partition -> records bytes."""
    body = encode_string(None) if version >= 3 else b""  # transactional id
    body += struct.pack(">hi", acks, timeout_ms)
    body += struct.pack(">i", 1) + encode_string(topic)
    body += struct.pack(">i", len(partition_batches))
    for partition, records in partition_batches.items():
        body += struct.pack(">ii", partition, len(records)) + records
    return body


@dataclass
class ProducePartitionResult:
    partition: int
    error_code: int
    base_offset: int


def decode_produce_response(body, version=3):
    """Returns {topic: {partition: ProducePartitionResult}} from a v0-v4 response body."""
    partition_layout = ">ihqq" if version >= 2 else ">ihq"  # v2 added log append time
    pos = 0
    results = {}
    (topic_count,) = struct.unpack_from(">i", body, pos)
    pos += 4
    for _ in range(topic_count):
        (name_len,) = struct.unpack_from(">h", body, pos)
        topic = body[pos + 2:pos + 2 + name_len].decode()
        pos += 2 + name_len
        (partition_count,) = struct.unpack_from(">i", body, pos)
        pos += 4
        partitions = {}
        for _ in range(partition_count):
            partition, error_code, base_offset = struct.unpack_from(
                partition_layout, body, pos)[:3]
            pos += struct.calcsize(partition_layout)
            partitions[partition] = ProducePartitionResult(partition, error_code, base_offset)
        results[topic] = partitions
    return results


def encode_legacy_message_set(value, magic=1, timestamp=1_700_000_000_000):
    """A one-message MessageSet in the pre-0.11 format (magic 0 or 1, CRC32)."""
    message = struct.pack(">bb", magic, 0)
    if magic == 1:
        message += struct.pack(">q", timestamp)
    message += struct.pack(">i", -1) + struct.pack(">i", len(value)) + value  # null key
    message = struct.pack(">I", zlib.crc32(message)) + message
    return struct.pack(">qi", 0, len(message)) + message


def decode_api_versions_v0_response(body):
    """Returns (error_code, {api_key: (min_version, max_version)})."""
    error_code, count = struct.unpack_from(">hi", body, 0)
    ranges = {}
    for i in range(count):
        api_key, min_version, max_version = struct.unpack_from(">hhh", body, 6 + 6 * i)
        ranges[api_key] = (min_version, max_version)
    return error_code, ranges


class ConnectionClosed(Exception):
    """The broker closed the connection (or reset it)."""


class RawClient:
    """One TCP connection to the broker; every receive has a deadline.

    Not thread-safe. Owns the socket; use as a context manager.
    """

    def __init__(self, host, port, timeout_s=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.timeout_s = timeout_s
        self._next_correlation_id = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, api_key, api_version, body, flexible=False):
        """Sends one request and returns its correlation id."""
        correlation_id = self._next_correlation_id
        self._next_correlation_id += 1
        self.send(encode_request(api_key, api_version, correlation_id, body, flexible=flexible))
        return correlation_id

    def _recv_exactly(self, size, deadline):
        chunks = bytearray()
        while len(chunks) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete response within {self.timeout_s}s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(size - len(chunks))
            except ConnectionResetError as err:
                raise ConnectionClosed("connection reset") from err
            except socket.timeout as err:
                raise TimeoutError(f"no complete response within {self.timeout_s}s") from err
            if not chunk:
                raise ConnectionClosed(f"closed after {len(chunks)} of {size} bytes")
            chunks += chunk
        return bytes(chunks)

    def receive(self):
        """Reads one response frame: returns (correlation_id, rest of the frame).

        Raises ConnectionClosed or TimeoutError; never blocks past timeout_s.
        """
        deadline = time.monotonic() + self.timeout_s
        (size,) = struct.unpack(">i", self._recv_exactly(4, deadline))
        frame = self._recv_exactly(size, deadline)
        (correlation_id,) = struct.unpack_from(">i", frame, 0)
        return correlation_id, frame[4:]

    def answer_or_close(self):
        """Waits for either a response frame or the connection closing.

        Returns the (correlation_id, body) of a response, or None if closed.
        A broker that does neither within the timeout raises TimeoutError.
        """
        try:
            return self.receive()
        except ConnectionClosed:
            return None

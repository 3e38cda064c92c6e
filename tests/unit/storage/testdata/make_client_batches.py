#!/usr/bin/python3
"""Captures record batches written by real Kafka clients, for
client_batches_test.cc.

librdkafka (through kcat) produces to a minimal fake broker that answers
ApiVersions and Metadata and records the Produce payloads; kafka-python builds batches with
its own DefaultRecordBatchBuilder (which frames snappy the xerial way, like
the Java client). The batches are written as C++ byte arrays to
../client_batches.h.

Run with Debian's python (kafka-python, python3-snappy, -lz4 and -zstandard
import only there):  /usr/bin/python3 make_client_batches.py
"""
import os
import socket
import struct
import subprocess
import threading

RECORDS = 12
TOPIC = b"captured"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
HERE = os.path.dirname(os.path.abspath(__file__))


def key(i):
    return b"key-%d" % i


def value(i):
    # Repetitive so every codec actually compresses (kafka-python sends
    # uncompressed when compression does not pay).
    return b"value-%d-" % i + b"x" * (i * 20)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s

    def bytes(self):
        n = self.take(">i")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s


def metadata_response(version, port):
    """Metadata v0-v7: one broker (us) leading partition 0 of TOPIC."""
    out = b""
    if version >= 3:
        out += struct.pack(">i", 0)  # throttle
    host = b"127.0.0.1"
    out += struct.pack(">i", 1) + struct.pack(">i", 1) + struct.pack(">h", len(host)) + host + struct.pack(">i", port)
    if version >= 1:
        out += struct.pack(">h", -1)  # rack
    if version >= 2:
        out += struct.pack(">h", -1)  # cluster id
    if version >= 1:
        out += struct.pack(">i", 1)  # controller
    out += struct.pack(">i", 1) + struct.pack(">h", 0) + struct.pack(">h", len(TOPIC)) + TOPIC
    if version >= 1:
        out += b"\x00"  # is_internal
    out += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 1)
    if version >= 7:
        out += struct.pack(">i", 0)  # leader epoch
    out += struct.pack(">ii", 1, 1) + struct.pack(">ii", 1, 1)
    if version >= 5:
        out += struct.pack(">i", 0)  # offline replicas
    return out


def api_versions_response(version):
    """Answers v0 only: for a newer request, error UNSUPPORTED_VERSION with
    the list (as Kafka does), and the client retries with v0."""
    # Produce, Fetch, Metadata, FindCoordinator, ApiVersions: librdkafka
    # enables message format v2 and zstd only with a new enough Fetch, and
    # lz4 only with FindCoordinator.
    apis = [(0, 0, 7), (1, 0, 11), (3, 0, 7), (10, 0, 2), (18, 0, 0)]
    error = 35 if version > 0 else 0
    return struct.pack(">hi", error, len(apis)) + b"".join(struct.pack(">hhh", *api) for api in apis)


def serve(listener, captured, port):
    conn, _ = listener.accept()
    with conn:
        while True:
            try:
                size = struct.unpack(">i", read_exact(conn, 4))[0]
                request = Reader(read_exact(conn, size))
            except EOFError:
                return
            api_key, api_version, correlation = request.take(">hhi")
            request.string()  # client id
            if api_key == 18:
                body = api_versions_response(api_version)
            elif api_key == 3:
                body = metadata_response(api_version, port)
            elif api_key == 0:
                if api_version >= 3:
                    request.string()  # transactional id
                request.take(">hi")  # acks, timeout
                for _ in range(request.take(">i")):
                    request.string()
                    for _ in range(request.take(">i")):
                        request.take(">i")
                        captured.append(request.bytes())
                continue  # acks=0: no response
            else:
                raise RuntimeError("unexpected api key %d" % api_key)
            response = struct.pack(">i", correlation) + body
            conn.sendall(struct.pack(">i", len(response)) + response)


def capture_librdkafka(codec):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    captured = []
    server = threading.Thread(target=serve, args=(listener, captured, port))
    server.start()
    lines = b"".join(key(i) + b"\t" + value(i) + b"\n" for i in range(RECORDS))
    subprocess.run(
        ["kcat", "-P", "-b", "127.0.0.1:%d" % port, "-t", TOPIC.decode(), "-p", "0", "-K", "\t",
         "-H", "source=kcat", "-z", codec,
         "-X", "acks=0", "-X", "linger.ms=200"],
        input=lines, check=True, timeout=30)
    server.join(timeout=30)
    listener.close()
    assert len(captured) == 1, "expected one batch, got %d" % len(captured)
    return captured[0]


def build_kafka_python(codec):
    from kafka.record.default_records import DefaultRecordBatchBuilder
    codec_id = CODECS.index(codec)
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=codec_id, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 20)
    for i in range(RECORDS):
        builder.append(i, timestamp=1700000000000 + i, key=key(i), value=value(i),
                       headers=[("index", b"%d" % i)])
    return bytes(builder.build())


def main():
    fixtures = []
    for codec in CODECS:
        fixtures.append(("librdkafka", codec, capture_librdkafka(codec)))
        fixtures.append(("kafka_python", codec, build_kafka_python(codec)))
    out = ["// Generated by testdata/make_client_batches.py; do not edit.",
           "// Record batches as real Kafka clients wrote them: %d records each," % RECORDS,
           "// key \"key-<i>\", value \"value-<i>-\" + 20*i 'x'; librdkafka adds header",
           "// source=kcat, kafka-python header index=<i>.",
           "#pragma once", "", "#include <string_view>", "", "namespace kafscale::testing {", "",
           "inline constexpr int kClientBatchRecords = %d;" % RECORDS, ""]
    for producer, codec, data in fixtures:
        name = "k%s_%s" % (producer, codec)
        out.append("inline constexpr unsigned char %s[] = {" % name)
        for start in range(0, len(data), 16):
            out.append("    " + ", ".join("0x%02x" % b for b in data[start:start + 16]) + ",")
        out.append("};")
    out += ["", "struct ClientBatch {", "  const char* producer;", "  const char* codec;",
            "  std::string_view bytes;", "};", "",
            "inline const ClientBatch kClientBatches[] = {"]
    for producer, codec, _ in fixtures:
        name = "k%s_%s" % (producer, codec)
        out.append("    {\"%s\", \"%s\", {reinterpret_cast<const char*>(%s), sizeof(%s)}}," %
                   (producer, codec, name, name))
    out += ["};", "", "}  // namespace kafscale::testing", ""]
    with open(os.path.join(HERE, "..", "client_batches.h"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()

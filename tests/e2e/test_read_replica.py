"""The read-replica bucket (KAFSCALE_S3_READ_BUCKET): reads try it first and
fall back to the primary bucket on a miss; listing and writes use the primary."""

import hashlib
import os
import re
import struct
import subprocess
import uuid

from clients import confluent_consume, confluent_produce
from cluster import Cluster, run_script
from segments import COMPACT_AT_ONCE, FOOTER_SIZE, poll_until
from test_cluster import create_topic, record, wait_for_leaders


class S3:
    """Just enough S3 for the test, signed by curl (DESIGN.md §11)."""

    def __init__(self, settings):
        self.endpoint = settings["KAFSCALE_TEST_S3_ENDPOINT"]
        self.sigv4 = f"aws:amz:{settings['KAFSCALE_TEST_S3_REGION']}:s3"
        self.user = f"{settings['KAFSCALE_TEST_S3_ACCESS_KEY']}:{settings['KAFSCALE_TEST_S3_SECRET_KEY']}"

    def _curl(self, method, path, body=b""):
        result = subprocess.run(
            ["curl", "-sS", "--fail-with-body", "--max-time", "30", "-X", method, "--aws-sigv4", self.sigv4,
             "--user", self.user, "-H", f"x-amz-content-sha256: {hashlib.sha256(body).hexdigest()}",
             "--data-binary", "@-", f"{self.endpoint}/{path}"],
            input=body, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
        assert result.returncode == 0, f"{method} {path}: {result.stdout!r} {result.stderr!r}"
        return result.stdout

    def list(self, bucket, prefix):
        # The query is sorted and encoded, as curl's SigV4 needs (DESIGN.md §11).
        listing = self._curl("GET", f"{bucket}?list-type=2&prefix={prefix.replace('/', '%2F')}").decode()
        assert "<IsTruncated>false</IsTruncated>" in listing
        return re.findall(r"<Key>([^<]+)</Key>", listing)

    def get(self, bucket, key):
        return self._curl("GET", f"{bucket}/{key}")

    def put(self, bucket, key, body):
        self._curl("PUT", f"{bucket}/{key}", body)


def wait_until_compacted(s3, bucket, partition_prefix, records):
    """Waits until the broker's compactor has rewritten the WAL objects as
    segments of the partition (ending at offset records - 1, each with its
    .index) and deleted them."""
    def check():
        wal = s3.list(bucket, "default/~wal/")
        keys = s3.list(bucket, partition_prefix)
        segments = sorted(key for key in keys if key.endswith(".kfs"))
        unpaired = [key for key in segments if key[:-len(".kfs")] + ".index" not in keys]
        last_offset = None
        if segments:
            _, last_offset, _ = struct.unpack(">Iqi", s3.get(bucket, segments[-1])[-FOOTER_SIZE:])
        if not wal and segments and not unpaired and last_offset == records - 1:
            return None
        return (f"WAL objects {wal[:3]}, segments {segments}, without .index {unpaired}, "
                f"last segment ends at offset {last_offset}")
    poll_until(f"compaction of {partition_prefix}", check)


def test_reads_try_the_replica_first_and_fall_back_to_the_primary(tmp_path):
    replica = f"kafscale-replica-{uuid.uuid4().hex[:12]}"
    with Cluster(tmp_path, brokers=1, env_overrides={"KAFSCALE_S3_READ_BUCKET": replica,
                                                     **COMPACT_AT_ONCE}) as cluster:
        run_script("cluster.sh", "bucket", replica, env={**os.environ, **cluster.s3})
        s3 = S3(cluster.s3)
        cluster.start_all()
        create_topic(cluster.bootstrap(), "replicated", 1)
        wait_for_leaders(cluster.bootstrap(), "replicated", 1)
        records = [record(i, f"value-{i}".encode()) for i in range(100)]
        confluent_produce(cluster.bootstrap(), "replicated", records, partition=0)
        # Everything is read from segments below: wait until the WAL objects
        # the flushes wrote are compacted and gone.
        wait_until_compacted(s3, cluster.bucket, "default/replicated/0/", len(records))

        # The replica is empty: a broker with an empty cache reads the primary.
        cluster.restart(0)
        consumed = confluent_consume(cluster.bootstrap(), "replicated", 1, 100)
        assert [r.value for r in consumed] == [r.value for r in records]

        # Copy the segments to the replica and damage the primary's copies: a
        # broker that reads the replica first serves every record intact (a
        # read of the primary would fail its CRC check).
        cluster.stop(0)
        keys = s3.list(cluster.bucket, "default/replicated/0/")
        segments = [key for key in keys if key.endswith(".kfs")]
        assert segments, keys
        for key in keys:
            body = s3.get(cluster.bucket, key)
            s3.put(replica, key, body)
            if key in segments:
                damaged = bytearray(body)
                damaged[len(damaged) // 2] ^= 0xFF
                s3.put(cluster.bucket, key, bytes(damaged))
        cluster.restart(0)
        consumed = confluent_consume(cluster.bootstrap(), "replicated", 1, 100)
        assert [r.value for r in consumed] == [r.value for r in records]

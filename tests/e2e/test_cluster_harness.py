"""Checks of the multi-broker harness itself (cluster.py): isolation between
clusters and fast failure with the broker's log shown."""

import os
import time
import urllib.request

import pytest

from cluster import Cluster

FAIL_FAST_S = 10


def etcd_healthy(endpoint):
    try:
        with urllib.request.urlopen(f"{endpoint}/health", timeout=2) as answer:
            return b'"health":"true"' in answer.read()
    except OSError:
        return False


def test_each_cluster_has_its_own_etcd_and_ports(tmp_path):
    with Cluster(tmp_path / "a", brokers=3) as first, Cluster(tmp_path / "b", brokers=1) as second:
        assert etcd_healthy(first.etcd_endpoints)
        assert etcd_healthy(second.etcd_endpoints)
        assert first.etcd_endpoints != second.etcd_endpoints
        assert first.etcd_endpoints != os.environ.get("KAFSCALE_TEST_ETCD_ENDPOINTS")
        assert first.bucket != second.bucket
        addresses = first.bootstrap().split(",") + second.bootstrap().split(",")
        assert len(set(addresses)) == 4
        assert all(address.startswith("127.0.0.1:") for address in addresses)
    assert not etcd_healthy(first.etcd_endpoints)


def test_broker_with_a_bad_setting_fails_fast_showing_its_log(tmp_path):
    with Cluster(tmp_path, brokers=1, lease_ttl_s=1) as cluster:
        started = time.monotonic()
        with pytest.raises(RuntimeError) as failure:
            cluster.start(0)
        assert time.monotonic() - started < FAIL_FAST_S
        assert "KAFSCALE_LEASE_TTL_SECONDS" in str(failure.value)
        assert str(cluster.log_path(0)) in str(failure.value)
        assert not cluster.is_running(0)

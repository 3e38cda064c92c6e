"""A multi-broker KafScale cluster for end-to-end tests: N broker processes on
the shared radosgw (KAFSCALE_TEST_S3_*, started by scripts/run-tests.sh or by
hand with scripts/rgw.sh) and an etcd of their own.

Every Cluster writes to its own new bucket and starts its own etcd
(scripts/etcd.sh, under a second), because the broker has no etcd key prefix
setting: clusters of different tests must not see each other's brokers,
topics or leases.

In a test module, import the fixtures (pytest finds fixtures imported into a
module) and override `cluster_options` to change the defaults:

    from cluster import cluster, cluster_options  # noqa: F401 (pytest fixtures)

    @pytest.fixture(scope="module")
    def cluster_options():
        return {"brokers": 3, "lease_ttl_s": 5}

    def test_failover(cluster):
        cluster.kill(0)
        ... produce to cluster.bootstrap() ...

Or use the class directly: `with Cluster(tmp_path, brokers=2) as c: c.start_all()`.
A test that must stop its radosgw starts one of its own (scripts/rgw.sh) and
passes its settings: `Cluster(tmp_path, s3=read_env_file(rgw_dir / "env"))`.
"""

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import BROKER_BIN, LOG_TAIL_LINES, REPO_ROOT, STOP_TIMEOUT_S, Broker, free_port, log_tail

READY_TIMEOUT_S = 60
S3_VARIABLES = ("KAFSCALE_TEST_S3_ENDPOINT", "KAFSCALE_TEST_S3_ACCESS_KEY",
                "KAFSCALE_TEST_S3_SECRET_KEY", "KAFSCALE_TEST_S3_REGION")
SCRIPT_TIMEOUT_S = 60


def run_script(*args, env=None):
    """Runs a scripts/ helper (in `env`, default ours); raises with its output when it fails."""
    result = subprocess.run([str(REPO_ROOT / "scripts" / args[0]), *args[1:]],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=SCRIPT_TIMEOUT_S, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/{' '.join(args)} failed with {result.returncode}:\n"
                           f"{result.stdout.decode(errors='replace')}")


def read_env_file(path):
    """The NAME=VALUE lines of a scripts/*.sh env file, as a dict."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def s3_test_settings():
    """The KAFSCALE_TEST_S3_* variables; fails the test when any is missing.

    A missing radosgw is a broken test set-up, never a reason to skip.
    """
    missing = [name for name in S3_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run the tests with `make test` "
                    "(scripts/run-tests.sh starts radosgw), or start one with "
                    "`scripts/rgw.sh start DIR` and export the variables in DIR/env",
                    pytrace=False)
    return {name: os.environ[name] for name in S3_VARIABLES}


class ClusterBroker:
    """One broker of a Cluster: fixed id and ports, a data dir and a log file.

    The ports stay the same across restarts so the bootstrap string stays
    valid. Duck-types conftest.Broker's log_path / log_tail, so a failing
    test's report carries its log tail.
    """

    def __init__(self, broker_id, port, metrics_port, data_dir):
        self.broker_id = broker_id
        self.port = port
        self.metrics_port = metrics_port
        self.data_dir = data_dir
        self.log_path = data_dir.with_suffix(".log")
        self.process = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def metrics_url(self):
        return f"http://127.0.0.1:{self.metrics_port}"

    def log_tail(self, lines=LOG_TAIL_LINES):
        return log_tail(self.log_path, lines)


class Cluster:
    """N kafscale-broker processes sharing one bucket and one private etcd.

    Not thread-safe: only the test thread drives it. Broker indexes are
    0..N-1 and equal the broker ids. Errors are raised as RuntimeError with
    the broker's log tail.
    """

    def __init__(self, work_dir, brokers=3, lease_ttl_s=10, flush_interval_ms=10,
                 env_overrides=None, s3=None):
        # s3: the radosgw to use, with the keys of s3_test_settings(); by
        # default the one the environment names.
        self.s3 = dict(s3) if s3 is not None else s3_test_settings()
        self.work_dir = work_dir
        self.bucket = f"kafscale-e2e-{uuid.uuid4().hex[:12]}"
        self.lease_ttl_s = lease_ttl_s
        self.flush_interval_ms = flush_interval_ms
        self.env_overrides = dict(env_overrides or {})
        self.etcd_dir = work_dir / "etcd"
        self.etcd_endpoints = None
        taken = set()
        self.brokers = []
        for broker_id in range(brokers):
            port = free_port(taken)
            taken.add(port)
            metrics_port = free_port(taken)
            taken.add(metrics_port)
            self.brokers.append(ClusterBroker(broker_id, port, metrics_port,
                                              work_dir / f"broker-{broker_id}"))

    def __enter__(self):
        try:
            self.open()
        except BaseException:
            self.close()  # the etcd may be up though the bucket failed
            raise
        return self

    def __exit__(self, *exc_info):
        self.close()

    def open(self):
        """Starts this cluster's etcd and creates its bucket; no broker yet."""
        run_script("etcd.sh", "start", str(self.etcd_dir))
        self.etcd_endpoints = read_env_file(self.etcd_dir / "env")["KAFSCALE_TEST_ETCD_ENDPOINTS"]
        run_script("cluster.sh", "bucket", self.bucket, env={**os.environ, **self.s3})

    def close(self):
        """Tear-down: stops every broker (SIGKILL after STOP_TIMEOUT_S) and the etcd.

        Raises afterwards if a broker exited non-zero on SIGTERM (a crash on
        shutdown, a sanitizer report).
        """
        errors = []
        for index, broker in enumerate(self.brokers):
            if broker.process is None:
                continue
            try:
                code = self.stop(index)
            except RuntimeError as err:
                errors.append(str(err))
                continue
            if code != 0:
                errors.append(f"broker {index} exited with {code} on SIGTERM\n{broker.log_tail()}")
        run_script("etcd.sh", "stop", str(self.etcd_dir))
        if errors:
            raise RuntimeError("\n\n".join(errors))

    def environment(self, index):
        """The environment broker `index` runs with."""
        broker = self.brokers[index]
        env = dict(os.environ)
        env.update({
            "KAFSCALE_BROKER_ID": str(broker.broker_id),
            "KAFSCALE_BROKER_ADDR": broker.address,
            "KAFSCALE_METRICS_ADDR": f"127.0.0.1:{broker.metrics_port}",
            "KAFSCALE_DATA_DIR": str(broker.data_dir),
            "KAFSCALE_S3_BUCKET": self.bucket,
            "KAFSCALE_S3_ENDPOINT": self.s3["KAFSCALE_TEST_S3_ENDPOINT"],
            "KAFSCALE_S3_REGION": self.s3["KAFSCALE_TEST_S3_REGION"],
            "KAFSCALE_S3_PATH_STYLE": "true",
            "AWS_ACCESS_KEY_ID": self.s3["KAFSCALE_TEST_S3_ACCESS_KEY"],
            "AWS_SECRET_ACCESS_KEY": self.s3["KAFSCALE_TEST_S3_SECRET_KEY"],
            "KAFSCALE_ETCD_ENDPOINTS": self.etcd_endpoints,
            "KAFSCALE_LEASE_TTL_SECONDS": str(self.lease_ttl_s),
            "KAFSCALE_FLUSH_INTERVAL_MS": str(self.flush_interval_ms),
            "KAFSCALE_AUTO_CREATE_TOPICS": "false",
            "KAFSCALE_LOG_LEVEL": "info",
        })
        env.update(self.env_overrides)
        return env

    def start(self, index, wait=True):
        """Starts broker `index`; with wait, returns once it is ready (wait_ready)."""
        assert self.etcd_endpoints is not None, "open() the cluster first"
        broker = self.brokers[index]
        assert broker.process is None, f"broker {index} already running"
        broker.data_dir.mkdir(parents=True, exist_ok=True)
        with open(broker.log_path, "ab") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            # The child keeps its own copy of the descriptor.
            broker.process = subprocess.Popen([str(BROKER_BIN)], env=self.environment(index),
                                              stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL)
        Broker.live.append(broker)
        if wait:
            self.wait_ready(index)

    def start_all(self):
        """Starts every broker, then waits until all are ready."""
        for index in range(len(self.brokers)):
            self.start(index, wait=False)
        for index in range(len(self.brokers)):
            self.wait_ready(index)

    def wait_ready(self, index, timeout_s=READY_TIMEOUT_S):
        """Polls /readyz until it answers 200.

        Raises (with the log tail) if the broker exits first or is not ready in time.
        """
        broker = self.brokers[index]
        assert broker.process is not None, f"broker {index} not running"
        deadline = time.monotonic() + timeout_s
        while True:
            code = broker.process.poll()
            if code is not None:
                self._forget_process(broker)
                raise RuntimeError(f"broker {index} exited with {code} during start-up "
                                   f"(log {broker.log_path}):\n{broker.log_tail()}")
            try:
                with urllib.request.urlopen(f"{broker.metrics_url}/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass  # not listening yet, or not ready (an HTTP error status)
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker {index} not ready after {timeout_s}s "
                                   f"(log {broker.log_path}):\n{broker.log_tail()}")
            time.sleep(0.1)

    def stop(self, index, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM and wait; returns the exit code.

        A paused broker is resumed first. Kills it and raises if it does not
        exit within timeout_s.
        """
        broker = self._running(index)
        broker.process.send_signal(signal.SIGCONT)
        broker.process.send_signal(signal.SIGTERM)
        try:
            code = broker.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill(index)
            raise RuntimeError(f"broker {index} ignored SIGTERM for {timeout_s}s\n"
                               f"{broker.log_tail()}") from None
        self._forget_process(broker)
        return code

    def kill(self, index):
        """SIGKILL, as a crash would: nothing is flushed, leases run out."""
        broker = self._running(index)
        broker.process.kill()
        broker.process.wait(STOP_TIMEOUT_S)
        self._forget_process(broker)

    def pause(self, index):
        """SIGSTOP: the process stays but answers nothing, so its leases expire."""
        self._running(index).process.send_signal(signal.SIGSTOP)

    def resume(self, index):
        """SIGCONT after pause()."""
        self._running(index).process.send_signal(signal.SIGCONT)

    def restart(self, index, fresh_data_dir=True, wait=True):
        """Stops broker `index` if running (SIGTERM) and starts it on the same ports.

        fresh_data_dir empties its data directory first: brokers are
        stateless, everything durable is in S3 and etcd.
        """
        if self.brokers[index].process is not None:
            self.stop(index)
        if fresh_data_dir:
            shutil.rmtree(self.brokers[index].data_dir, ignore_errors=True)
        self.start(index, wait)

    def is_running(self, index):
        process = self.brokers[index].process
        return process is not None and process.poll() is None

    def bootstrap(self):
        """"127.0.0.1:p1,127.0.0.1:p2,..." over every broker, running or not."""
        return ",".join(broker.address for broker in self.brokers)

    def metrics_url(self, index):
        """http://127.0.0.1:PORT of broker `index`'s metrics and health endpoints."""
        return self.brokers[index].metrics_url

    def log_path(self, index):
        """The log file of broker `index` (every run appended)."""
        return self.brokers[index].log_path

    def _running(self, index):
        broker = self.brokers[index]
        assert broker.process is not None, f"broker {index} not running"
        return broker

    @staticmethod
    def _forget_process(broker):
        broker.process = None
        if broker in Broker.live:
            Broker.live.remove(broker)


@pytest.fixture(scope="module")
def cluster_options():
    """Keyword arguments of the module's Cluster; modules redefine this fixture."""
    return {}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cluster_options, request):
    """A started, ready Cluster per test module (3 brokers unless cluster_options says)."""
    with Cluster(tmp_path_factory.mktemp(f"{request.module.__name__}-cluster"),
                 **cluster_options) as instance:
        instance.start_all()
        yield instance

"""Fixtures for end-to-end tests: a real kafscale-broker process per test module.

Run with Debian's interpreter (the Kafka client packages import only there):
    /usr/bin/python3 -m pytest tests/e2e
"""

import itertools
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import NewTopic

from clients import NODE_DIR, confluent_admin

REPO_ROOT = Path(__file__).resolve().parents[2]
BROKER_BIN = Path(os.environ.get("KAFSCALE_BROKER_BIN",
                                 REPO_ROOT / "build" / "bin" / "kafscale-broker"))
READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
LOG_TAIL_LINES = 60
ADMIN_TIMEOUT_S = 30


def log_tail(path, lines=LOG_TAIL_LINES):
    """The last `lines` lines of a broker log file."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no broker log)"
    return "\n".join(text.splitlines()[-lines:])


def free_port(taken=()):
    """A loopback port that was free a moment ago (the kernel picks it)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port


class Broker:
    """One kafscale-broker process on a data directory that outlives restarts.

    The log of every run is appended to <data_dir>.log. Not thread-safe: only
    the test thread starts and stops it.
    """

    live = []  # brokers whose log tail is attached to failing test reports

    def __init__(self, data_dir, env_overrides=None):
        self.data_dir = Path(data_dir)
        self.log_path = self.data_dir.with_suffix(".log")
        self.port = free_port()
        self.metrics_port = free_port(taken=(self.port,))
        self.env_overrides = dict(env_overrides or {})
        self.process = None
        self._log_file = None

    @property
    def host(self):
        return "127.0.0.1"

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"

    @property
    def objects_dir(self):
        return self.data_dir / "objects"

    def environment(self):
        env = dict(os.environ)
        env.update({
            "KAFSCALE_BROKER_ADDR": self.bootstrap,
            "KAFSCALE_BROKER_HOST": self.host,
            "KAFSCALE_BROKER_PORT": str(self.port),
            "KAFSCALE_METRICS_ADDR": f"{self.host}:{self.metrics_port}",
            "KAFSCALE_DATA_DIR": str(self.data_dir),
            "KAFSCALE_FLUSH_INTERVAL_MS": "10",
            "KAFSCALE_AUTO_CREATE_TOPICS": "false",
            "KAFSCALE_LOG_LEVEL": "info",
        })
        env.update(self.env_overrides)
        return env

    def start(self, timeout_s=READY_TIMEOUT_S):
        """Starts the broker and waits until its Kafka port accepts connections."""
        assert self.process is None, "broker already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"--- start {time.strftime('%H:%M:%S')} ---\n".encode())
        self._log_file.flush()
        self.process = subprocess.Popen([str(BROKER_BIN)], env=self.environment(),
                                        stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        Broker.live.append(self)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self._forget_process()
                raise RuntimeError(f"broker exited with {code} during start-up\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"broker not accepting connections after {timeout_s}s\n"
                           f"{self.log_tail()}")

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM (the broker flushes and exits); returns the exit code.

        Kills the process and raises if it does not exit within timeout_s.
        """
        assert self.process is not None, "broker not running"
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"broker ignored SIGTERM for {timeout_s}s\n{self.log_tail()}")
        self._forget_process()
        return code

    def kill(self):
        """SIGKILL, as a crash would: nothing is flushed."""
        assert self.process is not None, "broker not running"
        self.process.kill()
        self.process.wait(STOP_TIMEOUT_S)
        self._forget_process()

    def restart(self, hard=False):
        """Stops (SIGKILL if hard, else SIGTERM) and starts on the same data dir and port."""
        if hard:
            self.kill()
        else:
            self.stop()
        self.start()

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def _forget_process(self):
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self in Broker.live:
            Broker.live.remove(self)

    def log_tail(self, lines=LOG_TAIL_LINES):
        return log_tail(self.log_path, lines)

    def close(self):
        """Tear-down: stop if still running.

        A broker that crashed, or that does not exit 0 on SIGTERM (a
        sanitizer report, for instance), is an error.
        """
        if self.process is None:
            return
        code = self.process.poll()
        if code is not None:
            self._forget_process()
            raise RuntimeError(f"broker died during the tests with exit code {code}\n"
                               f"{self.log_tail()}")
        code = self.stop()
        if code != 0:
            raise RuntimeError(f"broker exited with {code} on SIGTERM\n{self.log_tail()}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport():
    """Attaches each live broker's log tail to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for broker in Broker.live:
            report.sections.append((f"broker log tail ({broker.log_path})", broker.log_tail()))


def pytest_collection_modifyitems(config, items):
    """Without a broker binary the run stops with an error (a skipped suite would look green)."""
    if BROKER_BIN.exists():
        return
    raise pytest.UsageError(f"no broker binary at {BROKER_BIN}: run `make build` or set KAFSCALE_BROKER_BIN")


@pytest.fixture(scope="session")
def node_clients():
    """The Node.js client packages, installed from package-lock.json if missing."""
    packages = [NODE_DIR / "node_modules" / name for name in ("kafkajs", "@platformatic/kafka")]
    if not all(p.exists() for p in packages):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                       timeout=300)
    return NODE_DIR


def start_broker(tmp_path_factory, name, env_overrides=None):
    broker = Broker(tmp_path_factory.mktemp(name) / "data", env_overrides)
    broker.start()
    return broker


@pytest.fixture(scope="module")
def broker_env():
    """Per-module broker environment overrides; modules redefine this fixture."""
    return {}


@pytest.fixture(scope="module")
def broker(tmp_path_factory, broker_env, request):
    """A fresh broker on an empty data directory for each test module."""
    instance = start_broker(tmp_path_factory, request.module.__name__, broker_env)
    yield instance
    instance.close()


_topic_counter = itertools.count()


def unique_topic(prefix="t"):
    """A topic name never used before in this run (nor, practically, in any other)."""
    return f"{prefix}-{next(_topic_counter)}-{uuid.uuid4().hex[:8]}"


def wait_for_futures(futures, timeout_s=ADMIN_TIMEOUT_S):
    """Waits on admin futures; returns {name: exception or None}."""
    outcome = {}
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            outcome[name] = None
        except Exception as err:  # the caller asserts on the specific error
            outcome[name] = err
    return outcome


def create_topic(bootstrap, name, partitions=3, config=None):
    """Creates a topic through confluent-kafka's AdminClient and waits for metadata."""
    admin = confluent_admin(bootstrap)
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions,
                                            replication_factor=1, config=config or {})],
                                  operation_timeout=ADMIN_TIMEOUT_S)
    error = wait_for_futures(futures)[name]
    if error is not None:
        raise AssertionError(f"creating topic {name}: {error}")
    wait_for_partitions(admin, name, partitions)
    return name


def wait_for_partitions(admin, name, partitions, timeout_s=ADMIN_TIMEOUT_S):
    """Polls metadata until the topic shows the given partition count with leaders."""
    deadline = time.monotonic() + timeout_s
    while True:
        metadata = admin.list_topics(name, timeout=10).topics.get(name)
        if (metadata is not None and metadata.error is None
                and len(metadata.partitions) == partitions
                and all(p.leader >= 0 for p in metadata.partitions.values())):
            return metadata
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {name} metadata never showed {partitions} partitions "
                                 f"with leaders: {metadata and metadata.partitions}")
        time.sleep(0.1)


@pytest.fixture
def topic_factory(broker):
    """Creates uniquely named topics on this module's broker."""
    def make(partitions=3, prefix="t", config=None):
        return create_topic(broker.bootstrap, unique_topic(prefix), partitions, config)
    return make

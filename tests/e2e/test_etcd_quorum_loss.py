"""A broker whose etcd member loses its quorum notices it.

Three etcd members; the broker talks to the third alone. Pausing the other
two (SIGSTOP) leaves that member without a leader. Its watches would stay
open and silent; the broker asks for them with etcd's "hasleader" metadata,
so etcd ends them ("etcdserver: no leader") and the broker says so and
retries. Once the members are back, the broker works as before.
"""

import os
import shutil
import signal
import subprocess
import time

from confluent_kafka.admin import NewTopic

from clients import confluent_admin, confluent_consume, confluent_produce
from cluster import Cluster
from conftest import free_port
from dataset import make_records

MEMBERS = 3
START_TIMEOUT_S = 30
NOTICE_TIMEOUT_S = 30
TOPIC = "quorum-loss"


class ThreeMemberEtcd:
    """Three etcd members on loopback, stopped on exit."""

    def __init__(self, work_dir):
        self.work_dir = work_dir
        taken = set()
        self.peer_ports, self.client_ports = [], []
        for _ in range(MEMBERS):
            for ports in (self.peer_ports, self.client_ports):
                ports.append(free_port(taken))
                taken.add(ports[-1])
        self.processes = []

    def client_url(self, index):
        return f"http://127.0.0.1:{self.client_ports[index]}"

    def __enter__(self):
        cluster = ",".join(f"m{i}=http://127.0.0.1:{port}" for i, port in enumerate(self.peer_ports))
        for i in range(MEMBERS):
            peer = f"http://127.0.0.1:{self.peer_ports[i]}"
            with open(self.work_dir / f"m{i}.log", "ab") as log:
                self.processes.append(subprocess.Popen(
                    ["etcd", "--name", f"m{i}", "--data-dir", str(self.work_dir / f"m{i}"),
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--listen-client-urls", self.client_url(i), "--advertise-client-urls", self.client_url(i),
                     "--initial-cluster", cluster, "--initial-cluster-state", "new",
                     "--initial-cluster-token", f"quorum-loss-{os.getpid()}"],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        endpoints = ",".join(self.client_url(i) for i in range(MEMBERS))
        deadline = time.monotonic() + START_TIMEOUT_S
        while subprocess.run(["etcdctl", "--endpoints", endpoints, "endpoint", "health"],
                             env={**os.environ, "ETCDCTL_API": "3"}, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, f"etcd members not healthy after {START_TIMEOUT_S}s"
            time.sleep(0.5)
        return self

    def __exit__(self, *exc_info):
        for process in self.processes:
            process.send_signal(signal.SIGCONT)
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def pause(self, index):
        self.processes[index].send_signal(signal.SIGSTOP)

    def resume(self, index):
        self.processes[index].send_signal(signal.SIGCONT)


def wait_for_log_line(cluster, *parts, timeout_s):
    """Waits until one line of the broker's log holds every one of parts."""
    deadline = time.monotonic() + timeout_s
    while not any(all(part in line for part in parts)
                  for line in cluster.log_path(0).read_text(errors="replace").splitlines()):
        assert time.monotonic() < deadline, \
            f"no line with {parts} in the broker's log after {timeout_s}s\n{cluster.brokers[0].log_tail()}"
        time.sleep(0.2)


def test_a_broker_notices_its_etcd_member_losing_quorum(tmp_path):
    (tmp_path / "etcd3").mkdir()
    with ThreeMemberEtcd(tmp_path / "etcd3") as etcd:
        only_the_third = {"KAFSCALE_ETCD_ENDPOINTS": etcd.client_url(2)}
        with Cluster(tmp_path / "cluster", brokers=1, env_overrides=only_the_third) as cluster:
            cluster.start_all()
            etcd.pause(0)
            etcd.pause(1)
            try:
                wait_for_log_line(cluster, "etcd watch of", "etcdserver: no leader", timeout_s=NOTICE_TIMEOUT_S)
            finally:
                etcd.resume(0)
                etcd.resume(1)

            admin = confluent_admin(cluster.bootstrap())  # must outlive its futures
            for future in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
                future.result(60)
            records = make_records("quorum-loss", 50)
            confluent_produce(cluster.bootstrap(), TOPIC, records)
            read = confluent_consume(cluster.bootstrap(), TOPIC, 1, len(records))
            assert [r.value for r in read] == [r.value for r in records]

"""A real 3-node cluster from `deploy/local/cluster` for the cluster tests (`from cluster_fixtures import *`).

One cluster per test module (`cluster`): PostgreSQL, the RADOS Gateway, three `wheelhouse serve`
nodes and HAProxy, all on 127.0.0.1, with their state in a folder of their own under /tmp (mode
0755: PostgreSQL runs as the `postgres` user and must enter every parent of its data dir, which
pytest's 0700 /tmp/pytest-of-root does not allow). Teardown runs `cluster down --purge`.

The nodes are registered in `whserver.RUNNING` while the cluster runs, so a failing test shows the
tail of every node's log (conftest.py does that for anything in that list).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

import whserver
from remote_fixtures import (  # noqa: F401 (re-exported)
    FakeUpstream, Fetched, big_wheel, create_remote, fetch, file_path, page_path, random_wheel, remote_files,
)
from virtual_fixtures import create_virtual, page, page_files  # noqa: F401 (re-exported)
from whclient import JSON_TYPE, AdminAPI, json_files, request, simple_url
from whpackages import sha256_file

__all__ = [
    "REPO", "Cluster", "Node", "cluster", "cluster_upstream", "big_wheel",
    "FakeUpstream", "Fetched", "fetch", "file_path", "page_path", "random_wheel", "create_remote",
    "remote_files", "create_virtual", "page", "page_files", "json_files", "request", "simple_url",
    "sha256_file", "JSON_TYPE", "metrics", "metric_sum", "wait_until", "file_href", "describe",
    "fetch_spread", "timed", "assert_first_up_started_every_node",
]

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = REPO / "deploy" / "local" / "cluster"
POSTGRES_SCRIPT = REPO / "deploy" / "local" / "postgres"
NODES = 3


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_base() -> int:
    """A port base whose HAProxy (base), node (base+1..N), PostgreSQL (+50) and gateway (+60, +61) ports are free."""
    start = 18400 + 100 * (os.getpid() % 20)
    for i in range(40):
        base = 18400 + (start - 18400 + 100 * i) % 4000
        wanted = [base, *(base + n for n in range(1, NODES + 1)), base + 50, base + 60, base + 61]
        if all(_port_free(p) for p in wanted):
            return base
    raise RuntimeError("no free port range for a cluster between 18400 and 22400")


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def wait_until(what: str, predicate, timeout: float, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
        except (OSError, ConnectionError) as e:
            last = e
            value = None
        else:
            value = last
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")
        time.sleep(interval)


def timed(fn, *args, **kw):
    """(result, seconds): the result of fn(*args, **kw) and how long it took."""
    t0 = time.monotonic()
    out = fn(*args, **kw)
    return out, time.monotonic() - t0


class Node:
    """One `wheelhouse serve` of the cluster: what the script recorded about it."""

    def __init__(self, cluster: "Cluster", index: int):
        self.cluster = cluster
        self.index = index
        self.name = f"node{index}"
        self.port = cluster.port + index
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token = cluster.token
        self.api = AdminAPI(self.url, self.admin_token)
        self.pid_file = cluster.dir / "run" / f"{self.name}.pid"
        self.log_path = cluster.dir / "log" / f"{self.name}.log"

    def __repr__(self) -> str:
        return f"<{self.name} {self.url}>"

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        return _pid_alive(self.pid)

    def signal(self, sig: int) -> int:
        pid = self.pid
        assert pid and _pid_alive(pid), f"{self.name} is not running (pid file {self.pid_file}: {pid})"
        exe = os.readlink(f"/proc/{pid}/exe")
        assert os.path.basename(exe).startswith("wheelhouse"), f"pid {pid} of {self.name} is {exe}, not wheelhouse"
        os.kill(pid, sig)
        return pid

    def wait_exit(self, pid: int, timeout: float) -> float:
        """Seconds until `pid` is gone; fails after `timeout`."""
        t0 = time.monotonic()
        wait_until(f"{self.name} (pid {pid}) to exit", lambda: not _pid_alive(pid), timeout, 0.05)
        return time.monotonic() - t0

    def ready(self, timeout: float = 5) -> bool:
        try:
            return request("GET", self.url + "/health/ready", timeout=timeout).status == 200
        except OSError:
            return False

    def new_repo(self, prefix: str = "clu") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        r = self.api.create_repo(name)
        assert r.status == 201, str(r)
        return name

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        # Without the load balancer's health checks, which fill the log twice a second.
        text = [ln for ln in self.log_text().splitlines() if "path=/health/ready status=200" not in ln]
        tail = text[-lines:]
        return f"--- {self.name}: last {len(tail)} lines of {self.log_path} (health checks left out) ---\n" + "\n".join(tail)


class Balancer:
    """HAProxy in front of the nodes: the same `url`/`api`/`admin_token` shape as a server."""

    def __init__(self, cluster: "Cluster"):
        self.url = cluster.url
        self.port = cluster.port
        self.admin_token = cluster.token
        self.api = AdminAPI(self.url, self.admin_token)

    def new_repo(self, prefix: str = "clu") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        r = self.api.create_repo(name)
        assert r.status == 201, str(r)
        return name


@dataclass
class Cluster:
    dir: Path
    port: int
    binary: str
    url: str = ""
    token: str = ""
    database_url: str = ""
    node_urls: tuple = ()
    first_up_error: str | None = None  # set when the first `cluster up` of the module failed

    # -- lifecycle -------------------------------------------------------------------------

    def _script(self, *args, timeout: float) -> subprocess.CompletedProcess:
        env = whserver.clean_env(WHEELHOUSE_BIN=self.binary)
        try:
            return subprocess.run([str(CLUSTER_SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                                  env=env, stdin=subprocess.DEVNULL, cwd=REPO)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"deploy/local/cluster {' '.join(args)}: no answer within {timeout} s\n"
                                 f"{e.stderr or ''}") from None

    def up(self, timeout: float = 900) -> "Cluster":
        """`cluster up` (starts only what is not running); reads the printed variables."""
        p = self._script("up", "--nodes", str(NODES), "--dir", str(self.dir), "--port", str(self.port),
                         "--bin", self.binary, timeout=timeout)
        assert p.returncode == 0, (f"deploy/local/cluster up failed ({p.returncode}):\n{p.stderr[-6000:]}\n"
                                   + self.log_tails())
        # The script prints shell-quoted assignments (`%q`): let bash evaluate them.
        names = ["WHEELHOUSE_URL", "WHEELHOUSE_TOKEN", "WHEELHOUSE_NODES", "WHEELHOUSE_DATABASE_URL"]
        show = 'eval "$1"; printf "%s\\0" ' + " ".join(f'"${n}"' for n in names)
        out = subprocess.run(["bash", "-c", show, "_", p.stdout], capture_output=True, text=True, timeout=30,
                             env=whserver.clean_env())
        assert out.returncode == 0, f"eval of the printed variables failed:\n{p.stdout}\n{out.stderr}"
        values = dict(zip(names, out.stdout.split("\0")))
        assert all(values.get(n) for n in names), f"missing variables in:\n{p.stdout}"
        self.url = values["WHEELHOUSE_URL"]
        self.token = values["WHEELHOUSE_TOKEN"]
        self.node_urls = tuple(values["WHEELHOUSE_NODES"].split(","))
        self.database_url = values["WHEELHOUSE_DATABASE_URL"]
        assert self.url == f"http://127.0.0.1:{self.port}", self.url
        assert len(self.node_urls) == NODES, self.node_urls
        self.nodes = [Node(self, i) for i in range(1, NODES + 1)]
        assert [n.url for n in self.nodes] == list(self.node_urls), (self.node_urls, self.nodes)
        self.lb = Balancer(self)
        for n in self.nodes:
            if not any(r is n for r in whserver.RUNNING):
                whserver.RUNNING.append(n)
        return self

    def log_tails(self, lines: int = 40) -> str:
        """The end of every log in DIR/log (for assertion messages, before `down --purge` removes them)."""
        out = []
        for path in sorted((self.dir / "log").glob("*.log")):
            text = [ln for ln in path.read_text(errors="replace").splitlines()
                    if "path=/health/ready status=200" not in ln][-lines:]
            out.append(f"--- {path.name} (last {len(text)} lines, health checks left out) ---\n" + "\n".join(text))
        return "\n".join(out)

    def down(self) -> None:
        for n in getattr(self, "nodes", []):
            if n in whserver.RUNNING:
                whserver.RUNNING.remove(n)
        p = self._script("down", "--dir", str(self.dir), "--purge", timeout=300)
        if p.returncode != 0:
            print(f"deploy/local/cluster down failed ({p.returncode}):\n{p.stderr[-4000:]}")

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"no node {name!r} in {self.nodes}")

    def ensure_all_up(self, timeout: float = 120) -> None:
        """Restart whatever is not running (`cluster up` again) and wait until every node is ready."""
        # The script tells a running node by `kill -0` on its recorded PID, which a zombie still passes:
        # wait until the processes that exited are reaped (PID 1 here reaps with a delay of a second or so).
        for n in self.nodes:
            pid = n.pid
            if pid and not _pid_alive(pid):
                wait_until(f"exited {n.name} (pid {pid}) reaped", lambda: _pid_gone(pid), 30)
        self.up(timeout=timeout)
        for n in self.nodes:
            wait_until(f"{n.name} ready", n.ready, 60)

    # -- PostgreSQL ----------------------------------------------------------------------------

    @property
    def postgres_dir(self) -> Path:
        return self.dir / "postgres"

    def postgres(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        args = [str(POSTGRES_SCRIPT), command, "--dir", str(self.postgres_dir)]
        if command == "up":
            args += ["--port", str(self.port + 50)]
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=whserver.clean_env(),
                           stdin=subprocess.DEVNULL, cwd=REPO)
        assert p.returncode == 0, f"deploy/local/postgres {command} failed ({p.returncode}):\n{p.stderr[-4000:]}"
        return p

    def psql(self, sql: str, timeout: float = 15) -> str:
        """Run one statement with psql as the nodes' role; the rows as `a|b` lines."""
        p = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", self.database_url, "-c", sql],
                           capture_output=True, text=True, timeout=timeout,
                           env=whserver.clean_env(PGCONNECT_TIMEOUT="5"), stdin=subprocess.DEVNULL)
        assert p.returncode == 0, f"psql {sql!r} failed:\n{p.stderr}"
        return p.stdout.strip()


@pytest.fixture(scope="module")
def cluster(wheelhouse_bin):
    """A 3-node cluster (deploy/local/cluster) for the module; stopped and purged at teardown."""
    base = Path(tempfile.mkdtemp(prefix="wh-cluster-tests-", dir="/tmp"))
    base.chmod(0o755)
    c = Cluster(dir=base, port=_free_base(), binary=wheelhouse_bin)
    try:
        try:
            c.up()
        except AssertionError as e:
            # A node that died during start-up (e.g. the admin bootstrap race of nodes starting together on
            # an empty database) fails `test_cluster_up_starts_every_node`; the other tests of the module
            # still run, on the nodes that a second `cluster up` (which starts only what is not running) starts.
            if "did not become ready" not in str(e):
                raise
            c.first_up_error = str(e)
            print(f"first `deploy/local/cluster up` failed; starting the missing nodes again:\n{e}")
            c.up()
        for n in c.nodes:
            wait_until(f"{n.name} ready", n.ready, 60)
        yield c
    finally:
        c.down()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster_upstream():
    """A fake upstream for the module (tests use their own file names, so counts stay theirs)."""
    u = FakeUpstream().start()
    yield u
    u.stop()


def assert_first_up_started_every_node(cluster: Cluster) -> None:
    """The module's first `deploy/local/cluster up` (3 nodes started together on an empty database) worked."""
    assert cluster.first_up_error is None, cluster.first_up_error
    for node in cluster.nodes:
        assert node.alive and node.ready(), node
    r = request("GET", cluster.url + "/health/ready", timeout=10)
    assert r.status == 200, str(r)


# -- metrics ---------------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metrics(node: Node) -> dict[tuple[str, tuple], float]:
    """The node's /metrics as {(name, ((label, value), ...)): value}."""
    r = request("GET", node.url + "/metrics", timeout=10)
    assert r.status == 200, str(r)
    out = {}
    for line in r.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = tuple(sorted(_LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric_sum(sample: dict, name: str, **labels) -> float:
    """Sum of `name` over the samples whose labels include `labels`."""
    return sum(v for (n, ls), v in sample.items()
               if n == name and all((k, v2) in ls for k, v2 in labels.items()))


# -- downloads -------------------------------------------------------------------------------------

def file_href(node: Node, repo: str, project: str, filename: str) -> str:
    """The absolute URL of `filename` on `node`, from the node's own project page."""
    entry = remote_files(node, repo, project)[filename]
    return entry["url"]


def describe(results) -> str:
    return "\n".join(f"  {i}: {getattr(r, 'node', '?')} {r.status} CL={r.content_length} got={r.received} "
                     f"sha={r.sha256[:12]} err={r.error}" for i, r in enumerate(results))


def fetch_spread(urls: list[str], per_url: int, timeout: float = 120) -> list[Fetched]:
    """`per_url` clients for each URL, all released together, each streaming and hashing its response."""
    jobs = [u for u in urls for _ in range(per_url)]
    barrier = threading.Barrier(len(jobs))
    results: list[Fetched | None] = [None] * len(jobs)

    def one(i: int) -> None:
        try:
            barrier.wait(30)
        except threading.BrokenBarrierError:
            pass
        results[i] = fetch(jobs[i], timeout=timeout, keep=0)
        results[i].node = jobs[i]

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"clients still running after {timeout + 60} s"
    return results


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ += ["sha256_bytes", "urljoin", "signal"]

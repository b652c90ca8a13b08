"""The cluster group (issue 6): pages and files through HAProxy in front of 1, 2 and 3 Wheelhouse
nodes on PostgreSQL + S3, and concurrent cold misses spread over the 3 nodes.

The cluster is `deploy/local/cluster up --nodes 3` (PostgreSQL, the RADOS Gateway, the nodes, and
the script's HAProxy in front of all three), started once in a fresh folder under /tmp and stopped
with `down --purge` at the end of the group, and by the harness's cleanup on a failure or an
interrupt. For each k the harness runs an HAProxy of its own: the script's configuration cut down to
the first k nodes. They all run at once, so the repetitions interleave over k as the other groups
interleave over servers.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from httpc import HTML_TYPE, JSON_TYPE, file_urls
from measure import check_url, concurrent_downloads, download, wrk
from procs import Adopted, Proc, StartError, clean_env, free_port, log
from results import DIRECT, Results, nodes_column
from servers import Wheelhouse

if TYPE_CHECKING:
    from harness import Harness

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "deploy" / "local" / "cluster"
PORT = 8380  # the script's HAProxy; nodes on 8381-8383, PostgreSQL on 8430, the gateway on 8440 and 8441
NODES = 3


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _shell_assignments(text: str) -> dict[str, str]:
    """NAME=value lines as the script prints them (bash's `%q` quoting), without evaluating them."""
    out = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 1 and "=" in words[0]:
            name, value = words[0].split("=", 1)
            out[name] = value
    return out


def _first_line(args: list[str]) -> str:
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=30, env=clean_env())
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def rebase(url: str, base: str) -> str:
    """The same path and query on another origin (a node, or another load balancer)."""
    u = urlsplit(url)
    return base + u.path + (f"?{u.query}" if u.query else "")


class Cluster(Wheelhouse):
    """`deploy/local/cluster` with NODES nodes, and the same repositories as `Wheelhouse` (`bench`,
    local, and `bench-remote`, remote), created through the script's load balancer."""

    def __init__(self, binary: str, upstream_url: str):
        self.name, self.binary, self.upstream_url = "wheelhouse cluster", binary, upstream_url
        self.port = PORT
        self.dir: Path | None = None
        self.nodes: list[str] = []
        self.watched: list[Proc] = []
        self.versions = ""

    def start(self) -> "Cluster":
        ports = [PORT, *(PORT + i for i in range(1, NODES + 1)), PORT + 50, PORT + 60, PORT + 61]
        busy = [p for p in ports if not _port_free(p)]
        if busy:
            raise StartError(f"127.0.0.1 ports {busy} are taken (another cluster on port base {PORT}?)")
        self.dir = Path(tempfile.mkdtemp(prefix="wheelhouse-bench-cluster-", dir="/tmp"))
        self.dir.chmod(0o755)  # PostgreSQL runs as the postgres user and must enter this folder
        p = self._script("up", "--nodes", str(NODES), "--port", str(PORT), "--bin", self.binary, timeout=900)
        if p.returncode != 0:
            raise StartError(f"deploy/local/cluster up failed ({p.returncode}):\n{p.stderr[-3000:]}\n{self.log_tails()}")
        values = _shell_assignments(p.stdout)
        self.token = values.get("WHEELHOUSE_TOKEN", "")
        self.nodes = [n for n in values.get("WHEELHOUSE_NODES", "").split(",") if n]
        if values.get("WHEELHOUSE_URL") != self.base or len(self.nodes) != NODES or not self.token:
            raise StartError(f"deploy/local/cluster up printed unexpected variables:\n{p.stdout}")
        self.watched = self._adopt()
        self.versions = self._versions()
        self.create_repositories()
        return self

    def _script(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        try:
            return subprocess.run([str(SCRIPT), args[0], "--dir", str(self.dir), *args[1:]], capture_output=True,
                                  text=True, timeout=timeout, env=clean_env(), stdin=subprocess.DEVNULL, cwd=REPO)
        except subprocess.TimeoutExpired as e:
            raise StartError(f"deploy/local/cluster {args[0]}: no answer within {timeout}s\n{e.stderr or ''}") from None

    def _adopt(self) -> list[Proc]:
        """The nodes, PostgreSQL and the storage daemons, watched (not stopped) by the harness so that
        each measurement starts once they are idle."""
        found = [(f"node{i}", self.dir / "run" / f"node{i}.pid") for i in range(1, NODES + 1)]
        found += [(name, self.dir / "s3" / "run" / f"{name}.pid") for name in ("rgw", "osd")]
        found.append(("postgres", self.dir / "postgres" / "data" / "postmaster.pid"))
        procs = []
        for name, pid_file in found:
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                raise StartError(f"no PID for {name} in {pid_file}") from None
            procs.append(Adopted(name, pid, self.dir / "log" / f"{name}.log"))
        return procs

    def _versions(self) -> str:
        pg = (self.dir / "postgres" / "data" / "PG_VERSION").read_text().strip()
        haproxy = _first_line([shutil.which("haproxy") or "/usr/sbin/haproxy", "-v"]).split()
        rgw = _first_line(["radosgw", "--version"]).split()
        return (f"{NODES} nodes of {Wheelhouse.version(self)}; HAProxy {haproxy[2] if len(haproxy) > 2 else '?'}, "
                f"PostgreSQL {pg}, Ceph RADOS Gateway {rgw[2] if len(rgw) > 2 else '?'}")

    def version(self) -> str:
        return self.versions or "not started"

    def log_tails(self, lines: int = 20) -> str:
        """The end of every log of the cluster (health checks left out), for failure messages."""
        out = []
        for path in sorted((self.dir / "log").glob("*.log")) if self.dir else []:
            text = [x for x in path.read_text(errors="replace").splitlines() if "path=/health/ready" not in x]
            out.append(f"--- {path.name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def stop(self, keep_logs: Path | None = None) -> None:
        """`cluster down --purge` (signals held off meanwhile, so an interrupt cannot leave it half
        done); the logs copied to `keep_logs` first when given. The folder stays if `down` fails."""
        if self.dir is None:
            return
        self.watched = []
        if keep_logs:
            shutil.copytree(self.dir / "log", keep_logs, dirs_exist_ok=True)
        held = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            log(f"stopping the cluster (deploy/local/cluster down --purge, {self.dir})")
            p = self._script("down", "--purge", timeout=300)
        finally:
            for s, handler in held.items():
                signal.signal(s, handler)
        if p.returncode != 0:
            log(f"warning: deploy/local/cluster down failed ({p.returncode}), {self.dir} kept:\n{p.stderr[-2000:]}")
            return
        self.dir = None


class Balancer:
    """An HAProxy of the harness's own: the cluster's configuration with the first k nodes only,
    listening on a free 127.0.0.1 port, without health checks. With the script's checks (every
    500 ms, the interval as timeout, down after 2 failures) a node streaming 32 × 50 MiB can answer
    `/health/ready` too late, HAProxy takes it out and answers 503: the checks would turn a slow
    measurement into no measurement, and nothing here stops a node."""

    def __init__(self, cluster: Cluster, k: int):
        self.cluster, self.k = cluster, k

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Balancer":
        self.port = free_port()
        folder = self.cluster.dir
        conf = folder / f"bench-haproxy-{self.k}.cfg"
        conf.write_text(self.config((folder / "haproxy.cfg").read_text()))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"  # sbin is not on every user's PATH
        self.proc = Proc(f"haproxy ({nodes_column(self.k)})", [haproxy, "-db", "-f", conf],
                         folder / "log" / f"bench-haproxy-{self.k}.log")
        self.proc.wait_http(self.base + "/health/ready")
        return self

    def config(self, text: str) -> str:
        """The script's configuration: its own port, no pidfile, the servers `node1` to `node{k}`
        without `check`."""
        out, binds, servers = [], 0, 0
        for line in text.splitlines():
            words = line.split()
            if words[:1] == ["pidfile"]:
                continue
            if words[:1] == ["bind"]:
                line, binds = f"    bind 127.0.0.1:{self.port}", binds + 1
            m = re.fullmatch(r"node(\d+)", words[1]) if words[:1] == ["server"] and len(words) > 1 else None
            if m:
                if int(m.group(1)) > self.k:
                    continue
                line = " ".join(["   ", *(w for w in words if w != "check")])
                servers += 1
            out.append(line)
        if binds != 1 or servers != self.k:
            raise StartError(f"unexpected HAProxy configuration from deploy/local/cluster "
                             f"({binds} bind lines, {servers} of {self.k} servers):\n{text}")
        return "\n".join(out) + "\n"


def measure(h: Harness) -> None:
    """The whole group: the cluster up and loaded, the wrk measurements through each HAProxy, the
    cold misses on the nodes, the cluster down."""
    c = h.cluster = Cluster(h.args.bin, h.upstream.simple_url)
    log(f"starting a {NODES}-node cluster (deploy/local/cluster up, port base {PORT})")
    t = time.monotonic()
    if h.attempt("cluster: deploy/local/cluster up", c.start) is None:
        return
    log(f"  cluster up in {time.monotonic() - t:.0f}s in {c.dir}: HAProxy {c.base}, nodes {' '.join(c.nodes)}")
    balancers: list[Balancer] = []
    try:
        files = [h.fx.small[0], *h.fx.many, h.fx.big]
        if h.attempt("cluster: loading the fixtures", lambda: h.load(c, files) or True) is None:
            return
        for k in h.plan.cluster_nodes:
            b = h.attempt(f"cluster: HAProxy in front of {nodes_column(k)}", Balancer(c, k).start)
            if b:
                balancers.append(b)
        bases = {DIRECT: c.nodes[0]} if h.plan.cluster_direct else {}
        bases.update({nodes_column(b.k): b.base for b in balancers})
        serve(h, c, bases)
        cold(h, c)
    finally:
        for b in balancers:
            b.proc.stop()
        c.stop(h.work / "cluster-logs" if h.args.keep else None)


def serve(h: Harness, c: Cluster, bases: dict[str, str]) -> None:
    """wrk on the 300-version page (HTML, JSON), a small file and the 50 MiB file, through each base
    URL in turn for every repetition."""
    p = h.plan
    pages = [("page-many-html", "project page, 300 versions, HTML", HTML_TYPE),
             ("page-many-json", "project page, 300 versions, JSON", JSON_TYPE)]
    for key, label, accept in pages:
        urls = {col: rebase(c.page_url("bench-many"), base) for col, base in bases.items()}
        rates(h, key, label, urls, accept)
    small, big = h.fx.small[0], h.fx.big
    found: dict[str, tuple[str, str]] = {}
    for col, base in bases.items():
        def find(base=base):
            return (file_urls(rebase(c.page_url("bench-pkg-000"), base))[small.name],
                    file_urls(rebase(c.page_url("bench-big"), base))[big.name])
        got = h.attempt(f"cluster: file URLs through {col}", find)
        if got:
            found[col] = got
    rates(h, "file-small", f"small file ({small.stat().st_size} B wheel)", {col: u[0] for col, u in found.items()})
    for rep in range(p.reps):
        for col, (_, url) in found.items():
            # At some 300 MB/s from S3 each of 32 connections takes ~5 s per body, and wrk must see one end.
            r = h.attempt(f"cluster: 50 MiB file through {col}",
                          lambda: wrk(url, duration=max(p.duration, 6), timeout=30, partial_ok=True))
            if r:
                h.results.add("cluster.file-big.mbps", col, r["mbps"], label="50 MiB file, 32 connections",
                              unit="MB/s", group="cluster")
                log(f"cluster 50 MiB file {col} #{rep + 1}: {r['mbps']:.0f} MB/s ({r['requests']} complete)")


def rates(h: Harness, key: str, label: str, urls: dict[str, str], accept: str | None = None) -> None:
    """req/s and p99 of one URL per column: checked and warmed up, then the repetitions interleaved."""
    p = h.plan
    ready = []
    for col, url in urls.items():
        if h.attempt(f"cluster: {key} through {col}", lambda: check_url(url, accept, accept)) is None:
            continue
        h.attempt(f"cluster: warm-up {key} through {col}",
                  lambda: wrk(url, duration=min(1, p.duration / 2), accept=accept))
        ready.append(col)
    for rep in range(p.reps):
        for col in ready:
            r = h.attempt(f"cluster: {key} through {col}", lambda: wrk(urls[col], duration=p.duration, accept=accept))
            if r:
                h.results.add(f"cluster.{key}.rps", col, r["rps"], label=label, unit="req/s", group="cluster")
                h.results.add(f"cluster.{key}.p99", col, r["p99_ms"], label=f"{label}, p99", unit="ms",
                              group="cluster")
                log(f"cluster {key} {col} #{rep + 1}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms")


def cold(h: Harness, c: Cluster) -> None:
    """Per repetition: one cold download of a proxied file from node 1 (the reference), then
    `clients` concurrent cold misses of another one, round-robin over the nodes directly, with the
    fake upstream's GETs of it counted. The cluster's cache is its own: the files the single-node
    proxies fetched in the proxy group are cold here."""
    p = h.plan
    timeout = max(120, 20 * h.fx.proxied[0].stat().st_size / p.rate)
    links = h.attempt("cluster: bench-proxy page on every node",
                      lambda: [file_urls(rebase(c.proxy_page_url("bench-proxy"), n)) for n in c.nodes])
    if not links:
        return
    g, col = "cluster-cold", nodes_column(NODES)
    for rep in range(p.reps):
        single, crowd = h.fx.proxied[2 * rep], h.fx.proxied[2 * rep + 1]

        def one():
            t1 = download(links[0][single.name], single.stat().st_size, timeout)
            path = f"/files/{crowd.name}"
            before = h.upstream.count(path)
            finish = concurrent_downloads([n[crowd.name] for n in links], p.clients, crowd.stat().st_size, timeout)
            time.sleep(0.5)  # let a late upstream request land in the count
            return t1, max(finish), h.upstream.count(path) - before

        r = h.attempt(f"cluster: cold misses over {NODES} nodes", one)
        if not r:
            continue
        t1, slowest, gets = r
        h.results.add("cluster.cold.single", col, t1, label="one cold download (50 MiB) from node 1", unit="s",
                      group=g)
        h.results.add("cluster.cold.slowest", col, slowest,
                      label=f"{p.clients} concurrent cold misses, round-robin over the nodes: last byte", unit="s",
                      group=g)
        h.results.add("cluster.cold.ratio", col, slowest / t1, label=f"slowest of {p.clients} ÷ one cold download",
                      unit="×", group=g)
        h.results.add("cluster.cold.upstream", col, gets, label=f"upstream downloads for {p.clients} misses",
                      unit="count", group=g)
        log(f"cluster cold misses #{rep + 1}: single {t1:.2f}s, slowest of {p.clients} on {NODES} nodes "
            f"{slowest:.2f}s ({slowest / t1:.2f}×), upstream GETs {gets}")


def tables(results: Results, rate: float) -> list[str]:
    """The group's Markdown: what it measures, on how many cores, and its two tables."""
    cols = [DIRECT] + [nodes_column(k) for k in range(1, NODES + 1)]
    ratios = [(nodes_column(k), nodes_column(1)) for k in range(2, NODES + 1)] + [(nodes_column(1), DIRECT)]
    served = results.table("cluster", cols, ratios)
    collapse = results.table("cluster-cold", cols, [])
    if not (served or collapse):
        return []
    cores = len(os.sched_getaffinity(0))
    direct = any(DIRECT in m.values for m in results.metrics.values() if m.group == "cluster")
    lines = ["", f"### Cluster: HAProxy in front of 1, 2 and {NODES} nodes (PostgreSQL + S3)", "",
             f"`deploy/local/cluster` with {NODES} nodes on PostgreSQL and Ceph's RADOS Gateway (S3), all on this "
             f"machine's {cores} cores: more nodes on one machine cannot add CPU, so these figures show the "
             "overhead of HAProxy and of the shared PostgreSQL/S3 path, not scale-out. `k nodes`: an HAProxy "
             "(round robin, the script's settings without its health checks) in front of nodes 1 to k"
             + ("; `node 1 direct`: node 1 without HAProxy" if direct else "")
             + ". Ratios to `1 node` (HAProxy in front of node 1 alone)."]
    if served:
        lines += [""] + served
    if collapse:
        lines += ["", f"### Cluster: cold misses spread over {NODES} nodes", "",
                  f"Clients on the nodes directly (client i on node i mod {NODES}), a 50 MiB file none of them has, "
                  f"the fake upstream pacing each response at {rate / 1e6:.0f} MB/s: one upstream download means the "
                  "fetch lease collapsed the misses across the nodes (`docs/cluster.md`).", ""] + collapse
    return lines

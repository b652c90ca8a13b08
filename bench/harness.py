"""Wheelhouse benchmark harness (run through bench/run, which installs what it needs).

Starts Wheelhouse, pypiserver, devpi-server, proxpi and nginx on 127.0.0.1, loads the same
fixtures into each, then measures them interleaved (for each measurement, each repetition,
each server in turn) so that drift on a noisy machine spreads over all of them alike. The cluster
group (bench/cluster.py) brings up a cluster of its own with deploy/local/cluster.
"""

from __future__ import annotations

import argparse
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cluster
import phases
import report
from fixtures import Fixtures, generate
from httpc import upload
from measure import MeasureError
from procs import Proc, StartError, log, quiesce, stop_all
from results import BASE, WH, Results
from servers import Devpi, Nginx, Proxpi, Pypiserver, Server, Wheelhouse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GROUPS = ("pages", "files", "clients", "twine", "proxy", "cluster", "big")


@dataclass
class Plan:
    quick: bool
    reps: int
    duration: float      # seconds per wrk run
    small: int           # small packages loaded into every index
    install: int         # of which pip and uv fetch this many
    uploads: int         # packages per twine upload
    big_mib: int
    huge_mib: int        # 0: no 2 GiB runs
    rate: float          # fake upstream bytes/second per response
    clients: int = 32
    cluster_nodes: tuple[int, ...] = (1, 2, 3)  # HAProxy in front of this many cluster nodes, in turn
    cluster_direct: bool = True                 # also node 1 without HAProxy


def plan_from(args) -> Plan:
    if args.quick:
        p = Plan(quick=True, reps=1, duration=2, small=30, install=10, uploads=20, big_mib=50, huge_mib=0, rate=20e6,
                 cluster_nodes=(1, 3), cluster_direct=False)
    else:
        p = Plan(quick=False, reps=3, duration=4, small=200, install=50, uploads=200, big_mib=50, huge_mib=2048,
                 rate=20e6)
    if args.reps:
        p.reps = args.reps
    if args.duration:
        p.duration = args.duration
    return p


class Upstream:
    """bench/upstream.py in its own process, asked for its counts over a pipe."""

    def __init__(self, venv: Path, work: Path, paced: list[Path], unpaced: list[Path], rate: float):
        args = [venv / "bin" / "python", HERE / "upstream.py", "--rate", str(rate), "--paced", *paced]
        if unpaced:
            args += ["--unpaced", *unpaced]
        self.proc = Proc("fake upstream", args, work / "upstream.log", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.simple_url = self._readline(timeout=300)
        if not self.simple_url.startswith("http://127.0.0.1:"):
            raise StartError(f"fake upstream did not start: {self.simple_url!r}\n{self.proc.tail()}")

    def _readline(self, timeout: float) -> str:
        out = self.proc.popen.stdout
        ready, _, _ = select.select([out], [], [], timeout)
        if not ready:
            raise StartError(f"fake upstream silent for {timeout}s\n{self.proc.tail()}")
        return out.readline().decode().strip()

    def count(self, path: str) -> int:
        self.proc.popen.stdin.write(f"count {path}\n".encode())
        self.proc.popen.stdin.flush()
        return int(self._readline(timeout=30))


class Harness:
    def __init__(self, args, plan: Plan):
        self.args, self.plan = args, plan
        self.venv = Path(args.venv)
        self.results = Results()
        self.groups = set(args.only.split(",")) if args.only else set(GROUPS)
        if plan.quick:
            self.groups.discard("big")
        self.work = Path(tempfile.mkdtemp(prefix="wheelhouse-bench-", dir=args.work_root))
        self.local: list[Server] = []
        self.proxies: list[Server] = []
        self.wheelhouses: list[Wheelhouse] = []
        self.all: list[Server] = []
        self.cluster: cluster.Cluster | None = None  # set by the cluster group
        self.started = time.monotonic()
        self.load_at_start = report.loadavg()

    # -- setup ------------------------------------------------------------------------

    def setup(self) -> None:
        p = self.plan
        fx_root = REPO / ".build" / "bench" / ("fixtures-quick" if p.quick else "fixtures")
        self.fx: Fixtures = generate(fx_root, small=p.small, versions=300, upload_sets=p.reps,
                                     uploads_per_set=p.uploads, proxied=2 * p.reps, big_mib=p.big_mib,
                                     huge_mib=p.huge_mib if "big" in self.groups else 0, log=log)
        log(f"work folder {self.work}")
        unpaced = [self.fx.huge_proxied] if self.fx.huge_proxied else []
        self.upstream = Upstream(self.venv, self.work, self.fx.proxied, unpaced, p.rate)
        log(f"fake upstream at {self.upstream.simple_url} ({p.rate / 1e6:.0f} MB/s per response)")
        if not self.groups - {"cluster"}:
            return  # the cluster group starts its own servers
        up = self.upstream.simple_url
        wh = Wheelhouse(WH, self.args.bin, self.work, up)
        self.wheelhouses = [wh]
        if self.args.baseline_bin:
            self.wheelhouses.append(Wheelhouse(BASE, self.args.baseline_bin, self.work, up))
        peers = [Pypiserver(self.venv, self.work), Devpi(self.venv, self.work, up)]
        proxpi = Proxpi(self.venv, self.work, up)
        for s in [*self.wheelhouses, *peers, proxpi]:
            log(f"starting {s.name}")
            s.start()
            log(f"  {s.name} on {s.base} (pid {s.proc.pid})")
        self.local = [*self.wheelhouses, *peers]
        self.proxies = [*self.wheelhouses, peers[1], proxpi]
        self.all = [*self.wheelhouses, *peers, proxpi]
        files = self.fx.local_files()
        for s in self.local:
            self.load(s, files)
        projects = ["bench-many", "bench-big"] + [f"bench-pkg-{i:03d}" for i in range(p.small)]
        log("copying Wheelhouse's pages and files for nginx")
        nginx = Nginx(self.work, wh, projects).start()
        log(f"  nginx on {nginx.base} (pid {nginx.proc.pid})")
        self.local.insert(len(self.wheelhouses), nginx)

    def load(self, s: Server, files: list[Path]) -> None:
        t = time.monotonic()
        headers = s.load_headers()

        def one(path: Path) -> None:
            r = upload(s.upload_url, path, headers)
            if r.status // 100 != 2:
                raise StartError(f"loading {path.name} into {s.name}: {r.status} {r.body[:300]!r}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, files))
        log(f"loaded {len(files)} files into {s.name} in {time.monotonic() - t:.1f}s")

    # -- measurements -------------------------------------------------------------------

    def run(self) -> None:
        # Peak RSS per phase (VmHWM reset between phases), so a peak can be traced to its cause.
        phases.rss(self, "setup")
        for group in GROUPS:
            if group not in self.groups or group == "big":
                continue
            t = time.monotonic()
            if group == "cluster":
                cluster.measure(self)  # its own servers; the single-node ones stay idle meanwhile
                log(f"{group}: {time.monotonic() - t:.0f}s")
                continue
            for s in self.all:
                s.proc.reset_peak()
            getattr(phases, group)(self)
            log(f"{group}: {time.monotonic() - t:.0f}s")
            phases.rss(self, group)
        if "big" in self.groups:
            phases.big(self)

    def attempt(self, what: str, fn):
        """Run one measurement once every server is idle; a failure is recorded (the harness exits
        non-zero) and the run goes on."""
        watched = self.cluster.watched if self.cluster else []
        quiesce(list({id(s): s.proc for s in self.local + self.all}.values()) + watched)
        try:
            return fn()
        except (MeasureError, StartError, OSError, RuntimeError, KeyError, ValueError) as e:
            msg = f"{what}: {e}"
            self.results.failures.append(msg)
            log(f"FAILED {msg}")
            return None

    def cleanup(self) -> None:
        stop_all()
        if self.cluster:
            self.cluster.stop(self.work / "cluster-logs" if self.args.keep else None)
        if self.args.keep:
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Wheelhouse benchmark harness (use bench/run).")
    parser.add_argument("--bin", required=True, help="the wheelhouse binary to measure")
    parser.add_argument("--baseline-bin", help="a second wheelhouse binary, measured in the same run (before/after)")
    parser.add_argument("--quick", action="store_true", help="smoke mode: one short repetition, no 2 GiB runs")
    parser.add_argument("--reps", type=int, help="repetitions (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 4, quick 2)")
    parser.add_argument("--only", help=f"comma-separated groups among {','.join(GROUPS)}")
    parser.add_argument("--venv", required=True, help="virtual environment with the peers and clients")
    parser.add_argument("--work-root", default=None, help="where the temporary work folder goes (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (data dirs and server logs)")
    parser.add_argument("--write-docs", action="store_true", help="write the results into docs/benchmarks.md")
    args = parser.parse_args()
    if args.only and not set(args.only.split(",")) <= set(GROUPS):
        parser.error(f"--only takes {','.join(GROUPS)}")
    plan = plan_from(args)
    h = Harness(args, plan)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        h.setup()
        h.run()
        report.write(h)
    except StartError as e:
        log(f"FAILED to start: {e}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        h.cleanup()
    if h.results.failures:
        log(f"{len(h.results.failures)} measurement(s) failed to run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

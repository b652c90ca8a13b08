"""The run's report: Markdown with the machine, the versions, the targets and every table,
kept in .build/bench/ (with the raw values as JSON) and, in full mode, in docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from cluster import tables as cluster_tables
from procs import clean_env, log

if TYPE_CHECKING:
    from harness import Harness

REPO = Path(__file__).resolve().parent.parent
DOCS_BEGIN = "<!-- bench:results:begin -->"
DOCS_END = "<!-- bench:results:end -->"


def markdown(h: Harness) -> str:
    p = h.plan
    cmd = "bench/run" + (" --quick" if p.quick else "")
    lines = [f"Run of {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
             f"`{cmd}` ({'smoke mode, ' if p.quick else ''}{p.reps} repetition{'s' * (p.reps > 1)}, "
             f"wrk {p.duration:g} s × 32 connections × 2 threads), {time.monotonic() - h.started:.0f} s in all.",
             "", "**Machine**: " + machine(),
             "", f"**Load average** (1 min) at the start {h.load_at_start}, at the end {loadavg()}: above 2, other "
             "work shared the 2 cores during the run and every figure is noisier.", "", "**Versions**:", ""]
    for s in [*h.local, *[x for x in h.all if x not in h.local]]:
        lines.append(f"- {s.name}: {s.version()}")
    if h.cluster:
        lines.append(f"- {h.cluster.name}: {h.cluster.version()}")
    lines.append(f"- clients: {tool_versions(h.venv)}")
    lines += ["", "Cells: median (min–max) over the repetitions. Ratios: Wheelhouse's median ÷ the other's "
              "median, from this run only.", "", "### Targets", ""] + h.results.targets_table()
    for group, title in (("pages", "Simple pages (wrk, 32 connections)"), ("files", "Files"),
                         ("clients", "Clients (wall time)"),
                         ("proxy", f"Proxies: cold misses from a fake upstream paced at {p.rate / 1e6:.0f} MB/s "
                                   "per response"),
                         ("memory", "Memory (VmHWM of the server's process tree)"),
                         ("big", "2 GiB runs (Wheelhouse only)")):
        t = h.results.table(group)
        if t:
            lines += ["", f"### {title}", ""] + t
        if group == "proxy":
            lines += cluster_tables(h.results, p.rate)
    if h.results.failures:
        lines += ["", "### Failed measurements", ""] + [f"- {f}" for f in h.results.failures]
    return "\n".join(lines) + "\n"


def write(h: Harness) -> None:
    md = markdown(h)
    out = REPO / ".build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"results-{stamp}.md").write_text(md)
    (out / f"results-{stamp}.json").write_text(json.dumps(
        {"plan": h.plan.__dict__, "failures": h.results.failures,
         "metrics": {k: {"label": m.label, "unit": m.unit, "values": m.values}
                     for k, m in h.results.metrics.items()}}, indent=1))
    print("\n" + md)
    log(f"results in {out}/results-{stamp}.md and .json")
    if h.args.write_docs and (h.args.only or h.results.failures):
        log("docs/benchmarks.md left alone: " + ("--only ran a part of the bench" if h.args.only
                                                  else "some measurements failed"))
    elif h.args.write_docs:
        docs = REPO / "docs" / "benchmarks.md"
        text = docs.read_text()
        if DOCS_BEGIN not in text or DOCS_END not in text:
            raise SystemExit(f"{docs} has no {DOCS_BEGIN} ... {DOCS_END} markers")
        head, rest = text.split(DOCS_BEGIN, 1)
        _, tail = rest.split(DOCS_END, 1)
        docs.write_text(head + DOCS_BEGIN + "\n" + md + DOCS_END + tail)
        log(f"updated {docs}")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal:")), 0)
    distro = "?"
    try:
        distro = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
            f"{mem / (1 << 20):.1f} GiB, {distro}, Linux {platform.release()}")


def tool_versions(venv: Path) -> str:
    def out(args):
        try:
            r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=30, env=clean_env())
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    return ", ".join([out(["wrk", "--version"]).split(" [")[0], out([venv / "bin" / "twine", "--version"]).split(" (")[0],
                      out([venv / "bin" / "python", "-m", "pip", "--version"]).split(" from")[0],
                      out([venv / "bin" / "uv", "--version"]), out(["curl", "--version"]).split(" (")[0]])

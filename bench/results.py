"""Figures of one run, their ratios to the peers and to nginx, the targets, and the Markdown.

Every ratio is Wheelhouse's median divided by the other server's median from the same run:
for req/s and MB/s above 1 means Wheelhouse is faster; for seconds, milliseconds and MiB below 1
means Wheelhouse is faster (or smaller). Numbers from different runs are never compared.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

WH = "wheelhouse"
BASE = "wheelhouse-base"
# Column order of the tables.
ORDER = [WH, BASE, "nginx", "pypiserver", "devpi", "proxpi"]
# Columns of the cluster tables: node 1 without a load balancer, then HAProxy in front of k nodes.
DIRECT = "node 1 direct"


def nodes_column(k: int) -> str:
    return f"{k} node{'s' * (k > 1)}"


@dataclass
class Metric:
    key: str
    label: str
    unit: str
    group: str
    values: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def median(self, server: str) -> float | None:
        v = self.values.get(server)
        return statistics.median(v) if v else None

    def ratio(self, server: str, to: str) -> float | None:
        a, b = self.median(server), self.median(to)
        if a is None or b is None or b == 0:
            return None
        return a / b

    def servers(self) -> list[str]:
        return [s for s in ORDER if s in self.values] + [s for s in self.values if s not in ORDER]


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None  # None: not measured in this run


class Results:
    def __init__(self):
        self.metrics: dict[str, Metric] = {}
        self.failures: list[str] = []

    def metric(self, key: str, label: str, unit: str, group: str) -> Metric:
        if key not in self.metrics:
            self.metrics[key] = Metric(key, label, unit, group)
        return self.metrics[key]

    def add(self, key: str, server: str, value: float, *, label: str, unit: str, group: str,
            note: str | None = None) -> None:
        m = self.metric(key, label, unit, group)
        m.values.setdefault(server, []).append(value)
        if note:
            m.notes[server] = note

    def get(self, key: str) -> Metric | None:
        return self.metrics.get(key)

    # -- targets of issue 7 -----------------------------------------------------------

    def targets(self) -> list[Target]:
        out: list[Target] = []

        def ratio_target(key: str, to: str, op: str, bound: float, text: str) -> None:
            m = self.get(key)
            r = m.ratio(WH, to) if m else None
            met = None if r is None else (r >= bound if op == ">=" else r <= bound)
            out.append(Target(text, "not measured" if r is None else f"{r:.2f}×", met))

        def value_target(key: str, server: str, op: str, bound: float, text: str, fmt: str, agg=max) -> None:
            m = self.get(key)
            v = m.values.get(server) if m else None
            if not v:
                out.append(Target(text, "not measured", None))
                return
            x = agg(v)
            out.append(Target(text, fmt.format(x), x < bound if op == "<" else (x <= bound if op == "<=" else x == bound)))

        for kind in ("html", "json"):
            key = f"page-many-{kind}.rps"
            ratio_target(key, "devpi", ">=", 10, f"project page (300 versions, {kind.upper()}) req/s ≥ 10× devpi-server")
            ratio_target(key, "pypiserver", ">=", 3, f"project page (300 versions, {kind.upper()}) req/s ≥ 3× pypiserver")
            ratio_target(key, "nginx", ">=", 0.6, f"project page (300 versions, {kind.upper()}) req/s ≥ 60% of nginx")
            m = self.get(f"page-many-{kind}.p99")
            v = m.values.get(WH) if m else None
            text = f"project page (300 versions, {kind.upper()}) p99 < 10 ms at 32 connections (median repetition)"
            if v:
                out.append(Target(text, f"{statistics.median(v):.2f} ms (worst {max(v):.2f} ms)",
                                  statistics.median(v) < 10))
            else:
                out.append(Target(text, "not measured", None))
        ratio_target("file-big.mbps", "nginx", ">=", 0.8, "50 MiB download ≥ 80% of nginx's throughput")
        ratio_target("twine.s", "pypiserver", "<=", 0.5, "`twine upload` of the packages ≤ 0.5× pypiserver's wall time")
        value_target("cold.upstream", WH, "==", 1, "cold-miss collapse: 1 upstream download (every repetition)",
                     "{:.0f} (worst)")
        value_target("cold.ratio", WH, "<=", 1.2, "cold-miss collapse: slowest of 32 ≤ 1.2× a single download (worst)",
                     "{:.2f}×")
        value_target("cluster.cold.upstream", nodes_column(3), "==", 1,
                     "cluster (issue 6): cold misses spread over 3 nodes: 1 upstream download (every repetition)",
                     "{:.0f} (worst)")
        peaks = {k: max(m.values[WH]) for k, m in self.metrics.items() if k.startswith("rss.") and m.values.get(WH)}
        if peaks:
            covered = "including the 2 GiB runs" if {"rss.upload2g", "rss.proxied2g"} <= peaks.keys() \
                else "2 GiB runs not measured"
            worst = max(peaks, key=peaks.get)
            out.append(Target(f"peak RSS ≤ 150 MiB throughout ({covered})",
                              f"{peaks[worst]:.0f} MiB ({self.metrics[worst].label.removeprefix('peak RSS: ')})",
                              peaks[worst] <= 150))
        else:
            out.append(Target("peak RSS ≤ 150 MiB throughout", "not measured", None))
        return out

    # -- rendering ------------------------------------------------------------------

    def table(self, group: str, columns: list[str] = ORDER,
              ratios: list[tuple[str, str]] | None = None) -> list[str]:
        """The group's metrics, one row each: `columns` (those measured), then each ratio a ÷ b of
        `ratios` whose columns are there (default: Wheelhouse ÷ each other column)."""
        metrics = [m for m in self.metrics.values() if m.group == group]
        if not metrics:
            return []
        servers = [s for s in columns if any(s in m.values for m in metrics)]
        if ratios is None:
            ratios = [(WH, s) for s in servers if s != WH]
        ratios = [(a, b) for a, b in ratios if a in servers and b in servers]
        head = ["measurement", "unit"] + servers + [f"{a} ÷ {b}" for a, b in ratios]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for m in metrics:
            cells = [m.label, m.unit]
            for s in servers:
                v = m.values.get(s)
                if not v:
                    cells.append("—")
                    continue
                cell = _spread(v)
                if s in m.notes:
                    cell += f" ({m.notes[s]})"
                cells.append(cell)
            for a, b in ratios:
                r = m.ratio(a, b)
                cells.append("—" if r is None else f"{r:.2f}×")
            lines.append("| " + " | ".join(cells) + " |")
        return lines

    def targets_table(self) -> list[str]:
        lines = ["| target (issue 7, cluster: issue 6) | this run | met |", "|---|---|---|"]
        for t in self.targets():
            mark = "n/a" if t.met is None else ("yes" if t.met else "**no**")
            lines.append(f"| {t.text} | {t.measured} | {mark} |")
        return lines


def _fmt(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _spread(v: list[float]) -> str:
    med = _fmt(statistics.median(v))
    if len(v) == 1:
        return med
    return f"{med} ({_fmt(min(v))}–{_fmt(max(v))})"

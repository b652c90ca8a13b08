"""The measurement phases. Each runs every repetition on every server concerned, records its
figures in `h.results`, and goes on past a failed measurement (recorded by `h.attempt`, which
makes the harness exit non-zero)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from httpc import HTML_TYPE, JSON_TYPE, file_urls
from measure import check_url, concurrent_downloads, download, pip_download, twine_upload, uv_install, wrk
from procs import log
from servers import Nginx, Wheelhouse

if TYPE_CHECKING:
    from harness import Harness

RSS_LABELS = {"setup": "start-up and loading the fixtures", "pages": "wrk on pages", "files": "wrk and curl on files",
              "clients": "pip and uv", "twine": "twine uploads", "proxy": "cold misses"}


def pages(h: Harness) -> None:
    p = h.plan
    targets = [
        ("page-many-html", "project page, 300 versions, HTML", "bench-many", HTML_TYPE),
        ("page-many-json", "project page, 300 versions, JSON", "bench-many", JSON_TYPE),
        ("page-small-html", "project page, 1 version, HTML", "bench-pkg-000", HTML_TYPE),
        ("page-small-json", "project page, 1 version, JSON", "bench-pkg-000", JSON_TYPE),
    ]
    for key, label, project, accept in targets:
        # Each server checked and warmed up, then the repetitions interleaved over the servers, so a
        # drift of the machine during the phase lands on every server alike.
        ready = []
        for s in h.local:
            want = accept if (accept == HTML_TYPE or s.json_pages) else None
            url = s.page_url(project)
            if h.attempt(f"{key} on {s.name}", lambda: check_url(url, accept, want)) is None:
                continue
            h.attempt(f"warm-up {key} on {s.name}",
                      lambda: wrk(url, duration=min(1, p.duration / 2), accept=accept))
            ready.append((s, url, None if want else "HTML: no PEP 691"))
        for rep in range(p.reps):
            for s, url, note in ready:
                r = h.attempt(f"{key} on {s.name}", lambda: wrk(url, duration=p.duration, accept=accept))
                if r:
                    h.results.add(f"{key}.rps", s.name, r["rps"], label=label, unit="req/s",
                                  group="pages", note=note)
                    h.results.add(f"{key}.p99", s.name, r["p99_ms"], label=f"{label}, p99", unit="ms",
                                  group="pages", note=note)
                    log(f"{key} {s.name} #{rep + 1}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms")


def files(h: Harness) -> None:
    p = h.plan
    small, big = h.fx.small[0], h.fx.big
    urls: dict[str, tuple[str, str]] = {}
    for s in h.local:
        def find(s=s):
            urls[s.name] = (file_urls(s.page_url("bench-pkg-000"))[small.name],
                            file_urls(s.page_url("bench-big"))[big.name])
        h.attempt(f"file URLs of {s.name}", find)
    g = "files"
    ready = []
    for s in h.local:
        if s.name not in urls or h.attempt(f"small file on {s.name}", lambda: check_url(urls[s.name][0])) is None:
            continue
        h.attempt(f"warm-up small file on {s.name}", lambda: wrk(urls[s.name][0], duration=min(1, p.duration / 2)))
        ready.append(s)
    label = f"small file ({small.stat().st_size} B wheel)"
    for rep in range(p.reps):
        for s in ready:
            r = h.attempt(f"small file on {s.name}", lambda: wrk(urls[s.name][0], duration=p.duration))
            if r:
                h.results.add("file-small.rps", s.name, r["rps"], label=label, unit="req/s", group=g)
                h.results.add("file-small.p99", s.name, r["p99_ms"], label=f"{label}, p99", unit="ms", group=g)
                log(f"small file {s.name} #{rep + 1}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms")
    size = big.stat().st_size
    for rep in range(p.reps):
        for s in h.local:
            if s.name not in urls:
                continue
            url = urls[s.name][1]
            r = h.attempt(f"50 MiB file on {s.name}", lambda: wrk(url, duration=max(p.duration, 3), timeout=30, partial_ok=True))
            if r:
                h.results.add("file-big.mbps", s.name, r["mbps"], label="50 MiB file, 32 connections",
                              unit="MB/s", group=g)
                log(f"50 MiB file {s.name} #{rep + 1}: {r['mbps']:.0f} MB/s ({r['requests']} complete)")
            for _ in range(3):
                t = h.attempt(f"one 50 MiB download from {s.name}", lambda: download(url, size, timeout=120))
                if t:
                    h.results.add("file-big-one.mbps", s.name, size / t / 1e6, label="50 MiB file, one curl client",
                                  unit="MB/s", group=g)


def clients(h: Harness) -> None:
    p = h.plan
    projects = [f"bench-pkg-{i:03d}" for i in range(p.install)]
    runs = [("pip.s", "pip download", f"`pip download --no-deps` of {p.install} packages", pip_download),
            ("uv.s", "uv pip install", f"`uv pip install` of {p.install} packages", uv_install)]
    for rep in range(p.reps):
        for s in h.local:
            for key, what, label, run in runs:
                t = h.attempt(f"{what} on {s.name}", lambda: run(h.venv, s.simple_url, projects, timeout=300))
                if t is not None:
                    h.results.add(key, s.name, t, label=label, unit="s", group="clients")
                    log(f"{what} {s.name} #{rep + 1}: {t:.2f}s")


def twine(h: Harness) -> None:
    p = h.plan
    for rep in range(p.reps):
        for s in h.local:
            if not s.supports_upload:
                continue
            # Each server gets its own copy of the set: same bytes, new projects for it.
            files = h.fx.uploads[rep]
            t = h.attempt(f"twine upload to {s.name}",
                          lambda: twine_upload(h.venv, s.upload_url, s.credentials, files, timeout=900))
            if t is not None:
                h.results.add("twine.s", s.name, t, label=f"`twine upload` of {len(files)} packages",
                              unit="s", group="clients",
                              note="null sink: 200, body discarded" if isinstance(s, Nginx) else None)
                log(f"twine upload {s.name} #{rep + 1}: {t:.2f}s")


def proxy(h: Harness) -> None:
    p = h.plan
    single_secs = h.fx.proxied[0].stat().st_size / p.rate
    urls: dict[str, dict[str, str]] = {}
    for s in h.proxies:
        got = h.attempt(f"bench-proxy page through {s.name}", lambda: file_urls(s.proxy_page_url("bench-proxy")))
        if got:
            urls[s.name] = got
    timeout = max(120, 20 * single_secs)
    for rep in range(p.reps):
        single, crowd = h.fx.proxied[2 * rep], h.fx.proxied[2 * rep + 1]
        for s in h.proxies:
            if s.name not in urls:
                continue

            def one():
                t1 = download(urls[s.name][single.name], single.stat().st_size, timeout)
                before = h.upstream.count(f"/files/{crowd.name}")
                finish = concurrent_downloads(urls[s.name][crowd.name], p.clients, crowd.stat().st_size, timeout)
                time.sleep(0.5)  # let a redirected or late upstream request land in the count
                gets = h.upstream.count(f"/files/{crowd.name}") - before
                return t1, max(finish), gets

            r = h.attempt(f"cold misses through {s.name}", one)
            if not r:
                continue
            t1, slowest, gets = r
            g = "proxy"
            h.results.add("cold.single", s.name, t1, label="one cold download (50 MiB)", unit="s", group=g)
            h.results.add("cold.slowest", s.name, slowest, label=f"{p.clients} concurrent cold misses: last byte",
                          unit="s", group=g)
            h.results.add("cold.ratio", s.name, slowest / t1, label="slowest of 32 ÷ one cold download",
                          unit="×", group=g)
            h.results.add("cold.upstream", s.name, gets, label=f"upstream downloads for {p.clients} misses",
                          unit="count", group=g)
            log(f"cold misses {s.name} #{rep + 1}: single {t1:.2f}s, slowest of {p.clients} {slowest:.2f}s "
                f"({slowest / t1:.2f}×), upstream GETs {gets}")


def rss(h: Harness, phase: str) -> None:
    if not h.all:
        return  # only the cluster group runs
    label = f"peak RSS: {RSS_LABELS[phase]}"
    for s in h.all:
        mib = s.proc.status_kib("VmHWM") / 1024
        h.results.add(f"rss.{phase}", s.name, mib, label=label, unit="MiB", group="memory")
    log(label + ": " + ", ".join(f"{s.name} {s.proc.status_kib('VmHWM') / 1024:.0f} MiB" for s in h.all))


def big(h: Harness) -> None:
    """Peak RSS during a 2 GiB twine upload and a 2 GiB proxied download, each binary on a fresh
    process: memory kept from the earlier phases would otherwise hide what these two cost."""
    for wh in h.wheelhouses:
        fresh = Wheelhouse(wh.name, wh.binary, h.work / "big", h.upstream.simple_url)
        if h.attempt(f"fresh {wh.name} for the 2 GiB runs", fresh.start) is None:
            continue
        big_on(h, fresh)
        fresh.stop()


def big_on(h: Harness, wh: Wheelhouse) -> None:
    wh.proc.reset_peak()
    t = h.attempt(f"2 GiB upload to {wh.name}",
                  lambda: twine_upload(h.venv, wh.upload_url, wh.credentials, [h.fx.huge_upload],
                                       timeout=900))
    if t is not None:
        kib = wh.proc.status_kib("VmHWM")
        h.results.add("rss.upload2g", wh.name, kib / 1024,
                      label="peak RSS: a 2 GiB `twine upload` (fresh process)", unit="MiB", group="memory")
        h.results.add("big.upload", wh.name, t, label="2 GiB `twine upload`", unit="s", group="big")
        log(f"2 GiB upload {wh.name}: {t:.1f}s, peak RSS {kib / 1024:.0f} MiB")
    wh.proc.reset_peak()
    huge = h.fx.huge_proxied

    def proxied():
        url = file_urls(wh.proxy_page_url("bench-huge-remote"))[huge.name]
        return download(url, huge.stat().st_size, timeout=900)

    t = h.attempt(f"2 GiB proxied download through {wh.name}", proxied)
    if t is not None:
        kib = wh.proc.status_kib("VmHWM")
        h.results.add("rss.proxied2g", wh.name, kib / 1024,
                      label="peak RSS: a 2 GiB cold proxied download (same fresh process)", unit="MiB",
                         group="memory")
        h.results.add("big.proxied", wh.name, t, label="2 GiB cold proxied download (unpaced upstream)",
                      unit="s", group="big")
        log(f"2 GiB proxied download {wh.name}: {t:.1f}s, peak RSS {kib / 1024:.0f} MiB")

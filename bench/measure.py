"""One measurement each: wrk runs, timed client commands, concurrent cold misses.

Every function either returns its figures or raises MeasureError: a measurement that did not
run (non-2xx answers, a client that failed, a wrong size) must fail the harness, never slip in
as a fast number. Every subprocess has a timeout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from httpc import request
from procs import clean_env

HERE = Path(__file__).resolve().parent


class MeasureError(RuntimeError):
    pass


def check_url(url: str, accept: str | None = None, want_type: str | None = None) -> str:
    """GET once (also a warm-up); the response's Content-Type. Fails on non-200 or a wrong type."""
    r = request("GET", url, headers={"Accept": accept} if accept else {}, timeout=120)
    if r.status != 200:
        raise MeasureError(f"GET {url}: status {r.status}: {r.body[:200]!r}")
    ctype = r.headers.get("content-type", "")
    if want_type and not ctype.startswith(want_type):
        raise MeasureError(f"GET {url} (Accept: {accept}): Content-Type {ctype!r}, wanted {want_type}")
    return ctype


def wrk(url: str, *, duration: float, connections: int = 32, threads: int = 2, accept: str | None = None,
        timeout: float = 10, partial_ok: bool = False) -> dict:
    """wrk with `connections` keep-alive connections for `duration` seconds: req/s, p99 (ms), MB/s.

    `partial_ok`: bytes count even if no response finished (a large file on a loaded machine: 32
    streams of 50 MiB at a few hundred MB/s need more than a short run to complete one)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout:g}s",
            "-s", str(HERE / "report.lua")]
    if accept:
        args += ["-H", f"Accept: {accept}"]
    p = subprocess.run(args + [url], capture_output=True, text=True, timeout=duration + timeout + 30)
    line = next((x for x in p.stdout.splitlines() if x.startswith("{")), None)
    if p.returncode != 0 or line is None:
        raise MeasureError(f"wrk {url} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    s = json.loads(line)
    if (s["requests"] == 0 and not (partial_ok and s["bytes"] > 0)) or s["errors"]["status"] or s["errors"]["connect"]:
        raise MeasureError(f"wrk {url}: {s}")
    secs = s["duration_us"] / 1e6
    return {"rps": s["requests"] / secs, "p99_ms": s["p99_us"] / 1000, "p50_ms": s["p50_us"] / 1000,
            "mbps": s["bytes"] / secs / 1e6, "timeouts": s["errors"]["timeout"], "requests": s["requests"]}


def timed(args: list, *, env: dict, timeout: float, what: str, cwd: Path | None = None) -> float:
    """Wall time of one command; MeasureError when it fails or runs out of time."""
    args = [str(a) for a in args]
    start = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise MeasureError(f"{what}: timed out after {timeout}s: {' '.join(args[:6])} ...") from None
    elapsed = time.monotonic() - start
    if p.returncode != 0:
        raise MeasureError(f"{what} failed ({p.returncode}): {' '.join(args[:6])} ...\n"
                           f"{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return elapsed


def client_env(**extra: str) -> dict:
    """No user configuration, no keyring, no cache shared between runs."""
    return clean_env(PIP_CONFIG_FILE="/dev/null", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1",
                     UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
                     **extra)


def twine_upload(venv: Path, url: str, credentials: tuple[str, str], files: list[Path], timeout: float) -> float:
    user, password = credentials
    return timed([venv / "bin" / "twine", "upload", "--non-interactive", "--disable-progress-bar",
                  "--repository-url", url, "-u", user, "-p", password, *files],
                 env=client_env(), timeout=timeout, what=f"twine upload to {url}")


def pip_download(venv: Path, index_url: str, projects: list[str], timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-pip-") as d:
        t = timed([venv / "bin" / "python", "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--isolated",
                   "--index-url", index_url, "-d", d, *projects],
                  env=client_env(), timeout=timeout, what=f"pip download from {index_url}")
        got = len(list(Path(d).glob("*.whl")))
        if got != len(projects):
            raise MeasureError(f"pip download from {index_url}: {got} wheels, expected {len(projects)}")
        return t


def uv_install(venv: Path, index_url: str, projects: list[str], timeout: float) -> float:
    uv = venv / "bin" / "uv"
    with tempfile.TemporaryDirectory(prefix="bench-uv-") as d:
        env = client_env(UV_CACHE_DIR=str(Path(d) / "cache"))
        timed([uv, "venv", "--quiet", "--python", venv / "bin" / "python", Path(d) / "venv"],
              env=env, timeout=60, what="uv venv")
        t = timed([uv, "pip", "install", "--no-cache", "--index-url", index_url,
                   "--python", Path(d) / "venv" / "bin" / "python", *projects],
                  env=env, timeout=timeout, what=f"uv pip install from {index_url}")
        return t


def download(url: str, expected_size: int, timeout: float) -> float:
    """One download to /dev/null with curl (following redirects, as pip does): seconds."""
    p = subprocess.run(["curl", "-sS", "-L", "-o", "/dev/null", "--max-time", str(timeout),
                        "-w", "%{http_code} %{size_download} %{time_total}", url],
                       capture_output=True, text=True, timeout=timeout + 10)
    status, size, secs = (p.stdout.split() + ["0", "0", "0"])[:3]
    if p.returncode != 0 or status != "200" or int(size) != expected_size:
        raise MeasureError(f"GET {url}: curl exit {p.returncode}, status {status}, {size} of {expected_size} bytes "
                           f"{p.stderr.strip()}")
    return float(secs)


def concurrent_downloads(url: str | list[str], n: int, expected_size: int, timeout: float) -> list[float]:
    """`n` curl clients started together (given several URLs, client i takes URL i modulo their
    number); each one's time to its last byte, counted from the start of the first (launch offset
    + curl's own total time)."""
    urls = [url] if isinstance(url, str) else url
    start = time.monotonic()
    procs = []
    for i in range(n):
        launched = time.monotonic() - start
        procs.append((launched, subprocess.Popen(
            ["curl", "-sS", "-L", "-o", "/dev/null", "--max-time", str(timeout),
             "-w", "%{http_code} %{size_download} %{time_total}", urls[i % len(urls)]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    finish, failures = [], []
    for launched, p in procs:
        try:
            out, err = p.communicate(timeout=timeout + 10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        status, size, secs = (out.split() + ["0", "0", "0"])[:3]
        if p.returncode != 0 or status != "200" or int(size) != expected_size:
            failures.append(f"curl exit {p.returncode}, status {status}, {size} of {expected_size} bytes {err.strip()}")
        finish.append(launched + float(secs))
    if failures:
        raise MeasureError(f"{len(failures)} of {n} concurrent downloads of {', '.join(urls)} failed: {failures[0]}")
    return finish


def which(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise MeasureError(f"{tool} not found (bench/run installs it)")
    return path

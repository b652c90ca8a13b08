"""Processes the harness starts: free ports, readiness, stop by PID, peak RSS.

Every process goes into one registry; `stop_all()` (called from the harness's `finally` and its
signal handlers) ends each by its own PID, SIGTERM first and SIGKILL after a bounded wait.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

_RUNNING: list["Proc"] = []


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without client or server settings that would leak into a measurement."""
    prefixes = ("WHEELHOUSE_", "PIP_", "UV_", "TWINE_", "PROXPI_", "DEVPI", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env


class StartError(RuntimeError):
    pass


class Proc:
    """One started process with its log file."""

    def __init__(self, name: str, args: list, log: Path, env: dict | None = None, cwd: Path | None = None,
                 stdin=subprocess.DEVNULL, stdout=None):
        self.name = name
        self.log = log
        self.args = [str(a) for a in args]
        with open(log, "ab") as f:
            f.write(f"$ {' '.join(self.args)}\n".encode())
            f.flush()
            self.popen = subprocess.Popen(self.args, stdin=stdin, stdout=stdout if stdout is not None else f,
                                          stderr=f, env=env or clean_env(), cwd=cwd)
        _RUNNING.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_http(self, url: str, timeout: float = 60, ok=(200,)) -> None:
        """Poll `url` until it answers one of `ok` (bounded by `timeout`); StartError otherwise."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.alive():
                raise StartError(f"{self.name} exited with {self.popen.returncode} during start-up\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status in ok:
                        return
                    last = str(r.status)
            except urllib.error.HTTPError as e:
                if e.code in ok:
                    return
                last = str(e.code)
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        raise StartError(f"{self.name} not ready at {url} within {timeout}s (last: {last})\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except FileNotFoundError:
            text = []
        return f"--- last lines of {self.log} ---\n" + "\n".join(text)

    def tree(self) -> list[int]:
        """This process and its descendants (gunicorn's worker, nginx's workers)."""
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    todo += [int(c) for c in (task / "children").read_text().split()]
                except OSError:
                    pass
        return pids

    def status_kib(self, field: str) -> int:
        """A /proc/PID/status memory field (VmHWM, VmRSS) summed over the process tree, in KiB."""
        total = 0
        for pid in self.tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process tree so far."""
        ticks = 0
        for pid in self.tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
            except (OSError, IndexError, ValueError):
                pass
        return ticks / os.sysconf("SC_CLK_TCK")

    def reset_peak(self) -> None:
        """Reset VmHWM to the current RSS (Linux >= 4.0), so a phase can be measured on its own."""
        for pid in self.tree():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                pass

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(10)
            except ProcessLookupError:
                pass
        if self in _RUNNING:
            _RUNNING.remove(self)


class Adopted(Proc):
    """A process another program started and stops (the cluster script's nodes, PostgreSQL, the
    gateway), known by its PID: measured like a Proc (CPU time, memory), never stopped here."""

    def __init__(self, name: str, pid: int, log: Path):
        self.name, self._pid, self.log = name, pid, log

    @property
    def pid(self) -> int:
        return self._pid

    def alive(self) -> bool:
        return Path(f"/proc/{self._pid}").exists()

    def stop(self, timeout: float = 15) -> None:
        """Not the harness's to stop: the program that started it does."""


def quiesce(procs: list[Proc], timeout: float = 5.0) -> None:
    """Wait (bounded) until the processes are idle: a server still draining the requests of the
    previous measurement would otherwise take cores from the next one."""
    deadline = time.monotonic() + timeout
    last = sum(p.cpu_seconds() for p in procs)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = sum(p.cpu_seconds() for p in procs)
        if now - last < 0.01:  # under 10% of one core over the interval
            return
        last = now


def stop_all() -> None:
    for p in reversed(list(_RUNNING)):
        try:
            p.stop()
        except Exception as e:  # keep stopping the others
            print(f"warning: could not stop {p.name} (pid {p.pid}): {e}")

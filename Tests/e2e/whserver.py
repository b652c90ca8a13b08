"""Start and stop a real `wheelhouse serve` process on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from whclient import AdminAPI, request

# Every server started by the suite, so conftest can show the log of the ones a
# failing test used and stop any that a test left behind.
RUNNING: list["WheelhouseServer"] = []

_TOOL_ENV_PREFIXES = ("WHEELHOUSE_", "PIP_", "UV_", "TWINE_")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without client or server settings that would leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_TOOL_ENV_PREFIXES)}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerFailed(AssertionError):
    pass


class WheelhouseServer:
    def __init__(self, binary: str, data_dir: Path, log_path: Path, admin_token: str | None,
                 env: dict[str, str] | None = None):
        self.binary = binary
        self.extra_env = dict(env or {})
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.admin_token = admin_token
        self.proc: subprocess.Popen | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------
    def start(self, ready_timeout: float = 30.0) -> "WheelhouseServer":
        """Start the server and wait for /health/ready; retry on a port taken meanwhile."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            self.port = free_port()
            env = clean_env(**self.extra_env)
            if self.admin_token is not None:
                env["WHEELHOUSE_ADMIN_TOKEN"] = self.admin_token
            with open(self.log_path, "ab") as log:
                log.write(f"\n--- start attempt {attempt + 1}: port {self.port} ---\n".encode())
                log.flush()
                self.proc = subprocess.Popen(
                    [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--data", str(self.data_dir)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                )
            RUNNING.append(self)
            if self._wait_ready(ready_timeout):
                return self
            if self.proc.poll() is None:
                self.stop()
                raise ServerFailed(f"server not ready within {ready_timeout}s\n{self.log_tail()}")
            RUNNING.remove(self)
            if "address already in use" not in self.log_tail().lower():
                break
        raise ServerFailed(f"server exited with {self.proc.returncode} during start-up\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if request("GET", self.url + "/health/ready", timeout=2).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Signal the server and wait; SIGKILL only if it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self in RUNNING:
            RUNNING.remove(self)
        return self.proc.returncode

    def restart(self) -> "WheelhouseServer":
        self.stop()
        return self.start()

    # -- access ----------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> AdminAPI:
        return AdminAPI(self.url, self.admin_token)

    def new_repo(self, prefix: str = "e2e") -> str:
        """Create a local repository with a unique name and return the name."""
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
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def status_kib(self, field: str) -> int:
        """A `/proc/<pid>/status` memory field (VmHWM, VmRSS) in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def stored_files(self) -> set[str]:
        """Regular files under the data dir, minus SQLite's journal side files."""
        out = set()
        for root, _dirs, files in os.walk(self.data_dir):
            for name in files:
                if name.endswith(("-wal", "-shm", "-journal")):
                    continue
                out.add(os.path.relpath(os.path.join(root, name), self.data_dir))
        return out

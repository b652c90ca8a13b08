"""Fixtures and helpers for the virtual-repository, compatibility-URL and config-file tests.

`from virtual_fixtures import *` also brings the remote-repository fixtures (a per-test fake
upstream, `create_remote`, ...), since most virtual repositories here have a remote member.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urljoin

import pytest

import whserver
from remote_fixtures import *  # noqa: F401,F403
from remote_fixtures import __all__ as _remote_all
from whclient import JSON_TYPE, Response, request, simple_url
from whmultipart import upload
from whpackages import Dist, build_sample, sha256_file, with_zip_comment
from whserver import ServerFailed, WheelhouseServer, clean_env, free_port

__all__ = list(_remote_all) + [
    "SERVED_BY", "new_name", "create_local", "create_virtual", "patch_repo", "get_repo", "upload_ok",
    "page", "page_files", "served_by", "entry_without_url", "requests99", "requests_upstream_wheels",
    "ConfigServer", "config_server", "write_config", "yaml_config", "audit_entries", "sha256_file",
    "with_zip_comment",
]

SERVED_BY = "X-Wheelhouse-Served-By"


# -- repositories ----------------------------------------------------------------------

def new_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_local(server, prefix: str = "loc") -> str:
    return server.new_repo(prefix)


def create_virtual(server, members: list[str], prefix: str = "virt", expect: int = 201, **settings) -> str:
    """A virtual repository (anonymous reads unless `settings` say otherwise); returns its name."""
    name = new_name(prefix)
    body = {"name": name, "type": "virtual", "members": members, "anonymousRead": True}
    body.update(settings)
    r = server.api.call("POST", "/repositories", body)
    assert r.status == expect, f"POST /api/v1/repositories {body}:\n{r}"
    return name


def patch_repo(server, name: str, expect: int = 200, **fields) -> Response:
    r = server.api.call("PATCH", f"/repositories/{name}", fields)
    assert r.status == expect, f"PATCH /api/v1/repositories/{name} {fields}:\n{r}"
    return r


def get_repo(server, name: str) -> dict:
    r = server.api.call("GET", f"/repositories/{name}")
    assert r.status == 200, str(r)
    return r.json()


def upload_ok(server, repo: str, *paths: Path) -> None:
    """Upload the way twine does (multipart by hand), each answered 200."""
    for p in paths:
        r = upload(server.url, repo, p, server.admin_token)
        assert r.status == 200, f"upload of {p.name} to {repo}:\n{r}"


# -- pages -------------------------------------------------------------------------------

def page(server, repo: str, project: str | None = None, accept: str = JSON_TYPE, headers: dict | None = None,
         timeout: float = 60) -> Response:
    hdrs = {"Accept": accept}
    hdrs.update(headers or {})
    return request("GET", simple_url(server.url, repo, project), headers=hdrs, timeout=timeout)


def page_files(server, repo: str, project: str, headers: dict | None = None) -> dict[str, dict]:
    """filename -> PEP 691 entry with `url` made absolute; asserts a 200."""
    r = page(server, repo, project, headers=headers)
    assert r.status == 200, str(r)
    out = {}
    for f in r.json()["files"]:
        f = dict(f)
        f["url"] = urljoin(simple_url(server.url, repo, project), f["url"])
        out[f["filename"]] = f
    return out


def served_by(r: Response) -> list[str]:
    value = r.header(SERVED_BY)
    assert value is not None, f"no {SERVED_BY} header:\n{r}"
    return [x.strip() for x in value.split(",") if x.strip()]


def entry_without_url(entry: dict) -> dict:
    """A PEP 691 file entry minus its URL (which legitimately differs between a member and the virtual)."""
    return {k: v for k, v in entry.items() if k != "url"}


# -- distributions ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def requests99(tmp_path_factory) -> Dist:
    """A tiny real package named `requests`, version 99.0 (a private fork kept locally)."""
    return build_sample(tmp_path_factory.mktemp("requests99"), "requests", "99.0", [], "requests")


def requests_upstream_wheels(upstream, tmp_path: Path, versions=("2.31.0", "2.32.3")) -> list[str]:
    """Publish small `requests` wheels on the fake upstream; returns their filenames."""
    names = []
    for v in versions:
        fn, data = wheel_bytes(tmp_path, "requests", v)  # noqa: F405 (from remote_fixtures)
        upstream.add("requests", fn, data, requires_python=">=3.8")
        names.append(fn)
    return names


# -- a server started from a configuration file --------------------------------------------------

def _yaml_scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))  # a double-quoted YAML scalar


def yaml_config(server: dict | None, repositories: list[dict]) -> str:
    """The YAML text of a configuration file (block style, the way a person writes it)."""
    lines = []
    if server:
        lines.append("server:")
        for k, v in server.items():
            lines.append(f"  {k}: {_yaml_scalar(v)}")
    lines.append("repositories:")
    for repo in repositories:
        first = True
        for k, v in repo.items():
            lead = "  - " if first else "    "
            first = False
            if isinstance(v, list):
                if v:
                    lines.append(f"{lead}{k}:")
                    lines += [f"      - {_yaml_scalar(x)}" for x in v]
                else:
                    lines.append(f"{lead}{k}: []")
            else:
                lines.append(f"{lead}{k}: {_yaml_scalar(v)}")
    return "# wheelhouse end-to-end test configuration\n" + "\n".join(lines) + "\n"


def write_config(path: Path, server: dict | None, repositories: list[dict]) -> Path:
    path.write_text(yaml_config(server, repositories))
    return path


class ConfigServer(WheelhouseServer):
    """`wheelhouse serve --config FILE`, the listening address and data dir taken from the file's `server:`.

    `repositories` is the declared list; `start()` (re)writes the file with the current port, so a
    restart with unchanged `repositories` and port leaves the file byte for byte the same.
    """

    def __init__(self, binary: str, base: Path, admin_token: str, repositories: list[dict],
                 server_settings: dict | None = None, env: dict | None = None):
        super().__init__(binary, base / "data", base / "server.log", admin_token)
        self.config_path = base / "wheelhouse.yaml"
        self.repositories = repositories
        self.server_settings = dict(server_settings or {})
        self.extra_env = dict(env or {})

    def write(self) -> None:
        settings = {"host": "127.0.0.1", "port": self.port, "data": str(self.data_dir)}
        settings.update(self.server_settings)
        write_config(self.config_path, settings, self.repositories)

    def start(self, ready_timeout: float = 30.0) -> "ConfigServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            if not self.port or attempt:
                self.port = free_port()
            self.write()
            env = clean_env(WHEELHOUSE_ADMIN_TOKEN=self.admin_token, **self.extra_env)
            with open(self.log_path, "ab") as log:
                log.write(f"\n--- start attempt {attempt + 1} with --config: port {self.port} ---\n".encode())
                log.flush()
                self.proc = subprocess.Popen([self.binary, "serve", "--config", str(self.config_path)],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
            whserver.RUNNING.append(self)
            if self._wait_ready(ready_timeout):
                return self
            if self.proc.poll() is None:
                self.stop()
                raise ServerFailed(f"server not ready within {ready_timeout}s\n{self.log_tail()}")
            whserver.RUNNING.remove(self)
            if "address already in use" not in self.log_tail().lower():
                break
        raise ServerFailed(f"server exited with {self.proc.returncode} during start-up\n{self.log_tail()}")

    def start_expecting_failure(self, timeout: float = 30.0) -> str:
        """Start with the current file; the process must exit non-zero. Returns the log tail."""
        self.write()
        env = clean_env(WHEELHOUSE_ADMIN_TOKEN=self.admin_token, **self.extra_env)
        with open(self.log_path, "ab") as log:
            log.write(b"\n--- start expected to fail ---\n")
            log.flush()
            proc = subprocess.Popen([self.binary, "serve", "--config", str(self.config_path)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            raise AssertionError(f"the server kept running with a bad configuration file\n{self.log_tail()}")
        assert code != 0, f"exit status {code} with a bad configuration file\n{self.log_tail()}"
        return self.log_tail()


@pytest.fixture
def config_server(wheelhouse_bin, tmp_path_factory):
    """Factory: `config_server(repositories, server_settings=None, env=None)` -> a started ConfigServer."""
    started: list[ConfigServer] = []

    def make(repositories: list[dict], server_settings: dict | None = None, env: dict | None = None,
             start: bool = True) -> ConfigServer:
        base = tmp_path_factory.mktemp("cfgserver")
        s = ConfigServer(wheelhouse_bin, base, "wh-e2e-" + secrets.token_hex(16), repositories, server_settings, env)
        started.append(s)
        return s.start() if start else s

    yield make
    for s in started:
        s.stop()


def audit_entries(server, **query) -> list[dict]:
    """Audit entries (newest first) matching `query` (action=, repository=, ...), all pages."""
    out, before = [], None
    for _ in range(50):
        q = dict(query, limit=1000)
        if before is not None:
            q["before"] = before
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        r = server.api.call("GET", f"/audit?{qs}")
        assert r.status == 200, str(r)
        body = r.json()
        out += body["entries"]
        before = body.get("next")
        if before is None:
            return out
    raise AssertionError("audit log paging did not end")

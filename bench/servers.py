"""The servers under measurement, each on a free 127.0.0.1 port with its data in the work folder.

Local indexes (`LOCAL`: Wheelhouse, pypiserver, devpi-server, and nginx serving a copy of
Wheelhouse's bytes) expose `simple_url`, `page_url()`, and for uploads `upload_url` and
`credentials`. Proxies (Wheelhouse remote, devpi mirror, proxpi) expose `proxy_page_url()`.
Each server is configured with the peers' usual production settings, spelled out here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from httpc import HTML_TYPE, JSON_TYPE, basic, request
from procs import Proc, StartError, clean_env, free_port

HERE = Path(__file__).resolve().parent


class Server:
    name = "server"
    proc: Proc
    port: int
    json_pages = True      # False: serves PEP 503 HTML whatever the Accept header asks for
    supports_upload = True

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, project: str) -> str:
        return f"{self.simple_url}{project}/"

    def load_headers(self) -> dict:
        """Headers of the uploads that load the fixtures (not the measured twine uploads)."""
        return {"Authorization": basic(*self.credentials)}

    def stop(self) -> None:
        self.proc.stop()

    def version(self) -> str:
        return "?"


class Wheelhouse(Server):
    """`wheelhouse serve` on SQLite + filesystem blobs; repositories `bench` (local, anonymous
    read) and, with an upstream, `bench-remote` (remote, anonymous read)."""

    def __init__(self, name: str, binary: str, work: Path, upstream_url: str | None):
        self.name, self.binary, self.work, self.upstream_url = name, binary, work / name, upstream_url
        self.token = "bench-" + secrets.token_hex(16)

    def start(self) -> "Wheelhouse":
        self.work.mkdir(parents=True)
        self.port = free_port()
        env = clean_env(WHEELHOUSE_ADMIN_TOKEN=self.token)
        self.proc = Proc(self.name, [self.binary, "serve", "--host", "127.0.0.1", "--port", self.port,
                                     "--data", self.work / "data"], self.work / "server.log", env=env)
        self.proc.wait_http(self.base + "/health/ready")
        self.create_repositories()
        return self

    def create_repositories(self) -> None:
        """`bench` and, with an upstream, `bench-remote`, through the REST API with the admin token."""
        self._create({"name": "bench", "type": "local", "anonymousRead": True})
        if self.upstream_url:
            self._create({"name": "bench-remote", "type": "remote", "url": self.upstream_url,
                          "metadataTTL": 600, "negativeTTL": 60, "anonymousRead": True})

    def _create(self, body: dict) -> None:
        r = request("POST", self.base + "/api/v1/repositories", json.dumps(body).encode(),
                    {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        if r.status != 201:
            raise StartError(f"{self.name}: creating repository {body['name']}: {r.status} {r.body[:300]!r}")

    @property
    def simple_url(self) -> str:
        return self.base + "/bench/simple/"

    @property
    def upload_url(self) -> str:
        return self.base + "/bench/"

    @property
    def credentials(self) -> tuple[str, str]:
        return "__token__", self.token

    def proxy_page_url(self, project: str) -> str:
        return f"{self.base}/bench-remote/simple/{project}/"

    def version(self) -> str:
        """The commit checked out, and whether the binary can be older than it (`--bin` is taken
        as given: a binary built before the last commit or with local changes says so here)."""
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True, text=True).stdout.strip()
        head = git("rev-parse", "--short", "HEAD") or "?"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift")
        built = Path(self.binary).stat().st_mtime
        newer = git("log", "--format=%h", f"--since=@{int(built)}", "--", "Sources", "Package.swift")
        when = datetime.fromtimestamp(built, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        notes = [f"binary built {when}"]
        if dirty:
            notes.append("Sources/ has uncommitted changes")
        if newer:
            notes.append(f"**older than the commits {' '.join(newer.split())} to Sources/**")
        # The path relative to the checkout: no machine's absolute path goes into docs/benchmarks.md.
        try:
            shown = str(Path(self.binary).resolve().relative_to(HERE.parent.resolve()))
        except ValueError:
            shown = Path(self.binary).name
        return f"{head} ({', '.join(notes)}; {shown})"


class Pypiserver(Server):
    """pypiserver with its `auto` server setting (which picks waitress, installed beside it), with the watchdog directory
    cache (the `cache` extra its README recommends for speed), sha256 hashes in links, uploads
    authenticated from an htpasswd file ({SHA} scheme, as in its README), no fallback redirect."""

    name = "pypiserver"
    json_pages = False

    def __init__(self, venv: Path, work: Path):
        self.venv, self.work = venv, work / self.name
        self.password = secrets.token_hex(8)

    def start(self) -> "Pypiserver":
        (self.work / "packages").mkdir(parents=True)
        sha = base64.b64encode(hashlib.sha1(self.password.encode()).digest()).decode()
        (self.work / "htpasswd").write_text(f"bench:{{SHA}}{sha}\n")
        self.port = free_port()
        self.proc = Proc(self.name, [self.venv / "bin" / "pypi-server", "run", "--host", "127.0.0.1",
                                     "--port", self.port, "--authenticate", "update",
                                     "--passwords", self.work / "htpasswd", "--disable-fallback",
                                     "--server", "auto", "--hash-algo", "sha256", "--backend", "cached-dir",
                                     self.work / "packages"], self.work / "server.log")
        self.proc.wait_http(self.base + "/health")
        return self

    @property
    def simple_url(self) -> str:
        return self.base + "/simple/"

    @property
    def upload_url(self) -> str:
        return self.base + "/"

    @property
    def credentials(self) -> tuple[str, str]:
        return "bench", self.password

    def version(self) -> str:
        return _dist_version(self.venv, "pypiserver") + " (waitress " + _dist_version(self.venv, "waitress") + ")"


class Devpi(Server):
    """devpi-server (its own waitress, 50 threads by default) with no root/pypi mirror; a stage
    index root/bench (no bases, volatile) and, with an upstream, a mirror index root/upstream
    pointing at it."""

    name = "devpi"

    def __init__(self, venv: Path, work: Path, upstream_url: str | None):
        self.venv, self.work, self.upstream_url = venv, work / self.name, upstream_url
        self.password = secrets.token_hex(8)

    def start(self) -> "Devpi":
        self.work.mkdir(parents=True)
        serverdir = self.work / "serverdir"
        init = subprocess.run([self.venv / "bin" / "devpi-init", "--serverdir", serverdir, "--no-root-pypi",
                               "--root-passwd", self.password], capture_output=True, text=True, env=clean_env(),
                              timeout=120)
        if init.returncode != 0:
            raise StartError(f"devpi-init failed:\n{init.stdout}\n{init.stderr}")
        self.port = free_port()
        self.proc = Proc(self.name, [self.venv / "bin" / "devpi-server", "--serverdir", serverdir,
                                     "--host", "127.0.0.1", "--port", self.port], self.work / "server.log")
        self.proc.wait_http(self.base + "/+api")
        r = request("POST", self.base + "/+login", json.dumps({"user": "root", "password": self.password}).encode(),
                    {"Content-Type": "application/json", "Accept": "application/json"})
        if r.status != 200:
            raise StartError(f"devpi login: {r.status} {r.body[:300]!r}")
        token = r.json()["result"]["password"]
        self._auth = base64.b64encode(f"root:{token}".encode()).decode()
        self._put("/root/bench", {"type": "stage", "bases": [], "volatile": True})
        if self.upstream_url:
            self._put("/root/upstream", {"type": "mirror", "mirror_url": self.upstream_url})
        return self

    def _put(self, path: str, body: dict) -> None:
        r = request("PUT", self.base + path, json.dumps(body).encode(),
                    {"Content-Type": "application/json", "Accept": "application/json", "X-Devpi-Auth": self._auth})
        if r.status not in (200, 201):
            raise StartError(f"devpi PUT {path}: {r.status} {r.body[:300]!r}")

    def load_headers(self) -> dict:
        # The login token: Basic with the password costs devpi an argon2 check per request.
        return {"X-Devpi-Auth": self._auth}

    @property
    def simple_url(self) -> str:
        return self.base + "/root/bench/+simple/"

    @property
    def upload_url(self) -> str:
        return self.base + "/root/bench/"

    @property
    def credentials(self) -> tuple[str, str]:
        return "root", self.password

    def proxy_page_url(self, project: str) -> str:
        return f"{self.base}/root/upstream/+simple/{project}/"

    def version(self) -> str:
        return _dist_version(self.venv, "devpi-server")


class Proxpi(Server):
    """proxpi under gunicorn as its container image runs it, with 1 worker (its cache lives in
    the process) and 32 threads (one per concurrent client, so it is not starved of threads)."""

    name = "proxpi"
    supports_upload = False

    def __init__(self, venv: Path, work: Path, upstream_url: str):
        self.venv, self.work, self.upstream_url = venv, work / self.name, upstream_url

    def start(self) -> "Proxpi":
        (self.work / "cache").mkdir(parents=True)
        self.port = free_port()
        env = clean_env(PROXPI_INDEX_URL=self.upstream_url, PROXPI_CACHE_DIR=str(self.work / "cache"))
        self.proc = Proc(self.name, [self.venv / "bin" / "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                                     "--workers", "1", "--threads", "32", "proxpi.server:app"],
                         self.work / "server.log", env=env)
        self.proc.wait_http(self.base + "/health")
        return self

    def proxy_page_url(self, project: str) -> str:
        return f"{self.base}/index/{project}/"

    def version(self) -> str:
        return _dist_version(self.venv, "proxpi") + " (gunicorn " + _dist_version(self.venv, "gunicorn") + ")"


class Nginx(Server):
    """nginx serving a copy of Wheelhouse's pages and files (the static-file ceiling): the page
    variant by the Accept header, sendfile, no access log; and `/upload/`, which reads an upload's
    body and answers 200 (the floor of `twine upload`: the client's own time)."""

    name = "nginx"

    def __init__(self, work: Path, source: Wheelhouse, projects: list[str]):
        self.work, self.source, self.projects = work / self.name, source, projects

    def start(self) -> "Nginx":
        root = self.work / "root"
        root.mkdir(parents=True)
        mirror(self.source, self.projects, root)
        for d in (self.work, *[p for p in root.rglob("*") if p.is_dir()]):
            d.chmod(0o755)  # the workers run as an unprivileged user when started by root
        self.work.parent.chmod(0o755)
        self.port = free_port()
        conf = (HERE / "nginx.conf.in").read_text()
        for k, v in {"@WORK@": str(self.work), "@ROOT@": str(root), "@PORT@": str(self.port)}.items():
            conf = conf.replace(k, v)
        (self.work / "nginx.conf").write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # sbin is not on every user's PATH
        self.proc = Proc(self.name, [nginx, "-p", self.work, "-e", self.work / "error.log",
                                     "-c", self.work / "nginx.conf"], self.work / "server.log")
        self.proc.wait_http(self.simple_url + self.projects[0] + "/")
        return self

    @property
    def simple_url(self) -> str:
        return self.base + "/bench/simple/"

    @property
    def upload_url(self) -> str:
        # The floor of an upload: nginx reads the body and answers 200, storing nothing.
        return self.base + "/upload/"

    @property
    def credentials(self) -> tuple[str, str]:
        return "__token__", "unused"

    def version(self) -> str:
        out = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-v"], capture_output=True, text=True)
        return (out.stderr or out.stdout).strip().replace("nginx version: ", "")


def mirror(source: Wheelhouse, projects: list[str], root: Path) -> None:
    """Copy each project's HTML and JSON page and every file and .metadata it links, at the same
    paths (Wheelhouse's links are relative, so the copy is self-contained)."""
    for project in projects:
        page = source.page_url(project)
        folder = root / urlsplit(page).path.lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        for accept, fname in ((HTML_TYPE, "index.html"), (JSON_TYPE, "index.json")):
            r = request("GET", page, headers={"Accept": accept})
            if r.status != 200:
                raise StartError(f"mirror: GET {page} ({accept}): {r.status}")
            (folder / fname).write_bytes(r.body)
            if fname == "index.json":
                doc = r.json()
        for f in doc["files"]:
            url = urljoin(page, f["url"])
            targets = [url] + ([url + ".metadata"] if f.get("core-metadata") else [])
            for t in targets:
                dest = root / urlsplit(t).path.lstrip("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                _download(t, dest)


def _download(url: str, dest: Path) -> None:
    r = subprocess.run(["curl", "-sS", "--fail", "-o", str(dest), url], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise StartError(f"mirror: {url}: {r.stderr.strip()}")


def _dist_version(venv: Path, dist: str) -> str:
    r = subprocess.run([venv / "bin" / "python", "-c",
                        f"import importlib.metadata as m; print(m.version({dist!r}))"],
                       capture_output=True, text=True, env=clean_env())
    return r.stdout.strip() or "?"


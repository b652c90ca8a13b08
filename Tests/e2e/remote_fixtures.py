"""Fixtures and helpers for the remote-repository tests (`from remote_fixtures import *`).

Each test gets its own fake upstream (fakeupstream.py) and its own remote repository on
the module's Wheelhouse server, so counts at the upstream belong to that test alone.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from fakeupstream import FakeUpstream, file_path, metadata_path, page_path  # noqa: F401 (re-exported)
from whclient import JSON_TYPE, PIP_ACCEPT, Response, request, simple_url
from whpackages import make_wheel, metadata_text

__all__ = [
    "FakeUpstream", "file_path", "metadata_path", "page_path",
    "upstream", "make_upstream", "remote", "big_wheel", "small_wheel",
    "create_remote", "patch_remote", "remote_page", "remote_files", "fetch", "fetch_many", "Fetched",
    "random_wheel", "wheel_bytes", "publish_dists", "STALE_HEADER",
]

STALE_HEADER = "X-Wheelhouse-Stale"
BIG_PAYLOAD = 20 << 20  # the random stored entry of the 20 MiB wheel


# -- the fake upstream ---------------------------------------------------------------

@pytest.fixture
def make_upstream():
    """Factory for fake upstreams (e.g. a second one as a CDN); all stopped at teardown."""
    started: list[FakeUpstream] = []

    def make(**kw) -> FakeUpstream:
        u = FakeUpstream(**kw).start()
        started.append(u)
        return u

    yield make
    for u in started:
        u.stop()


@pytest.fixture
def upstream(make_upstream) -> FakeUpstream:
    return make_upstream()


# -- remote repositories --------------------------------------------------------------

def create_remote(server, url: str, prefix: str = "remote", **settings) -> str:
    """A remote repository (metadataTTL 600, negativeTTL 60, online, anonymous reads unless `settings` say otherwise).

    Repositories are private by default; these tests are about proxying, so pip, uv and the
    helpers read anonymously (access control has tests of its own).
    """
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    body = {"name": name, "type": "remote", "url": url, "metadataTTL": 600, "negativeTTL": 60, "offline": False,
            "anonymousRead": True}
    body.update(settings)
    r = server.api.call("POST", "/repositories", body)
    assert r.status == 201, str(r)
    return name


def patch_remote(server, name: str, **fields) -> Response:
    r = server.api.call("PATCH", f"/repositories/{name}", fields)
    assert r.status == 200, f"PATCH /api/v1/repositories/{name} {fields}:\n{r}"
    view = r.json()
    for k, v in fields.items():
        assert view.get(k) == v, f"PATCH {fields} answered {view}"
    return r


@pytest.fixture
def remote(server, upstream) -> str:
    """A remote repository on the module's server whose upstream is this test's fake."""
    return create_remote(server, upstream.simple_url)


def remote_page(server, repo: str, project: str, accept: str = PIP_ACCEPT, timeout: float = 60) -> Response:
    return request("GET", simple_url(server.url, repo, project), headers={"Accept": accept}, timeout=timeout)


def remote_files(server, repo: str, project: str) -> dict[str, dict]:
    """filename -> PEP 691 entry, with the raw `url` kept as `href` and `url` made absolute."""
    r = remote_page(server, repo, project, accept=JSON_TYPE)
    assert r.status == 200, str(r)
    out = {}
    for f in r.json()["files"]:
        f = dict(f)
        f["href"] = f["url"]
        f["url"] = urljoin(simple_url(server.url, repo, project), f["url"])
        out[f["filename"]] = f
    return out


# -- downloading through Wheelhouse ---------------------------------------------------

@dataclass
class Fetched:
    """What one client saw: status, declared length, bytes received, their sha256, an error if any."""
    status: int
    content_length: int | None
    received: int
    sha256: str
    error: str | None = None
    body: bytes = b""  # kept for small or error responses
    headers: dict | None = None
    first_byte_at: float | None = None  # time.monotonic() when the first body byte arrived

    @property
    def complete(self) -> bool:
        """A response a client would take as whole: 200, no error, all declared bytes."""
        return (self.status == 200 and self.error is None
                and (self.content_length is None or self.received == self.content_length))


def fetch(url: str, method: str = "GET", headers: dict | None = None, timeout: float = 60,
          keep: int = 1 << 20) -> Fetched:
    """Stream a response, hashing it; connection errors are recorded, not raised."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    status, length, received, h, kept, hdrs = 0, None, 0, hashlib.sha256(), bytearray(), None
    first = None
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        resp = conn.getresponse()
        status = resp.status
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        length = int(hdrs["content-length"]) if "content-length" in hdrs else None
        if method == "HEAD":
            return Fetched(status, length, 0, h.hexdigest(), None, b"", hdrs)
        while chunk := resp.read1(256 << 10):
            first = first or time.monotonic()
            h.update(chunk)
            received += len(chunk)
            if len(kept) < keep:
                kept += chunk[: keep - len(kept)]
        return Fetched(status, length, received, h.hexdigest(), None, bytes(kept), hdrs, first)
    except (OSError, http.client.HTTPException) as e:
        return Fetched(status, length, received, h.hexdigest(), f"{type(e).__name__}: {e}", bytes(kept), hdrs, first)
    finally:
        conn.close()


def fetch_many(url: str, n: int, timeout: float = 120, **kw) -> list[Fetched]:
    """`n` clients released together (a barrier), each streaming and hashing its own response."""
    barrier = threading.Barrier(n)

    def one(_):
        barrier.wait(30)
        return fetch(url, timeout=timeout, keep=0, **kw)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


# -- wheels ------------------------------------------------------------------------------

def random_wheel(path: Path, name: str, version: str, payload_size: int) -> Path:
    """A valid wheel (METADATA, WHEEL, RECORD) with a stored entry of random bytes."""
    return make_wheel(path, name, version, payload=os.urandom(payload_size), compress=zipfile.ZIP_STORED)


def wheel_bytes(tmp_path: Path, name: str, version: str, payload_size: int = 4096) -> tuple[str, bytes]:
    """(filename, bytes) of a fresh random wheel."""
    path = random_wheel(tmp_path / f"{name}-{version}-py3-none-any.whl", name, version, payload_size)
    return path.name, path.read_bytes()


@pytest.fixture(scope="session")
def big_wheel(tmp_path_factory) -> Path:
    """whbig 1.0: a ~20 MiB wheel whose payload is random (so no layer can compress it)."""
    d = tmp_path_factory.mktemp("bigwheel")
    name, version = "whbig", "1.0"
    path = d / f"{name}-{version}-py3-none-any.whl"
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        info = zipfile.ZipInfo(f"{name}/random.bin", date_time=(2024, 1, 1, 0, 0, 0))
        with z.open(info, "w") as entry:
            for _ in range(BIG_PAYLOAD // (1 << 20)):
                entry.write(os.urandom(1 << 20))
        z.writestr(f"{name}/__init__.py", b"")
        z.writestr(f"{dist_info}/METADATA", metadata_text(name, version))
        z.writestr(f"{dist_info}/WHEEL",
                   "Wheel-Version: 1.0\nGenerator: wheelhouse-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{dist_info}/RECORD", "")
    return path


@pytest.fixture
def small_wheel(tmp_path) -> tuple[str, bytes]:
    """whsmall 1.0, ~2 MiB of random payload."""
    return wheel_bytes(tmp_path, "whsmall", "1.0", 2 << 20)


def publish_dists(upstream: FakeUpstream, dists, **attrs) -> None:
    """Put the sample packages (whalpha 1.0/1.1, whbeta 1.0, Wh.Gamma_Pkg 0.1) on the fake upstream."""
    for d in dists.values():
        for f in d.files:
            upstream.add_path(d.project, f, requires_python=">=3.8", **attrs)

"""Small HTTP helpers on http.client: requests, legacy uploads, links of a simple page."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
import zipfile

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html"
# What pip 24+ sends: JSON preferred, HTML accepted.
PIP_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"


@dataclass
class Response:
    status: int
    headers: dict  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> Response:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        path = u.path + (f"?{u.query}" if u.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _core_metadata(path: Path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return BytesParser().parsebytes(z.read(name))


def upload(url: str, path: Path, headers: dict, timeout: float = 600) -> Response:
    """One legacy-API upload (the form twine sends), with the file in memory: fixtures only."""
    data = path.read_bytes()
    meta = _core_metadata(path)
    fields = [
        (":action", "file_upload"), ("protocol_version", "1"),
        ("metadata_version", meta["Metadata-Version"]), ("name", meta["Name"]), ("version", meta["Version"]),
        ("filetype", "bdist_wheel"), ("pyversion", "py3"), ("summary", meta.get("Summary", "")),
        ("requires_python", meta.get("Requires-Python", "")),
        ("sha256_digest", hashlib.sha256(data).hexdigest()), ("md5_digest", hashlib.md5(data).hexdigest()),
    ]
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{path.name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    headers = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return request("POST", url, b"".join(parts), headers, timeout=timeout)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((data.strip(), self._href))
            self._href = None


def file_urls(page_url: str, accept: str = PIP_ACCEPT) -> dict[str, str]:
    """filename -> absolute URL (fragment removed) of every file on a project page, JSON or HTML."""
    r = request("GET", page_url, headers={"Accept": accept})
    if r.status != 200:
        raise RuntimeError(f"GET {page_url}: {r.status} {r.body[:200]!r}")
    if r.headers.get("content-type", "").startswith(JSON_TYPE):
        pairs = [(f["filename"], f["url"]) for f in r.json()["files"]]
    else:
        p = _Links()
        p.feed(r.body.decode())
        pairs = p.links
    return {name: urljoin(page_url, re.sub(r"#.*$", "", href)) for name, href in pairs}

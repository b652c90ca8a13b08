"""A small HTTP client for the tests: no redirects followed, no exceptions on 4xx/5xx."""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# The Accept headers the real clients send (PROTOCOL.md).
PIP_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
UV_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def __str__(self) -> str:  # shown in assertion messages
        body = self.text
        if len(body) > 800:
            body = body[:800] + "..."
        return f"{self.status} {self.reason} from {self.url}\n{dict(self.headers)}\n{body}"


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> Response:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.headers, data, url)
    finally:
        conn.close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str) -> dict:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


class AdminAPI:
    """The admin REST API under /api/v1, authenticated with the admin token."""

    def __init__(self, base: str, token: str | None):
        self.base = base
        self.token = token

    def call(self, method: str, path: str, payload=None, token: str | None = "admin",
             headers: dict | None = None) -> Response:
        hdrs = {"Accept": "application/json"}
        tok = self.token if token == "admin" else token
        if tok is not None:
            hdrs.update(bearer(tok))
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        return request(method, self.base + "/api/v1" + path, body, hdrs)

    def create_repo(self, name: str, type: str = "local", anonymous_read: bool = True, **kw) -> Response:
        """Repositories are private by default; most e2e tests are about the index protocol, so they
        read anonymously. Access control has tests of its own (anonymous_read=False)."""
        return self.call("POST", "/repositories", {"name": name, "type": type, "anonymousRead": anonymous_read}, **kw)

    def version_action(self, repo: str, project: str, version: str, action: str, reason=None) -> Response:
        payload = None if reason is None else {"reason": reason}
        return self.call("POST", f"/repositories/{repo}/projects/{project}/versions/{version}/{action}", payload)

    def file_action(self, repo: str, project: str, filename: str, action: str, reason=None) -> Response:
        payload = None if reason is None else {"reason": reason}
        return self.call("POST", f"/repositories/{repo}/projects/{project}/files/{filename}/{action}", payload)


# -- the simple API ------------------------------------------------------------

class _AnchorParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._current = dict(attrs)
            self._current["_text"] = ""
            self.anchors.append(self._current)

    def handle_data(self, data):
        if self._current is not None:
            self._current["_text"] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._current = None


def parse_anchors(html: str) -> list[dict]:
    """Every <a> with its attributes (values unescaped) and its text under `_text`."""
    p = _AnchorParser()
    p.feed(html)
    return p.anchors


def simple_url(server_url: str, repo: str, project: str | None = None) -> str:
    return f"{server_url}/{repo}/simple/" + (f"{project}/" if project else "")


def get_json_page(server_url: str, repo: str, project: str | None = None) -> Response:
    return request("GET", simple_url(server_url, repo, project), headers={"Accept": JSON_TYPE})


def get_html_page(server_url: str, repo: str, project: str | None = None) -> Response:
    return request("GET", simple_url(server_url, repo, project), headers={"Accept": "text/html"})


def json_files(server_url: str, repo: str, project: str) -> dict[str, dict]:
    """filename -> PEP 691 file entry (absolute `url`); {} when the project page is 404."""
    page_url = simple_url(server_url, repo, project)
    r = get_json_page(server_url, repo, project)
    if r.status == 404:
        return {}
    assert r.status == 200, str(r)
    out = {}
    for f in r.json()["files"]:
        f = dict(f)
        f["url"] = urljoin(page_url, f["url"])
        out[f["filename"]] = f
    return out


def html_files(server_url: str, repo: str, project: str) -> dict[str, dict]:
    """filename (the anchor text) -> anchor attributes (absolute `href`); {} when 404."""
    page_url = simple_url(server_url, repo, project)
    r = get_html_page(server_url, repo, project)
    if r.status == 404:
        return {}
    assert r.status == 200, str(r)
    out = {}
    for a in parse_anchors(r.text):
        a["href"] = urljoin(page_url, a["href"])
        out[a["_text"].strip()] = a
    return out


def project_snapshot(server_url: str, repo: str, projects: list[str]) -> dict:
    """What the index shows for a repository: project list plus each project's files."""
    idx = get_json_page(server_url, repo)
    assert idx.status == 200, str(idx)
    names = sorted(p["name"] for p in idx.json()["projects"])
    files = {p: sorted((f["filename"], f["hashes"]["sha256"]) for f in json_files(server_url, repo, p).values())
             for p in projects}
    return {"projects": names, "files": files}

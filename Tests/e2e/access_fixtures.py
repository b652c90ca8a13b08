"""Helpers for the access-control tests (`test_access_*.py`): users, tokens, grants, requests from
chosen client addresses, the audit log, and searching stored data for secrets.

Failed authentications are rate-limited per client address (10 a minute, then 429). Every test
client runs on 127.0.0.1, so tests that present bad credentials on purpose send each request from a
different loopback address (`fresh_source()`; Linux routes all of 127.0.0.0/8 to `lo`, and the
server keys its limiter on the connection's peer address).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import secrets
import sqlite3
import threading
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from whclient import PIP_ACCEPT, Response, bearer
from whmultipart import encode
from whpackages import make_wheel, upload_fields

CHALLENGE = 'Basic realm="wheelhouse"'
TOKEN_RE = re.compile(r"whk_[A-Za-z0-9_\-]+")

_source_lock = threading.Lock()
_source_counter = itertools.count(1)


def fresh_source(octet: int = 1) -> str:
    """A loopback address no other request of this process used (127.<octet>.x.y); callers pick the
    second octet per test file so their addresses are easy to tell apart in logs and audit entries."""
    with _source_lock:
        n = next(_source_counter)
    return f"127.{octet}.{(n // 250) % 250}.{n % 250 + 1}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


# -- HTTP ---------------------------------------------------------------------------------------

def send(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         source: str | None = None, timeout: float = 60) -> Response:
    """One request, optionally from a chosen local address; no redirects, no exceptions on 4xx/5xx."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.headers, data, url)
    finally:
        conn.close()


def api(server, method: str, path: str, payload=None, auth: dict | None = None,
        source: str | None = None) -> Response:
    """`/api/v1` + path with JSON in and out; `auth` is a header dict (None: anonymous)."""
    headers = {"Accept": "application/json"}
    headers.update(auth or {})
    body = None
    if payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    return send(method, server.url + "/api/v1" + path, body, headers, source)


def admin(server) -> dict:
    return bearer(server.admin_token)


def ok(r: Response, *statuses: int) -> Response:
    assert r.status in statuses, str(r)
    return r


# -- accounts -------------------------------------------------------------------------------------

def create_user(server, name: str | None = None, password: str | None = "generate", is_admin: bool = False,
                auth: dict | None = None) -> tuple[str, str | None]:
    """(name, password) of a new user, created by the server admin unless `auth` says otherwise."""
    name = name or unique("user")
    password = new_password() if password == "generate" else password
    payload = {"name": name, "admin": is_admin}
    if password is not None:
        payload["password"] = password
    ok(api(server, "POST", "/users", payload, auth or admin(server)), 201)
    return name, password


def create_token(server, user: str | None = None, scopes: list | None = None, expires_in: int | None = None,
                 auth: dict | None = None, name: str | None = None) -> dict:
    """The creation answer (`id`, `token`, ...) of a new token; by the server admin unless `auth`."""
    payload: dict = {"name": name or unique("tok")}
    if user is not None:
        payload["user"] = user
    if scopes is not None:
        payload["scopes"] = scopes
    if expires_in is not None:
        payload["expiresIn"] = expires_in
    r = ok(api(server, "POST", "/tokens", payload, auth or admin(server)), 201)
    body = r.json()
    assert body.get("token", "").startswith("whk_") and body.get("id"), str(r)
    return body


def revoke_token(server, token_id: str, auth: dict | None = None) -> None:
    ok(api(server, "DELETE", f"/tokens/{token_id}", auth=auth or admin(server)), 204)


def grant(server, repo: str, user: str, level: str) -> None:
    ok(api(server, "POST", f"/repositories/{repo}/permissions", {"user": user, "level": level}, admin(server)), 201)


def disable_user(server, name: str) -> None:
    r = ok(api(server, "PATCH", f"/users/{name}", {"disabled": True}, admin(server)), 200)
    assert r.json().get("disabled") is True, str(r)


def create_repo(server, kind: str = "local", prefix: str = "acc", **settings) -> str:
    """A private repository (anonymousRead false unless `settings` say otherwise)."""
    name = unique(prefix)
    body = {"name": name, "type": kind, "anonymousRead": False}
    body.update(settings)
    ok(api(server, "POST", "/repositories", body, admin(server)), 201)
    return name


def audit(server, auth: dict | None = None, **filters) -> list[dict]:
    query = urlencode({k: v for k, v in filters.items() if v is not None})
    r = ok(api(server, "GET", "/audit" + (f"?{query}" if query else ""), auth=auth or admin(server)), 200)
    return r.json()["entries"]


# -- packages -------------------------------------------------------------------------------------

def upload_wheel(server, repo: str, path: Path, auth: dict | None, source: str | None = None) -> Response:
    """The legacy upload of `path` (twine's form) with the given Authorization header."""
    body, ctype = encode(upload_fields(path), [("content", path.name, path.read_bytes())])
    headers = {"Content-Type": ctype}
    headers.update(auth or {})
    return send("POST", f"{server.url}/{repo}/", body, headers, source, timeout=120)


def small_wheel(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return make_wheel(directory / f"{name}-{version}-py3-none-any.whl", name, version,
                      payload=os.urandom(64))


def get_page(server, repo: str, project: str | None, auth: dict | None, source: str | None = None,
             accept: str = PIP_ACCEPT) -> Response:
    path = f"/{repo}/simple/" + (f"{project}/" if project else "")
    headers = {"Accept": accept}
    headers.update(auth or {})
    return send("GET", server.url + path, None, headers, source)


def project_files(server, repo: str, project: str) -> dict[str, dict]:
    """filename -> the admin API's view of a stored file ({} when the project has none)."""
    r = api(server, "GET", f"/repositories/{repo}/projects/{project}", auth=admin(server))
    if r.status == 404:
        return {}
    ok(r, 200)
    return {f["filename"]: f for f in r.json()["files"]}


# -- secrets in stored data -------------------------------------------------------------------------

def sqlite_values(db: Path):
    """(table, column, value) for every text or blob value of every table of a SQLite file."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            cur = con.execute(f'SELECT * FROM "{t}"')
            cols = [d[0] for d in cur.description]
            for row in cur:
                for c, v in zip(cols, row):
                    if isinstance(v, (str, bytes)):
                        yield t, c, v
    finally:
        con.close()


def find_secrets_in_db(db: Path, found_secrets: dict[str, str]) -> list[str]:
    """Where each secret (label -> value) occurs in a table value, as text."""
    hits = []
    for table, column, value in sqlite_values(db):
        text = value if isinstance(value, str) else value.decode("latin-1")
        for label, secret in found_secrets.items():
            if secret in text:
                hits.append(f"{label} in {table}.{column}")
    return hits


def find_secrets_in_files(root: Path, found_secrets: dict[str, str], skip_dirs: tuple = ("blobs",)) -> list[str]:
    """Where each secret occurs in the raw bytes of any file under `root` (SQLite pages, WAL, logs)."""
    hits = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs]
        for fn in filenames:
            p = Path(dirpath) / fn
            try:
                data = p.read_bytes()
            except OSError:
                continue
            for label, secret in found_secrets.items():
                if secret.encode() in data:
                    hits.append(f"{label} in {p}")
    return hits

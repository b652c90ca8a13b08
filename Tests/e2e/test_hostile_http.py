"""Hostile HTTP against the real server (issue 12, sections 4 and 5).

One server for the module, with short connection timeouts (2 s) and a per-address connection limit,
so the slowloris, idle and limit cases take seconds. Each test isolates itself with its own repository.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import socket
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from whclient import basic, json_files, request
from whmultipart import encode, post_form, upload
from whpackages import _record_hash, make_wheel, upload_fields
from whserver import WheelhouseServer

TIMEOUT_S = 2
PER_ADDRESS = 32
MAX_HWM_KIB = 150 * 1024


@pytest.fixture(scope="module")
def hserver(wheelhouse_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("server")
    s = WheelhouseServer(
        wheelhouse_bin, base / "data", base / "server.log", "wh-e2e-" + secrets.token_hex(16),
        env={"WHEELHOUSE_HEADER_TIMEOUT_SECONDS": str(TIMEOUT_S), "WHEELHOUSE_IDLE_TIMEOUT_SECONDS": str(TIMEOUT_S),
             "WHEELHOUSE_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS)})
    s.start()
    yield s
    s.stop()


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (EOF or reset), or None if still open after `seconds`."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - start
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - start
    except socket.timeout:
        return None


def head_request(path: str = "/health/live") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


# -- connections: header timeout, idle timeout, per-address limit (section 4) ---------------------

def test_slowloris_head_is_closed(hserver):
    """A head trickled one byte a second is cut at the header timeout (was: open for 60 s+)."""
    socks = [connect(hserver) for _ in range(8)]
    start = time.monotonic()
    trickle = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    closed = [False] * len(socks)
    for byte in trickle:
        for i, s in enumerate(socks):
            if closed[i]:
                continue
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed[i] = True
        if all(closed) or time.monotonic() - start > 4 * TIMEOUT_S:
            break
        time.sleep(1)
    for i, s in enumerate(socks):
        if not closed[i]:
            closed[i] = closed_within(s, 1) is not None
        s.close()
    elapsed = time.monotonic() - start
    assert all(closed), f"{closed.count(False)} slowloris connections still open after {elapsed:.1f} s"
    assert elapsed < 3 * TIMEOUT_S + 2


def test_idle_keepalive_connection_is_closed(hserver):
    """After a response, a kept-alive connection with nothing more to say is closed (was: 65 s+)."""
    with connect(hserver) as s:
        s.sendall(head_request())
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        # Still usable before the idle timeout...
        time.sleep(TIMEOUT_S / 2)
        s.sendall(head_request())
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        # ...and closed after it.
        took = closed_within(s, TIMEOUT_S + 3)
        assert took is not None, "idle kept-alive connection still open"
        assert took >= TIMEOUT_S * 0.5


def test_per_address_connection_limit(hserver):
    """Connections over the per-address limit are closed at accept; those under it still work."""
    held = [connect(hserver) for _ in range(PER_ADDRESS)]
    try:
        time.sleep(0.2)
        extra = connect(hserver)
        with extra:
            try:
                extra.sendall(head_request())
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert closed_within(extra, 1) is not None, "connection over the limit was served"
        held[0].sendall(head_request())
        assert held[0].recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)   # the server counts the closes
    assert request("GET", hserver.url + "/health/live").status == 200


def raw_upload_parts(hserver, repo, wheel: Path) -> tuple[bytes, bytes]:
    body, ctype = encode(upload_fields(wheel), [("content", wheel.name, wheel.read_bytes())])
    auth = basic("__token__", hserver.admin_token)["Authorization"]
    head = (f"POST /{repo}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n").encode()
    return head, body


def test_slow_steady_upload_is_not_cut(hserver, tmp_path):
    """A body that keeps arriving (here over 3x the timeouts) is never cut by them."""
    repo = hserver.new_repo("slow")
    wheel = make_wheel(tmp_path / "slowup-1.0-py3-none-any.whl", "slowup", "1.0", payload=os.urandom(4096))
    head, body = raw_upload_parts(hserver, repo, wheel)
    pieces = 14
    step = len(body) // pieces + 1
    with connect(hserver) as s:
        s.sendall(head)
        for i in range(0, len(body), step):
            time.sleep(0.5)
            s.sendall(body[i:i + step])
        s.settimeout(30)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]


def test_stalled_upload_body_is_closed(hserver, tmp_path):
    """A body that stops arriving while the server waits for it is closed after the idle timeout."""
    repo = hserver.new_repo("stall")
    wheel = make_wheel(tmp_path / "stalled-1.0-py3-none-any.whl", "stalled", "1.0")
    head, body = raw_upload_parts(hserver, repo, wheel)
    with connect(hserver) as s:
        s.sendall(head + body[: len(body) // 2])
        assert closed_within(s, TIMEOUT_S + 4) is not None, "a stalled body kept the connection open"


# -- form fields (section 4) ------------------------------------------------------------------------

def big_form_upload(hserver, repo, wheel: Path, extra: list[tuple[str, str]]):
    fields = upload_fields(wheel) + extra
    body, ctype = encode(fields, [("content", wheel.name, wheel.read_bytes())])
    return post_form(f"{hserver.url}/{repo}/", body, ctype, hserver.admin_token)


def test_oversized_form_fields_are_rejected(hserver, tmp_path):
    repo = hserver.new_repo("form")
    wheel = make_wheel(tmp_path / "formy-1.0-py3-none-any.whl", "formy", "1.0")
    cases = [
        ("summary", [("summary", "s" * (300 << 10))], "summary"),
        ("description", [("description", "d" * (2 << 20) + "d" * 1024)], "description"),
        ("total", [("classifiers", "c" * (200 << 10))] * 16, "total"),
    ]
    for label, extra, word in cases:
        r = big_form_upload(hserver, repo, wheel, extra)
        assert r.status == 400, f"{label}: {r}"
        assert word in (r.text + r.reason).lower(), f"{label}: {r}"
    # Within the limits: stored.
    r = big_form_upload(hserver, repo, wheel, [("description", "d" * (1 << 20))])
    assert r.status == 200, str(r)


def test_parallel_uploads_with_huge_forms_stay_small(hserver, tmp_path):
    """24 uploads with 15 MiB of form fields each (was: peak RSS 720 MiB, fields stored)."""
    repo = hserver.new_repo("formrss")
    wheel = make_wheel(tmp_path / "formrss-1.0-py3-none-any.whl", "formrss", "1.0")
    extra = [("classifiers", "c" * (250 << 10))] * 60    # 15 MiB
    body, ctype = encode(upload_fields(wheel) + extra, [("content", wheel.name, wheel.read_bytes())])
    auth = basic("__token__", hserver.admin_token)

    def send(_):
        conn = http.client.HTTPConnection("127.0.0.1", hserver.port, timeout=120)
        try:
            conn.request("POST", f"/{repo}/", body=body, headers={"Content-Type": ctype, **auth})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            return "closed"
        finally:
            conn.close()

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(send, range(24)))
    assert all(s in (400, "closed") for s in statuses), statuses
    assert 400 in statuses, statuses
    hwm = hserver.status_kib("VmHWM")
    print(f"server VmHWM after 24 uploads with 15 MiB of form fields: {hwm} KiB")
    assert hwm < MAX_HWM_KIB
    assert json_files(hserver.url, repo, "formrss") == {}


# -- open redirect (section 5) ----------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/%2Fevil.example/", "/%2Fevil.example", "/%2F%2Fevil.example/", "/%5C%5Cevil.example/",
    "/repository/%2Fevil.example/", "/artifactory/api/pypi/%2Fevil.example/",
    "/%2Fevil.example/simple", "/%2Fevil.example/simple/Foo/", "/http:%2F%2Fevil.example/",
])
def test_no_redirect_off_the_server(hserver, path):
    r = request("GET", hserver.url + path)
    location = r.header("Location")
    if location is not None:
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location, f"{path}: {r}"
        assert "evil.example" not in location.split("?")[0].split("/")[1], f"{path}: {r}"
    assert r.status not in (301, 302, 307, 308), f"{path}: redirect for a repository that does not exist: {r}"


def test_redirects_stay_local_for_existing_repositories(hserver):
    repo = hserver.new_repo("redir")
    for path, target in ((f"/{repo}/", f"/{repo}/simple/"), (f"/{repo}/simple", f"/{repo}/simple/"),
                         (f"/{repo}/simple/Foo_Bar", f"/{repo}/simple/foo-bar/"),
                         (f"/{repo}/simple/%2F%2Fevil.example", f"/{repo}/simple/%2F%2Fevil-example/")):
        r = request("GET", hserver.url + path)
        assert r.status in (301, 302), f"{path}: {r}"
        assert r.header("Location") == target, f"{path}: {r}"


# -- equivalent filenames (section 5) ---------------------------------------------------------------

def test_equivalent_filenames_are_duplicates(hserver, tmp_path):
    repo = hserver.new_repo("equiv")
    good = make_wheel(tmp_path / "good-1.0-py3-none-any.whl", "good", "1.0")
    assert upload(hserver.url, repo, good, hserver.admin_token).status == 200
    # Identical bytes under the same name: 200 (CI retries).
    assert upload(hserver.url, repo, good, hserver.admin_token).status == 200
    (tmp_path / "other").mkdir()
    other = make_wheel(tmp_path / "other" / "good-1.0-py3-none-any.whl", "good", "1.0", payload=b"other bytes")
    for name in ("good-1.0.0-py3-none-any.whl", "Good-1.0-py3-none-any.whl", "good-1.0-0-py3-none-any.whl",
                 "good-1.0-py3.py3-none-any.whl", "good-1.0.0-1-py3.py3-none-any.whl"):
        r = upload(hserver.url, repo, other, hserver.admin_token, filename=name)
        assert r.status == 400, f"{name}: {r}"
        assert "already exist" in (r.text + r.reason), f"{name}: {r}"   # twine --skip-existing
    # Other tags or another version are other files.
    assert upload(hserver.url, repo, other, hserver.admin_token, filename="good-1.0-py2-none-any.whl").status == 200
    newer = make_wheel(tmp_path / "good-1.1-py3-none-any.whl", "good", "1.1")
    assert upload(hserver.url, repo, newer, hserver.admin_token).status == 200
    assert sorted(json_files(hserver.url, repo, "good")) == [
        "good-1.0-py2-none-any.whl", "good-1.0-py3-none-any.whl", "good-1.1-py3-none-any.whl"]


# -- look-alike names (section 5) -------------------------------------------------------------------

def wheel_with_metadata_name(path: Path, dist_name: str, metadata_name: str, version: str) -> Path:
    dist_info = f"{dist_name}-{version}.dist-info"
    files = {
        f"{dist_name}/__init__.py": b"",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {metadata_name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: wheelhouse-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in files.items()) + f"{dist_info}/RECORD,,\n"
    files[f"{dist_info}/RECORD"] = record.encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
    return path


def test_lookalike_metadata_name_is_rejected(hserver, tmp_path):
    repo = hserver.new_repo("kelvin")
    wheel = wheel_with_metadata_name(tmp_path / "kelvin-1.0-py3-none-any.whl", "kelvin", "\u212aelvin", "1.0")
    r = upload(hserver.url, repo, wheel, hserver.admin_token, overrides={"name": "kelvin"})
    assert r.status == 400, str(r)
    assert "name" in r.text.lower(), str(r)
    assert request("GET", f"{hserver.url}/{repo}/simple/kelvin/").status == 404
    # The form's name goes through the same pattern.
    plain = make_wheel(tmp_path / "kelvin2-1.0-py3-none-any.whl", "kelvin2", "1.0")
    r = upload(hserver.url, repo, plain, hserver.admin_token, overrides={"name": "\u212aelvin2"})
    assert r.status == 400, str(r)


# -- a blob missing under its row (section 4) -------------------------------------------------------

def blob_path(server, sha256: str) -> Path:
    return server.data_dir / "blobs" / "sha256" / sha256[:2] / sha256[2:4] / sha256


@pytest.mark.parametrize("payload_size", [100, 400 << 10])   # read whole first / stat first
def test_missing_blob_is_5xx_before_any_byte(hserver, tmp_path, payload_size):
    repo = hserver.new_repo("broken")
    name = f"broken{payload_size}"
    wheel = make_wheel(tmp_path / f"{name}-1.0-py3-none-any.whl", name, "1.0",
                       payload=os.urandom(payload_size), compress=zipfile.ZIP_STORED)
    assert upload(hserver.url, repo, wheel, hserver.admin_token).status == 200
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    blob_path(hserver, sha).unlink()
    conn = http.client.HTTPConnection("127.0.0.1", hserver.port, timeout=30)
    try:
        conn.request("GET", f"/{repo}/files/{sha}/{wheel.name}")
        resp = conn.getresponse()
        status = resp.status
        try:
            resp.read()
        except (http.client.IncompleteRead, ConnectionResetError):
            pass   # the old behaviour: 200, then the connection cut
    finally:
        conn.close()
    assert status in (500, 503), f"GET of a file whose blob is gone answered {status}"
    deadline = time.monotonic() + 3
    while "blob missing" not in hserver.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "blob missing" in hserver.log_text()

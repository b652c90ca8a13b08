"""Hand-built multipart/form-data bodies and raw uploads, for the upload tests."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from whclient import Response, basic, request
from whpackages import upload_fields


def encode(fields: list[tuple[str, str]], files: list[tuple[str, bytes | str, bytes]] = (),
           boundary: str | None = None) -> tuple[bytes, str]:
    """(body, content type) for `fields` plus `files` given as (field, filename, content).

    The filename is written as given (bytes allowed), so tests can send names that a
    well-behaved client never would.
    """
    boundary = boundary or "wh-e2e-" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode()
        out += value.encode() + b"\r\n"
    for name, filename, content in files:
        fn = filename if isinstance(filename, bytes) else filename.encode()
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"".encode()
        out += fn + b"\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def post_form(url: str, body: bytes, content_type: str, token: str | None, user: str = "__token__") -> Response:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers.update(basic(user, token))
    return request("POST", url, body, headers, timeout=120)


def upload(server_url: str, repo: str, path: Path, token: str | None, *, filename: bytes | str | None = None,
           data: bytes | None = None, overrides: dict | None = None, drop: tuple = (),
           slash: bool = True) -> Response:
    """Upload `path` the way twine does; `overrides`/`drop` change the form fields."""
    data = path.read_bytes() if data is None else data
    fields = [(k, v) for k, v in upload_fields(path, data) if k not in drop and k not in (overrides or {})]
    fields += list((overrides or {}).items())
    body, ctype = encode(fields, [("content", path.name if filename is None else filename, data)])
    return post_form(f"{server_url}/{repo}" + ("/" if slash else ""), body, ctype, token)


def send_truncated(url: str, body: bytes, content_type: str, headers: dict, send_bytes: int,
                   half_close: bool = True, read_timeout: float = 10.0) -> bytes:
    """Announce all of `body` in Content-Length, send only `send_bytes` of it, then close.

    With `half_close` the write side is shut and the answer read (often there is none);
    without it the socket is simply closed, as when a client dies mid-upload.
    """
    parts = urlsplit(url)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
            f"Content-Type: {content_type}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body[:send_bytes]
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as s:
        s.sendall(raw)
        if not half_close:
            return b""
        s.shutdown(socket.SHUT_WR)
        answer = bytearray()
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return bytes(answer)

"""A fake upstream simple index for the remote-repository tests.

A threaded stdlib HTTP server on 127.0.0.1 that serves the projects it is given:

    /simple/                    the project list
    /simple/{project}/          PEP 691 JSON when the Accept header asks for it, PEP 503 HTML otherwise,
                                with ETag / Last-Modified and 304 on If-None-Match / If-Modified-Since
    /files/{filename}           the file's bytes (GET and HEAD)
    /files/{filename}.metadata  the core metadata, for files given `metadata`
    /cdn/files/{filename}       the same bytes, for `redirect_files` (a CDN on the same origin)

It records every request (method, path, headers, status), and the tests steer it directly:
`slow`, `truncate`, `corrupt`, `fail`, `delay`, `hide` (404 for a project), `require_auth`,
`redirect_files`, `html_only`, and `stop()` / `start()`, which really close the listening
socket and every open connection, so the server under test sees connections refused.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def page_path(project: str) -> str:
    return f"/simple/{normalize(project)}/"


def file_path(filename: str) -> str:
    return f"/files/{filename}"


def metadata_path(filename: str) -> str:
    return f"/files/{filename}.metadata"


def version_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    stem = re.sub(r"\.(tar\.gz|tar\.bz2|zip|tgz)$", "", filename)
    return stem.rsplit("-", 1)[1]


def _pep440_sorted(versions: set[str]) -> list[str]:
    try:
        from packaging.version import Version
        return sorted(versions, key=Version)
    except Exception:  # an unparsable version or no `packaging`: keep something deterministic
        return sorted(versions)


@dataclass
class UpstreamFile:
    project: str
    filename: str
    data: bytes
    requires_python: str | None = None
    # True: yanked without a reason; a string: yanked with that reason.
    yanked: bool | str | None = None
    upload_time: str | None = None
    # Served at `{file}.metadata` and advertised (`core-metadata`) when set.
    metadata: bytes | None = None
    list_sha256: bool = True
    list_size: bool = True

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def metadata_sha256(self) -> str | None:
        return hashlib.sha256(self.metadata).hexdigest() if self.metadata is not None else None

    @property
    def version(self) -> str:
        return version_of(self.filename)


@dataclass
class Seen:
    """One request as the fake upstream received it."""
    method: str
    path: str      # as requested, percent-decoded, without the query
    key: str       # `path`, with a project page's name normalized
    headers: dict  # lower-case names
    status: int = 0
    started: float = 0.0   # time.monotonic() when the request arrived
    finished: float = 0.0  # ... and when the response was fully written (0 while in progress or cut)
    sent: dict = field(default_factory=dict)  # response headers, lower-case names

    @property
    def conditional(self) -> bool:
        return "if-none-match" in self.headers or "if-modified-since" in self.headers


@dataclass
class _Project:
    name: str
    files: list[UpstreamFile] = field(default_factory=list)
    modified: float = 0.0


class FakeUpstream:
    def __init__(self, url_mode: str = "absolute"):
        """`url_mode`: "absolute" (file URLs with scheme and host) or "relative" (`../../files/…`)."""
        assert url_mode in ("absolute", "relative")
        self.url_mode = url_mode
        self.port = 0
        self.html_only = False
        # False: pages carry only Last-Modified, so revalidation has to use If-Modified-Since.
        self.send_etag = True
        self._lock = threading.Lock()
        self._projects: dict[str, _Project] = {}
        self._files: dict[str, UpstreamFile] = {}
        self._seen: list[Seen] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.clear()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> "FakeUpstream":
        """Listen on 127.0.0.1 (a free port the first time, the same port after a `stop()`)."""
        assert self._httpd is None, "already running"
        handler = type("Handler", (_Handler,), {"upstream": self})
        httpd = _Server(("127.0.0.1", self.port), handler)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fakeupstream-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and cut every open connection: new connections are refused."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(10)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def simple_url(self) -> str:
        return self.url + "/simple/"

    # -- content ---------------------------------------------------------------------

    def add(self, project: str, filename: str, data: bytes, **attrs) -> UpstreamFile:
        """Publish a file (bytes) under `project`; attrs are `UpstreamFile` fields."""
        f = UpstreamFile(project=project, filename=filename, data=data, **attrs)
        with self._lock:
            p = self._projects.setdefault(normalize(project), _Project(project))
            p.files = [x for x in p.files if x.filename != filename] + [f]
            self._files[filename] = f
            self._touch(p)
        return f

    def add_path(self, project: str, path, **attrs) -> UpstreamFile:
        """Publish a file read from disk under its own name."""
        from pathlib import Path
        path = Path(path)
        return self.add(project, path.name, path.read_bytes(), **attrs)

    def update(self, filename: str, **attrs) -> UpstreamFile:
        """Change attributes of a published file (e.g. yank it): the page's ETag changes."""
        with self._lock:
            f = self._files[filename]
            for k, v in attrs.items():
                setattr(f, k, v)
            self._touch(self._projects[normalize(f.project)])
        return f

    def remove(self, filename: str) -> None:
        with self._lock:
            f = self._files.pop(filename)
            p = self._projects[normalize(f.project)]
            p.files = [x for x in p.files if x.filename != filename]
            self._touch(p)

    def file(self, filename: str) -> UpstreamFile:
        return self._files[filename]

    def _touch(self, p: _Project) -> None:
        # Last-Modified has one-second resolution: make every change move it forward.
        p.modified = max(float(int(time.time())), p.modified + 1)

    # -- faults and behaviour (all cleared by `clear()`) --------------------------------

    def clear(self) -> None:
        """Back to a well-behaved upstream (the request log is kept)."""
        with self._lock:
            self._rate: dict[str | None, float] = {}
            self._truncate: dict[str, int] = {}
            self._corrupt: set[str] = set()
            self._fail: dict[str, int] = {}
            self._delay: dict[str, float] = {}
            self._hidden: set[str] = set()
            self._auth: str | None = None
            self._redirect: str | None = None

    def slow(self, rate: float | None, path: str | None = None) -> None:
        """Send file bodies at `rate` bytes/second (`path` None: every file); None lifts it."""
        with self._lock:
            if rate is None:
                self._rate.pop(path, None)
            else:
                self._rate[path] = float(rate)

    def truncate(self, path: str, after: int) -> None:
        """Declare the full Content-Length, send `after` bytes, then close the connection."""
        with self._lock:
            self._truncate[path] = after

    def corrupt(self, path: str) -> None:
        """Serve bytes of the right length whose sha256 is wrong."""
        with self._lock:
            self._corrupt.add(path)

    def fail(self, path: str, status: int = 500) -> None:
        """Answer `status` for `path` (a file path or a project page path)."""
        with self._lock:
            self._fail[path] = status

    def delay(self, path: str, seconds: float) -> None:
        """Wait before answering `path`."""
        with self._lock:
            self._delay[path] = seconds

    def hide(self, project: str) -> None:
        """404 for the project's page, as if it did not exist."""
        with self._lock:
            self._hidden.add(normalize(project))

    def require_auth(self, username: str, password: str) -> None:
        """401 for /simple and /files without these Basic credentials (/cdn stays open)."""
        raw = base64.b64encode(f"{username}:{password}".encode()).decode()
        with self._lock:
            self._auth = "Basic " + raw

    def redirect_files(self, base: str | None) -> None:
        """Answer `/files/{name}` with 302 to `{base}/files/{name}` (e.g. `self.url + "/cdn"`)."""
        with self._lock:
            self._redirect = base.rstrip("/") if base else None

    # -- observations ----------------------------------------------------------------

    def requests(self, path: str | None = None, method: str | None = None) -> list[Seen]:
        with self._lock:
            seen = list(self._seen)
        return [s for s in seen
                if (path is None or path in (s.path, s.key)) and (method is None or s.method == method)]

    def count(self, path: str | None = None, method: str | None = "GET") -> int:
        """Requests for `path` (every path if None) with `method` (every method if None)."""
        return len(self.requests(path, method))

    def conditional(self, path: str) -> list[Seen]:
        return [s for s in self.requests(path, None) if s.conditional]

    def reset_counts(self) -> None:
        with self._lock:
            self._seen.clear()

    # -- rendering ---------------------------------------------------------------------

    def _file_url(self, f: UpstreamFile) -> str:
        rel = "../../files/" + quote(f.filename)
        return rel if self.url_mode == "relative" else f"{self.url}/files/{quote(f.filename)}"

    def _render(self, p: _Project, as_json: bool) -> bytes:
        if as_json:
            files = []
            for f in p.files:
                entry: dict = {"filename": f.filename, "url": self._file_url(f),
                               "hashes": {"sha256": f.sha256} if f.list_sha256 else {}}
                if f.requires_python is not None:
                    entry["requires-python"] = f.requires_python
                if f.metadata is not None:
                    entry["core-metadata"] = {"sha256": f.metadata_sha256}
                    entry["dist-info-metadata"] = {"sha256": f.metadata_sha256}
                if f.yanked:
                    entry["yanked"] = f.yanked
                if f.list_size:
                    entry["size"] = f.size
                if f.upload_time is not None:
                    entry["upload-time"] = f.upload_time
                files.append(entry)
            doc = {"meta": {"api-version": "1.1"}, "name": p.name,
                   "versions": _pep440_sorted({f.version for f in p.files}), "files": files}
            return json.dumps(doc).encode()
        lines = ["<!DOCTYPE html>", "<html><head><meta name=\"pypi:repository-version\" content=\"1.1\">",
                 f"<title>Links for {html.escape(p.name)}</title></head><body>",
                 f"<h1>Links for {html.escape(p.name)}</h1>"]
        for f in p.files:
            href = self._file_url(f) + (f"#sha256={f.sha256}" if f.list_sha256 else "")
            attrs = f' href="{html.escape(href)}"'
            if f.requires_python is not None:
                attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
            if f.metadata is not None:
                attrs += f' data-core-metadata="sha256={f.metadata_sha256}"'
                attrs += f' data-dist-info-metadata="sha256={f.metadata_sha256}"'
            if f.yanked:
                attrs += f' data-yanked="{html.escape(f.yanked if isinstance(f.yanked, str) else "")}"'
            lines.append(f"<a{attrs}>{html.escape(f.filename)}</a><br/>")
        lines.append("</body></html>")
        return ("\n".join(lines) + "\n").encode()

    def _render_list(self, as_json: bool) -> bytes:
        names = sorted(p.name for p in self._projects.values())
        if as_json:
            return json.dumps({"meta": {"api-version": "1.1"},
                               "projects": [{"name": n} for n in names]}).encode()
        links = "\n".join(f'<a href="{normalize(n)}/">{html.escape(n)}</a>' for n in names)
        return f"<!DOCTYPE html>\n<html><body>\n{links}\n</body></html>\n".encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _wants_json(accept: str) -> bool:
    for part in accept.split(","):
        fields = [x.strip() for x in part.split(";")]
        if fields[0].lower() in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            q = next((x[2:] for x in fields[1:] if x.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return True
    return False


class _Handler(BaseHTTPRequestHandler):
    upstream: FakeUpstream
    protocol_version = "HTTP/1.1"
    server_version = "fakeupstream/1"

    def setup(self):
        super().setup()
        with self.upstream._lock:
            self.upstream._connections.add(self.connection)

    def finish(self):
        with self.upstream._lock:
            self.upstream._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    _seen: Seen | None = None

    def send_header(self, keyword, value):
        if self._seen is not None:
            self._seen.sent[keyword.lower()] = value
        super().send_header(keyword, value)

    def log_message(self, format, *args):  # quiet: the request log is `upstream.requests()`
        pass

    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    # -- dispatch ----------------------------------------------------------------------

    def _serve(self, head: bool) -> None:
        # One request per connection: stop() then only has to cut what is in flight.
        self.close_connection = True
        up = self.upstream
        path = unquote(urlsplit(self.path).path)
        m = re.fullmatch(r"/simple/([^/]+)/?", path)
        key = page_path(m.group(1)) if m else path
        seen = Seen(self.command, path, key, {k.lower(): v for k, v in self.headers.items()},
                    started=time.monotonic())
        with up._lock:
            up._seen.append(seen)
            delay = up._delay.get(key, 0.0)
            fail = up._fail.get(key)
            auth = up._auth
        self._seen = seen
        if delay:
            time.sleep(delay)
        if auth is not None and not path.startswith("/cdn/") and self.headers.get("Authorization") != auth:
            return self._status(401, {"WWW-Authenticate": 'Basic realm="fakeupstream"'}, head=head)
        if fail is not None:
            return self._status(fail, head=head)
        if path == "/simple/":
            return self._project_list(head)
        if m:
            if not path.endswith("/"):
                return self._status(301, {"Location": path + "/"}, head=head)
            return self._page(m.group(1), head)
        fm = re.fullmatch(r"(/cdn)?/files/([^/]+)", path)
        if fm:
            return self._file(fm.group(2), path, via_cdn=fm.group(1) is not None, head=head)
        return self._status(404, head=head)

    def _status(self, status: int, headers: dict | None = None, head: bool = False) -> None:
        body = f"{status} from the fake upstream\n".encode()
        self._seen.status = status
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _project_list(self, head: bool) -> None:
        as_json = not self.upstream.html_only and _wants_json(self.headers.get("Accept", ""))
        with self.upstream._lock:
            body = self.upstream._render_list(as_json)
        self._send_body(200, body, JSON_TYPE if as_json else HTML_TYPE, {}, head)

    def _page(self, name: str, head: bool) -> None:
        up = self.upstream
        as_json = not up.html_only and _wants_json(self.headers.get("Accept", ""))
        with up._lock:
            p = up._projects.get(normalize(name))
            hidden = normalize(name) in up._hidden
            body = up._render(p, as_json) if p is not None and not hidden else None
            modified = p.modified if p is not None else 0.0
        if body is None:
            return self._status(404, head=head)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + ("-j" if as_json else "-h") + '"'
        last_modified = formatdate(modified, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Vary": "Accept"}
        if not up.send_etag:
            del headers["ETag"]
        inm = self.headers.get("If-None-Match") if up.send_etag else None
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            not_modified = etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        elif ims is not None:
            try:
                not_modified = parsedate_to_datetime(ims).timestamp() >= int(modified)
            except (TypeError, ValueError):
                not_modified = False
        else:
            not_modified = False
        if not_modified:
            self._seen.status = 304
            self.send_response(304)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            return
        self._send_body(200, body, JSON_TYPE if as_json else HTML_TYPE, headers, head)

    def _send_body(self, status: int, body: bytes, ctype: str, headers: dict, head: bool) -> None:
        self._seen.status = status
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _file(self, name: str, path: str, via_cdn: bool, head: bool) -> None:
        up = self.upstream
        is_meta = name.endswith(".metadata")
        with up._lock:
            f = up._files.get(name[: -len(".metadata")] if is_meta else name)
            redirect = up._redirect
            rate = up._rate.get(path, up._rate.get(None))
            truncate = up._truncate.get(path)
            corrupt = path in up._corrupt
        if f is None or (is_meta and f.metadata is None):
            return self._status(404, head=head)
        if redirect and not via_cdn:
            return self._status(302, {"Location": f"{redirect}/files/{quote(name)}"}, head=head)
        data = f.metadata if is_meta else f.data
        if corrupt:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        self._seen.status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if is_meta else "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest() + '"')
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        limit = len(data) if truncate is None else min(truncate, len(data))
        try:
            self._write_paced(memoryview(data)[:limit], rate)
            if truncate is None:
                self._seen.finished = time.monotonic()
            else:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the client (or stop()) closed the connection

    def _write_paced(self, data: memoryview, rate: float | None) -> None:
        chunk = 64 << 10
        started = time.monotonic()
        sent = 0
        while sent < len(data):
            piece = data[sent: sent + chunk]
            self.wfile.write(piece)
            sent += len(piece)
            if rate:
                ahead = started + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)


def main(argv: list[str] | None = None) -> None:
    """Serve files from the command line (e.g. for a benchmark): prints the simple URL, runs until killed."""
    import argparse
    import signal
    from pathlib import Path

    parser = argparse.ArgumentParser(description="A fake upstream simple index on 127.0.0.1.")
    parser.add_argument("files", nargs="+", type=Path, help="wheels or sdists; the project is read from the name")
    parser.add_argument("--rate", type=float, help="file bodies at this many bytes/second")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    up = FakeUpstream()
    up.port = args.port
    for f in args.files:
        up.add_path(f.name.split("-")[0], f)
    if args.rate:
        up.slow(args.rate)
    up.start()
    print(up.simple_url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    up.stop()


if __name__ == "__main__":
    main()

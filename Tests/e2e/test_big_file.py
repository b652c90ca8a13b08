"""A 2 GiB wheel goes up with twine and comes back down while the server stays small.

The payload is a stored (uncompressed) zip entry of zeros, written in chunks: it costs
disk, not memory, on the test side. The server's peak RSS (VmHWM) must stay < 150 MiB,
so it has to stream uploads to disk and downloads from disk.
"""

import hashlib
import http.client
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from whclient import json_files, request
from whpackages import make_big_wheel, sha256_file, wheel_metadata_bytes
from whtools import twine_upload

PAYLOAD = 2 << 30          # 2 GiB of zeros inside the wheel
MAX_HWM_KIB = 150 * 1024   # 150 MiB

pytestmark = pytest.mark.bigfile


@pytest.fixture
def bigdir():
    path = Path(tempfile.mkdtemp(prefix="wheelhouse-e2e-big-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def streamed_sha256(url: str) -> tuple[str, int]:
    host, port = url.split("/")[2].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    try:
        conn.request("GET", "/" + url.split("/", 3)[3])
        resp = conn.getresponse()
        assert resp.status == 200, f"{resp.status} {resp.reason}"
        h, n = hashlib.sha256(), 0
        while chunk := resp.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
        assert int(resp.headers["Content-Length"]) == n
        return h.hexdigest(), n
    finally:
        conn.close()


def test_two_gib_wheel_in_bounded_memory(bigdir, start_server):
    server = start_server(data_dir=bigdir / "data")
    repo = server.new_repo("big")
    wheel = make_big_wheel(bigdir / "whbig-1.0-py3-none-any.whl", "whbig", "1.0", PAYLOAD)
    size, digest = wheel.stat().st_size, sha256_file(wheel)
    assert size > PAYLOAD

    r = twine_upload(f"{server.url}/{repo}/", [wheel], password=server.admin_token, timeout=1800)
    assert r.returncode == 0, str(r)
    hwm_after_upload = server.status_kib("VmHWM")

    entry = json_files(server.url, repo, "whbig")[wheel.name]
    assert entry["size"] == size and entry["hashes"]["sha256"] == digest, entry

    # A client that stops reading: the server must wait for it, not buffer the file.
    host, port = entry["url"].split("/")[2].split(":")
    stalled = http.client.HTTPConnection(host, int(port), timeout=60)
    stalled.request("GET", "/" + entry["url"].split("/", 3)[3])
    stalled.getresponse().read(1 << 16)
    time.sleep(3)
    rss_stalled = server.status_kib("VmRSS")
    stalled.close()

    got_digest, got_size = streamed_sha256(entry["url"])
    assert (got_digest, got_size) == (digest, size)

    meta = request("GET", entry["url"] + ".metadata")
    assert meta.status == 200 and meta.body == wheel_metadata_bytes(wheel), str(meta)

    # The tail, as a zip reader (uv) asks for it: the ZIP64 central directory.
    with open(wheel, "rb") as f:
        f.seek(size - 4096)
        tail = f.read()
    r = request("GET", entry["url"], headers={"Range": "bytes=-4096"})
    assert r.status == 206 and r.body == tail, str(r)

    hwm = server.status_kib("VmHWM")
    print(f"server VmHWM after upload: {hwm_after_upload} KiB, after download: {hwm} KiB;"
          f" VmRSS with a stalled reader: {rss_stalled} KiB")
    assert hwm < MAX_HWM_KIB, f"server peak RSS {hwm / 1024:.0f} MiB >= 150 MiB (after upload: {hwm_after_upload / 1024:.0f} MiB)"
    server.stop()


def test_concurrent_downloads_in_bounded_memory(bigdir, start_server):
    """32 clients download one 64 MiB wheel at once: each response may queue only a few
    chunks ahead of its connection, so the server's peak RSS stays < 150 MiB."""
    server = start_server(data_dir=bigdir / "data")
    repo = server.new_repo("many")
    wheel = make_big_wheel(bigdir / "whmany-1.0-py3-none-any.whl", "whmany", "1.0", 64 << 20)
    r = twine_upload(f"{server.url}/{repo}/", [wheel], password=server.admin_token, timeout=600)
    assert r.returncode == 0, str(r)
    entry = json_files(server.url, repo, "whmany")[wheel.name]
    expected = (sha256_file(wheel), wheel.stat().st_size)

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda _: streamed_sha256(entry["url"]), range(32)))
    assert results == [expected] * 32

    hwm = server.status_kib("VmHWM")
    print(f"server VmHWM after 32 concurrent downloads of 64 MiB: {hwm} KiB")
    assert hwm < MAX_HWM_KIB, f"server peak RSS {hwm / 1024:.0f} MiB >= 150 MiB with 32 concurrent downloads"
    server.stop()

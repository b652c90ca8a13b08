"""A full disk (issue 12, section 5): uploads answer 507 (not a 400 "truncated upload body" blaming
the client, nor a 500), the server logs and counts it, readiness turns false, and all recovers once
space is freed. The data directory is a small tmpfs (the test needs mount rights: root in CI).
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest

from whclient import request
from whmultipart import upload
from whpackages import make_wheel


@pytest.fixture
def tiny_fs(tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path: Path) -> None:
    """Write `path` until the filesystem has no byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)


def ready_status(server) -> int:
    return request("GET", server.url + "/health/ready", timeout=10).status


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_disk_full_answers_507_and_turns_readiness_false(start_server, tiny_fs, tmp_path):
    server = start_server(data_dir=tiny_fs / "data")
    try:
        repo = server.new_repo("full")
        first = make_wheel(tmp_path / "fullpkg-1.0-py3-none-any.whl", "fullpkg", "1.0")
        assert upload(server.url, repo, first, server.admin_token).status == 200

        filler = tiny_fs / "filler"
        fill(filler)
        second = make_wheel(tmp_path / "fullpkg-1.1-py3-none-any.whl", "fullpkg", "1.1", payload=os.urandom(64 << 10))
        r = upload(server.url, repo, second, server.admin_token)
        assert r.status == 507, str(r)
        assert "storage" in r.text.lower(), str(r)
        assert wait_for(lambda: ready_status(server) == 503), "readiness still 200 on a full disk"
        assert "storage full" in server.log_text()
        metrics = request("GET", server.url + "/metrics").text
        assert "wheelhouse_storage_full_total" in metrics, metrics[-2000:]
        # Reads still work.
        assert request("GET", f"{server.url}/{repo}/simple/fullpkg/").status == 200

        filler.unlink()
        assert wait_for(lambda: ready_status(server) == 200), "readiness did not recover"
        r = upload(server.url, repo, second, server.admin_token)
        assert r.status == 200, str(r)
    finally:
        server.stop()

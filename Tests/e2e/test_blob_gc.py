"""Blob deletion is safe against concurrent writers: a row never points at missing bytes.

Found by an attacker's pass (issue 12): deleting file X from repository A while the same bytes were
uploaded to B lost B's bytes 24 times in 400 (B found the blob present and skipped writing it, A's
delete had just found it unreferenced and removed it). File deletes no longer remove bytes; only
the garbage collector does, and writers' claims keep it away from bytes they are about to use.
"""

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

from whclient import json_files, request
from whmultipart import upload
from whpackages import make_wheel, sha256_file, wheel_metadata_bytes
from whtools import cli


def gc(server, dry_run=False, grace=0):
    r = server.api.call("POST", "/gc", {"dryRun": dry_run, "graceSeconds": grace})
    assert r.status == 200, str(r)
    return r.json()


def blob_names(server) -> set[str]:
    return {p.name for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}


def delete_file(server, repo, project, filename):
    return server.api.call("DELETE", f"/repositories/{repo}/projects/{project}/files/{filename}")


def test_delete_racing_upload_of_the_same_bytes_loses_nothing(server, tmp_path):
    """Delete X from A || upload X to B || gc with no grace period, many times over: every
    acknowledged upload to B stays whole, with its metadata."""
    a, b = server.new_repo("race-a"), server.new_repo("race-b")
    token = server.admin_token
    deadline = time.monotonic() + 60
    rounds = 0
    with ThreadPoolExecutor(max_workers=3) as pool:
        for i in range(120):
            if time.monotonic() > deadline:
                break
            wheel = make_wheel(tmp_path / f"racer-1.{i}-py3-none-any.whl", "racer", f"1.{i}", payload=f"round {i}".encode())
            assert upload(server.url, a, wheel, token).status == 200
            deleted = pool.submit(delete_file, server, a, "racer", wheel.name)
            uploaded = pool.submit(upload, server.url, b, wheel, token)
            collected = pool.submit(gc, server)
            assert deleted.result().status == 204
            assert uploaded.result().status == 200, str(uploaded.result())
            collected.result()
            rounds += 1
            files = json_files(server.url, b, "racer")
            url = files[wheel.name]["url"]
            got = request("GET", url)
            assert got.status == 200 and hashlib.sha256(got.body).hexdigest() == sha256_file(wheel), f"round {i}: {got}"
            meta = request("GET", url + ".metadata")
            assert meta.status == 200 and meta.body == wheel_metadata_bytes(wheel), f"round {i}: {meta}"
    assert rounds >= 20, f"only {rounds} rounds in the time allowed"
    # And once more after everything settled: every file of B is still whole.
    gc(server)
    for name, info in json_files(server.url, b, "racer").items():
        assert request("GET", info["url"]).status == 200, name


def test_gc_frees_deleted_and_orphaned_bytes(server, wheelhouse_bin, tmp_path):
    repo = server.new_repo("gc")
    token = server.admin_token
    wheel = make_wheel(tmp_path / "gcdemo-1.0-py3-none-any.whl", "gcdemo", "1.0", payload=b"x" * 5000)
    sha, meta_sha = sha256_file(wheel), hashlib.sha256(wheel_metadata_bytes(wheel)).hexdigest()
    assert upload(server.url, repo, wheel, token).status == 200
    assert delete_file(server, repo, "gcdemo", wheel.name).status == 204
    # The delete left the bytes: only the collector removes them.
    assert {sha, meta_sha} <= blob_names(server)

    # The default grace period (1 hour) protects young blobs.
    r = cli(wheelhouse_bin, ["gc", "--dry-run"], url=server.url, token=token)
    assert r.returncode == 0, r.output
    assert sha not in r.output

    # A dry run names them and deletes nothing.
    r = cli(wheelhouse_bin, ["gc", "--dry-run", "--grace", "0"], url=server.url, token=token)
    assert r.returncode == 0, r.output
    assert "would free" in r.output and sha in r.output and meta_sha in r.output
    assert {sha, meta_sha} <= blob_names(server)

    # Losers of concurrent uploads of one filename with different bytes leave orphan blobs.
    variants = []
    for i in range(6):
        d = tmp_path / f"v{i}"
        d.mkdir()
        variants.append(make_wheel(d / "gcrace-1.0-py3-none-any.whl", "gcrace", "1.0", payload=f"variant {i}".encode()))
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [f.result().status for f in [pool.submit(upload, server.url, repo, v, token) for v in variants]]
    assert statuses.count(200) == 1, statuses
    winner = json_files(server.url, repo, "gcrace")["gcrace-1.0-py3-none-any.whl"]["hashes"]["sha256"]

    report = gc(server)
    assert sha in report["sample"] and meta_sha in report["sample"], report
    assert report["collected"] >= 2 and report["collectedBytes"] >= wheel.stat().st_size
    left = blob_names(server)
    assert sha not in left and meta_sha not in left
    assert winner in left
    for v in variants:
        if sha256_file(v) != winner:
            assert sha256_file(v) not in left, "a losing upload's bytes were not collected"
    # The winner is intact, and the audit log has the run.
    assert request("GET", json_files(server.url, repo, "gcrace")["gcrace-1.0-py3-none-any.whl"]["url"]).status == 200
    audit = server.api.call("GET", "/audit?action=gc")
    assert audit.status == 200 and audit.json()["entries"], str(audit)
    metrics = request("GET", server.url + "/metrics").text
    assert "wheelhouse_gc_collected_bytes_total" in metrics


def test_gc_needs_a_server_admin(server):
    r = server.api.call("POST", "/gc", {"dryRun": True}, token=None)
    assert r.status == 401, str(r)
    r = server.api.call("POST", "/gc", {"graceSeconds": -1})
    assert r.status == 400, str(r)

"""Remote files: HEAD without a download, Range, PEP 658 core metadata (extracted or proxied),
and files the upstream lists without a sha256."""

import hashlib

from remote_fixtures import *  # noqa: F401,F403
from whclient import parse_anchors
from whpackages import wheel_metadata_bytes


def add_wheel(upstream, tmp_path, name, version="1.0", payload=256 << 10, **attrs):
    path = random_wheel(tmp_path / f"{name}-{version}-py3-none-any.whl", name, version, payload)
    upstream.add(name, path.name, path.read_bytes(), **attrs)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_head_of_an_uncached_file_does_not_download_it(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whhead", payload=4 << 20)
    url = remote_files(server, remote, "whhead")[wheel.name]["url"]
    r = fetch(url, method="HEAD", timeout=30)
    assert r.status == 200 and r.content_length == wheel.stat().st_size, r
    assert upstream.count(file_path(wheel.name), "GET") == 0, [(s.method, s.path) for s in upstream.requests()]
    # Still downloads normally afterwards.
    r = fetch(url, timeout=60, keep=0)
    assert r.complete and r.sha256 == sha(wheel.read_bytes()), r


def test_head_of_an_uncached_file_the_page_gives_no_size_for(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whheadless", payload=4 << 20, list_size=False)
    url = remote_files(server, remote, "whheadless")[wheel.name]["url"]
    r = fetch(url, method="HEAD", timeout=30)
    assert r.status == 200 and r.content_length == wheel.stat().st_size, r
    assert upstream.count(file_path(wheel.name), "GET") == 0, [(s.method, s.path) for s in upstream.requests()]


def test_range_on_a_cached_file(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whrange", payload=1 << 20)
    data = wheel.read_bytes()
    url = remote_files(server, remote, "whrange")[wheel.name]["url"]
    assert fetch(url, timeout=60, keep=0).complete
    for header, lo, hi in (("bytes=100-199", 100, 200), ("bytes=-4096", len(data) - 4096, len(data)),
                           (f"bytes={len(data) - 10}-", len(data) - 10, len(data))):
        r = fetch(url, headers={"Range": header, "Accept-Encoding": "identity"}, timeout=30)
        assert r.status == 206, f"{header}: {r}"
        assert r.body == data[lo:hi] and r.content_length == hi - lo, f"{header}: {r.status} {r.content_length}"
        assert r.headers.get("content-range") == f"bytes {lo}-{hi - 1}/{len(data)}", r.headers
    assert upstream.count(file_path(wheel.name)) == 1


def test_range_on_an_uncached_file(server, upstream, remote, tmp_path):
    """uv reads METADATA out of wheels with Range requests, cached or not."""
    wheel = add_wheel(upstream, tmp_path, "whrange2", payload=1 << 20)
    data = wheel.read_bytes()
    url = remote_files(server, remote, "whrange2")[wheel.name]["url"]
    r = fetch(url, headers={"Range": "bytes=-8192", "Accept-Encoding": "identity"}, timeout=60)
    assert r.status == 206 and r.body == data[-8192:], f"{r.status} {r.content_length} {r.error}"
    assert r.headers.get("content-range") == f"bytes {len(data) - 8192}-{len(data) - 1}/{len(data)}", r.headers
    assert upstream.count(file_path(wheel.name)) == 1
    r = fetch(url, headers={"Range": "bytes=0-99"}, timeout=60)
    assert r.status == 206 and r.body == data[:100], r
    assert upstream.count(file_path(wheel.name)) == 1


def test_core_metadata_extracted_when_the_upstream_has_none(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whmeta")
    meta = wheel_metadata_bytes(wheel)
    entry = remote_files(server, remote, "whmeta")[wheel.name]
    # Not advertised before the wheel is cached (advertising a metadata file that 404s breaks uv).
    assert "core-metadata" not in entry and "dist-info-metadata" not in entry, entry

    r = fetch(entry["url"], timeout=60, keep=0)
    assert r.complete and r.sha256 == sha(wheel.read_bytes()), r

    entry = remote_files(server, remote, "whmeta")[wheel.name]
    assert entry.get("core-metadata") == {"sha256": sha(meta)}, entry
    assert entry.get("dist-info-metadata") == {"sha256": sha(meta)}, entry
    anchors = {a["_text"].strip(): a for a in parse_anchors(remote_page(server, remote, "whmeta", accept="text/html").text)}
    assert anchors[wheel.name].get("data-core-metadata") == f"sha256={sha(meta)}", anchors[wheel.name]
    assert anchors[wheel.name].get("data-dist-info-metadata") == f"sha256={sha(meta)}", anchors[wheel.name]
    r = fetch(entry["url"] + ".metadata", timeout=30)
    assert r.status == 200 and r.body == meta, r
    assert upstream.count(metadata_path(wheel.name), None) == 0


def test_core_metadata_proxied_from_the_upstream(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whmeta2")
    meta = wheel_metadata_bytes(wheel)
    upstream.update(wheel.name, metadata=meta)
    entry = remote_files(server, remote, "whmeta2")[wheel.name]
    assert entry.get("core-metadata") == {"sha256": sha(meta)}, entry
    anchors = {a["_text"].strip(): a for a in parse_anchors(remote_page(server, remote, "whmeta2", accept="text/html").text)}
    assert anchors[wheel.name].get("data-core-metadata") == f"sha256={sha(meta)}", anchors[wheel.name]

    for _ in range(2):
        r = fetch(entry["url"] + ".metadata", timeout=30)
        assert r.status == 200 and r.body == meta, r
    assert upstream.count(metadata_path(wheel.name)) == 1, "the metadata file was not cached"
    assert upstream.count(file_path(wheel.name)) == 0, "the wheel was downloaded to serve its metadata"


def test_wrong_core_metadata_from_the_upstream_is_refused(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whmeta3")
    meta = wheel_metadata_bytes(wheel)
    upstream.update(wheel.name, metadata=meta)
    upstream.corrupt(metadata_path(wheel.name))
    entry = remote_files(server, remote, "whmeta3")[wheel.name]
    r = fetch(entry["url"] + ".metadata", timeout=30)
    assert r.status in (502, 504), r
    upstream.clear()
    r = fetch(entry["url"] + ".metadata", timeout=30)
    assert r.status == 200 and r.body == meta, r


def test_file_listed_without_sha256(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whnohash", list_sha256=False)
    data = wheel.read_bytes()
    entry = remote_files(server, remote, "whnohash")[wheel.name]
    assert "sha256" not in entry["hashes"], entry
    assert entry["href"] == f"../../files/-/{wheel.name}", entry

    r = fetch(entry["url"], timeout=60, keep=0)
    assert r.complete and r.sha256 == sha(data), r

    # Hashed on arrival: the page now carries the hash, and the file is served from the cache.
    entry = remote_files(server, remote, "whnohash")[wheel.name]
    assert entry["hashes"].get("sha256") == sha(data), entry
    r = fetch(entry["url"], timeout=60, keep=0)
    assert r.complete and r.sha256 == sha(data), r
    assert upstream.count(file_path(wheel.name)) == 1


def test_unlisted_or_mismatched_files_are_404(server, upstream, remote, tmp_path):
    wheel = add_wheel(upstream, tmp_path, "whlisted")
    entry = remote_files(server, remote, "whlisted")[wheel.name]
    base = f"{server.url}/{remote}/files"
    assert fetch(f"{base}/{'0' * 64}/{wheel.name}", timeout=30).status == 404
    assert fetch(f"{base}/{sha(wheel.read_bytes())}/whlisted-9.9-py3-none-any.whl", timeout=30).status == 404
    assert fetch(entry["url"], timeout=60, keep=0).complete
    assert fetch(f"{base}/{'0' * 64}/{wheel.name}", timeout=30).status == 404
    assert upstream.count(file_path(wheel.name)) == 1

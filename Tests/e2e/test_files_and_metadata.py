"""Distribution files and PEP 658 core metadata: bytes, hashes, HEAD, Range, caching headers."""

import hashlib
import http.client
import re

import pytest

from whclient import html_files, json_files, request
from whmultipart import upload
from whpackages import sha256_file, wheel_metadata_bytes


@pytest.fixture(scope="module")
def frepo(server, alpha10, beta10):
    name = server.new_repo("files")
    for f in alpha10.files + beta10.files:
        r = upload(server.url, name, f, server.admin_token)
        assert r.status == 200, str(r)
    return name


@pytest.mark.parametrize("which", ["alpha", "beta"])
def test_metadata_file_matches_wheel_and_advertised_hash(server, frepo, alpha10, beta10, which):
    dist = alpha10 if which == "alpha" else beta10
    project = "whalpha" if which == "alpha" else "whbeta"
    expected = wheel_metadata_bytes(dist.wheel)
    expected_sha = hashlib.sha256(expected).hexdigest()

    jf = json_files(server.url, frepo, project)[dist.wheel.name]
    assert jf.get("core-metadata") == {"sha256": expected_sha}, jf
    assert jf.get("dist-info-metadata") == {"sha256": expected_sha}, jf

    hf = html_files(server.url, frepo, project)[dist.wheel.name]
    assert hf.get("data-core-metadata") == f"sha256={expected_sha}", hf
    assert hf.get("data-dist-info-metadata") == f"sha256={expected_sha}", hf
    assert hf["href"].split("#")[0] == jf["url"]

    r = request("GET", jf["url"] + ".metadata")
    assert r.status == 200, str(r)
    assert r.body == expected, "served METADATA differs from the wheel's"
    assert hashlib.sha256(r.body).hexdigest() == expected_sha
    assert r.header("Content-Length") == str(len(expected))

    h = request("HEAD", jf["url"] + ".metadata")
    assert h.status == 200 and h.body == b"" and h.header("Content-Length") == str(len(expected)), str(h)


def test_sdist_does_not_advertise_missing_metadata(server, frepo, alpha10):
    # Advertising metadata that then 404s breaks uv: whatever is advertised must be served.
    jf = json_files(server.url, frepo, "whalpha")[alpha10.sdist.name]
    hf = html_files(server.url, frepo, "whalpha")[alpha10.sdist.name]
    advertised = jf.get("core-metadata", False)
    assert bool(advertised) == ("data-core-metadata" in hf), (jf, hf)
    if advertised:
        r = request("GET", jf["url"] + ".metadata")
        assert r.status == 200 and hashlib.sha256(r.body).hexdigest() == advertised["sha256"], str(r)


def test_file_entries(server, frepo, alpha10):
    page = request("GET", f"{server.url}/{frepo}/simple/whalpha/",
                   headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    major, minor = (int(x) for x in page["meta"]["api-version"].split(".")[:2])
    assert (major, minor) >= (1, 1), page["meta"]
    assert page["versions"] == ["1.0"], page
    for p in alpha10.files:
        f = json_files(server.url, frepo, "whalpha")[p.name]
        assert f["hashes"]["sha256"] == sha256_file(p)
        # PEP 691: hash names are hashlib.new() names; pip rejects a file with one it does not know.
        for algo, value in f["hashes"].items():
            try:
                assert hashlib.new(algo, p.read_bytes()).hexdigest() == value, (algo, f["hashes"])
            except ValueError:
                pytest.fail(f"hash name {algo!r} is not a hashlib name (pip: 'Unknown hash name'): {f['hashes']}")
        assert f["size"] == p.stat().st_size
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", f["upload-time"]), f
        assert f["requires-python"] == ">=3.8"

        a = html_files(server.url, frepo, "whalpha")[p.name]
        assert a["href"].endswith("#sha256=" + sha256_file(p)), a
        assert a["data-requires-python"] == ">=3.8", a


def test_requires_python_is_escaped_in_html(server, frepo):
    r = request("GET", f"{server.url}/{frepo}/simple/whalpha/", headers={"Accept": "text/html"})
    assert 'data-requires-python="&gt;=3.8"' in r.text, r.text


def test_download_get_head_and_headers(server, frepo, alpha10):
    for p in alpha10.files:
        url = json_files(server.url, frepo, "whalpha")[p.name]["url"]
        data = p.read_bytes()
        r = request("GET", url)
        assert r.status == 200, str(r)
        assert r.body == data
        assert r.header("Content-Length") == str(len(data))
        etag = r.header("ETag") or ""
        assert etag.startswith('"') and not etag.startswith("W/"), f"strong ETag expected: {etag!r}"
        cc = (r.header("Cache-Control") or "").lower()
        assert "immutable" in cc, cc
        m = re.search(r"max-age=(\d+)", cc)
        assert m and int(m.group(1)) >= 86400, cc

        h = request("HEAD", url)
        assert h.status == 200, str(h)
        assert h.body == b""
        assert h.header("Content-Length") == str(len(data))
        assert h.header("ETag") == etag


@pytest.mark.parametrize("spec, slicer", [
    ("bytes=0-99", lambda n: (0, 99)),
    ("bytes=100-199", lambda n: (100, 199)),
    ("bytes=-64", lambda n: (n - 64, n - 1)),          # suffix range: how zip readers find the central directory
    ("bytes=500-", lambda n: (500, n - 1)),
    ("bytes=0-999999999", lambda n: (0, n - 1)),      # past the end is clamped
])
def test_range_requests(server, frepo, alpha10, spec, slicer):
    data = alpha10.wheel.read_bytes()
    url = json_files(server.url, frepo, "whalpha")[alpha10.wheel.name]["url"]
    start, end = slicer(len(data))
    r = request("GET", url, headers={"Range": spec, "Accept-Encoding": "identity"})
    assert r.status == 206, str(r)
    assert r.header("Content-Range") == f"bytes {start}-{end}/{len(data)}", str(r)
    assert r.header("Content-Length") == str(end - start + 1)
    assert r.body == data[start:end + 1]


def test_range_on_metadata_file(server, frepo, alpha10):
    expected = wheel_metadata_bytes(alpha10.wheel)
    url = json_files(server.url, frepo, "whalpha")[alpha10.wheel.name]["url"] + ".metadata"
    r = request("GET", url, headers={"Range": "bytes=0-9"})
    assert r.status == 206 and r.body == expected[:10], str(r)


def test_unsatisfiable_range(server, frepo, alpha10):
    size = alpha10.wheel.stat().st_size
    url = json_files(server.url, frepo, "whalpha")[alpha10.wheel.name]["url"]
    r = request("GET", url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert r.status == 416, str(r)


def test_unknown_files_are_404(server, frepo, alpha10):
    sha = sha256_file(alpha10.wheel)
    name = alpha10.wheel.name
    for path in [
        f"/{frepo}/files/{'0' * 64}/{name}",
        f"/{frepo}/files/{'0' * 64}/{name}.metadata",
        f"/{frepo}/files/{sha}/whalpha-9.9-py3-none-any.whl",
        f"/{frepo}/files/{sha}/whalpha-9.9-py3-none-any.whl.metadata",
        f"/{server.new_repo('empty')}/files/{sha}/{name}",  # stored, but in another repository
    ]:
        for method in ("GET", "HEAD"):
            r = request(method, server.url + path)
            assert r.status == 404, f"{method} {path}: {r}"
    # A missing repository: 401 to anonymous clients, as a private one answers (docs/security.md).
    for method in ("GET", "HEAD"):
        assert request(method, server.url + f"/no-such-repo/files/{sha}/{name}").status == 401


@pytest.mark.parametrize("cache_mib", ["16", "0"])
def test_small_files_are_served_from_memory_once_read(start_server, alpha10, cache_mib):
    """The per-node small-blob cache (WHEELHOUSE_BLOB_CACHE_MIB): once read whole, a small wheel and
    its .metadata are served without the store; with 0 every read goes to the store. The blob files
    are taken away behind the server's back to tell the two apart."""
    server = start_server(env={"WHEELHOUSE_BLOB_CACHE_MIB": cache_mib})
    name = server.new_repo("blobcache")
    assert upload(server.url, name, alpha10.wheel, server.admin_token).status == 200
    url = json_files(server.url, name, "whalpha")[alpha10.wheel.name]["url"]
    wheel = alpha10.wheel.read_bytes()
    metadata = wheel_metadata_bytes(alpha10.wheel)
    assert len(wheel) < 64 << 10
    assert request("GET", url).body == wheel
    assert request("GET", url + ".metadata").body == metadata
    blobs = list((server.data_dir / "blobs").rglob("*"))
    removed = [p for p in blobs if p.is_file() and p.name in (sha256_file(alpha10.wheel),
                                                                 hashlib.sha256(metadata).hexdigest())]
    assert len(removed) == 2, blobs
    for p in removed:
        p.unlink()
    r = _get_or_none(url, {"Range": "bytes=0-9"})
    m = _get_or_none(url + ".metadata")
    if cache_mib == "0":
        # The store has lost the bytes: an error status, or a response cut after its headers.
        assert r is None or r.status >= 400, str(r)
        assert m is None or m.status >= 400, str(m)
    else:
        assert r is not None and r.status == 206 and r.body == wheel[:10], str(r)
        assert m is not None and m.status == 200 and m.body == metadata, str(m)


def _get_or_none(url: str, headers: dict | None = None):
    """The response, or None when the connection broke before the whole body arrived."""
    try:
        return request("GET", url, headers=headers)
    except (http.client.HTTPException, ConnectionError):
        return None

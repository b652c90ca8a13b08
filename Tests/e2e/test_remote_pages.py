"""Remote project pages: freshness, revalidation, the negative cache, one refresh for many
clients, the root list, and every upstream attribute kept."""

import hashlib
import time

import pytest
from packaging.version import Version

from remote_fixtures import *  # noqa: F401,F403
from whclient import HTML_TYPE, JSON_TYPE, PIP_ACCEPT, UV_ACCEPT, get_html_page, get_json_page, parse_anchors


def seen(upstream, path):
    return [(s.method, s.status, s.headers.get("if-none-match"), s.headers.get("if-modified-since"))
            for s in upstream.requests(path, None)]


# -- freshness and revalidation ---------------------------------------------------------

def test_fresh_page_costs_one_upstream_request(server, upstream, remote, tmp_path):
    upstream.add("whfresh", *wheel_bytes(tmp_path, "whfresh", "1.0"))
    for accept in (PIP_ACCEPT, UV_ACCEPT, JSON_TYPE, HTML_TYPE, "text/html", "*/*") * 2:
        r = remote_page(server, remote, "whfresh", accept=accept)
        assert r.status == 200, str(r)
    assert upstream.count(page_path("whfresh"), None) == 1, seen(upstream, page_path("whfresh"))
    # Asked for with pip's Accept list: JSON first.
    assert upstream.requests(page_path("whfresh"))[0].headers.get("accept", "").startswith(
        "application/vnd.pypi.simple.v1+json")


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_revalidation_after_ttl(server, upstream, tmp_path, validator):
    """TTL 0 from the start: each request revalidates; a 304 keeps the page, a change shows."""
    upstream.send_etag = validator == "etag"
    path = page_path("whrev")
    upstream.add("whrev", *wheel_bytes(tmp_path, "whrev", "1.0"))
    repo = create_remote(server, upstream.simple_url, metadataTTL=0)

    first = remote_page(server, repo, "whrev", accept=JSON_TYPE)
    assert first.status == 200, str(first)
    [initial] = upstream.requests(path)
    assert not initial.conditional and initial.status == 200

    second = remote_page(server, repo, "whrev", accept=JSON_TYPE)
    assert second.status == 200 and not second.header(STALE_HEADER), str(second)
    assert second.json() == first.json()
    revalidation = upstream.requests(path)[-1]
    assert len(upstream.requests(path)) == 2 and revalidation.conditional, seen(upstream, path)
    if validator == "etag":
        assert revalidation.headers.get("if-none-match") == initial.sent["etag"], seen(upstream, path)
    else:
        assert revalidation.headers.get("if-modified-since") == initial.sent["last-modified"], seen(upstream, path)
    assert revalidation.status == 304

    # A new release upstream: the next revalidation gets a 200 and the page shows it.
    upstream.add("whrev", *wheel_bytes(tmp_path, "whrev", "2.0"))
    third = remote_page(server, repo, "whrev", accept=JSON_TYPE)
    assert third.status == 200, str(third)
    assert upstream.requests(path)[-1].status == 200 and upstream.requests(path)[-1].conditional
    assert [f["filename"] for f in third.json()["files"]] == ["whrev-1.0-py3-none-any.whl", "whrev-2.0-py3-none-any.whl"]
    assert third.json()["versions"] == ["1.0", "2.0"]
    assert third.header("ETag") != first.header("ETag")


def test_patch_ttl_zero_forces_revalidation(server, upstream, remote, tmp_path):
    path = page_path("whpatch")
    upstream.add("whpatch", *wheel_bytes(tmp_path, "whpatch", "1.0"))
    for _ in range(3):
        assert remote_page(server, remote, "whpatch").status == 200
    assert upstream.count(path) == 1

    patch_remote(server, remote, metadataTTL=0)
    r = remote_page(server, remote, "whpatch")
    assert r.status == 200, str(r)
    assert upstream.count(path) == 2, f"no revalidation after PATCH metadataTTL 0: {seen(upstream, path)}"
    last = upstream.requests(path)[-1]
    assert last.conditional and last.status == 304, seen(upstream, path)

    upstream.add("whpatch", *wheel_bytes(tmp_path, "whpatch", "1.1"))
    files = remote_files(server, remote, "whpatch")
    assert "whpatch-1.1-py3-none-any.whl" in files, sorted(files)


def test_negative_cache(server, upstream, remote, tmp_path):
    path = page_path("whlater")
    for _ in range(2):
        r = remote_page(server, remote, "whlater", accept=JSON_TYPE)
        assert r.status == 404 and r.content_type == "application/json" and r.json()["error"], str(r)
    assert upstream.count(path) == 1, seen(upstream, path)

    # Published upstream meanwhile: still 404 while the negative entry is fresh (negativeTTL 60).
    upstream.add("whlater", *wheel_bytes(tmp_path, "whlater", "1.0"))
    assert remote_page(server, remote, "whlater").status == 404
    assert upstream.count(path) == 1

    patch_remote(server, remote, negativeTTL=0)
    r = remote_page(server, remote, "whlater", accept=JSON_TYPE)
    assert r.status == 200, f"PATCH negativeTTL 0 did not expire the 404: {r}\n{seen(upstream, path)}"
    assert upstream.count(path) == 2


def test_negative_cache_expires(server, upstream, tmp_path):
    repo = create_remote(server, upstream.simple_url, negativeTTL=1)
    assert remote_page(server, repo, "whsoon").status == 404
    upstream.add("whsoon", *wheel_bytes(tmp_path, "whsoon", "1.0"))
    assert remote_page(server, repo, "whsoon").status == 404
    time.sleep(1.5)
    assert remote_page(server, repo, "whsoon").status == 200
    assert upstream.count(page_path("whsoon")) == 2


def test_concurrent_requests_for_a_missing_page(server, upstream, remote, tmp_path):
    upstream.add("whcrowd", *wheel_bytes(tmp_path, "whcrowd", "1.0"))
    upstream.delay(page_path("whcrowd"), 1.0)
    results = fetch_many(f"{server.url}/{remote}/simple/whcrowd/", 32, timeout=60, headers={"Accept": PIP_ACCEPT})
    assert all(r.complete for r in results), [(r.status, r.error) for r in results]
    assert len({r.sha256 for r in results}) == 1
    assert upstream.count(page_path("whcrowd")) == 1, seen(upstream, page_path("whcrowd"))


def test_concurrent_requests_for_a_stale_page(server, upstream, tmp_path):
    repo = create_remote(server, upstream.simple_url, metadataTTL=2)
    upstream.add("whcrowd", *wheel_bytes(tmp_path, "whcrowd", "1.0"))
    assert remote_page(server, repo, "whcrowd").status == 200
    time.sleep(2.5)
    upstream.delay(page_path("whcrowd"), 1.0)
    results = fetch_many(f"{server.url}/{repo}/simple/whcrowd/", 32, timeout=60, headers={"Accept": PIP_ACCEPT})
    assert all(r.complete for r in results), [(r.status, r.error) for r in results]
    assert upstream.count(page_path("whcrowd")) == 2, seen(upstream, page_path("whcrowd"))


def test_concurrent_requests_for_a_missing_project(server, upstream, remote):
    upstream.delay(page_path("whnobody"), 1.0)
    results = fetch_many(f"{server.url}/{remote}/simple/whnobody/", 16, timeout=60, headers={"Accept": PIP_ACCEPT})
    assert {r.status for r in results} == {404}, [(r.status, r.error) for r in results]
    assert upstream.count(page_path("whnobody")) == 1, seen(upstream, page_path("whnobody"))


# -- the root list ---------------------------------------------------------------------

def test_root_lists_cached_projects_only(server, upstream, remote, tmp_path):
    for name in ("Wh.Listed", "whunasked"):
        upstream.add(name, *wheel_bytes(tmp_path, name.lower().replace(".", "_"), "1.0"))
    r = get_json_page(server.url, remote)
    assert r.status == 200 and r.json()["projects"] == [], str(r)

    assert remote_page(server, remote, "wh-listed").status == 200
    assert remote_page(server, remote, "whmissing").status == 404
    r = get_json_page(server.url, remote)
    assert r.status == 200, str(r)
    assert [p["name"] for p in r.json()["projects"]] == ["Wh.Listed"], r.json()
    r = get_html_page(server.url, remote)
    assert r.status == 200, str(r)
    assert [a["_text"].strip() for a in parse_anchors(r.text)] == ["Wh.Listed"], r.text
    assert upstream.count("/simple/", None) == 0


# -- attributes ------------------------------------------------------------------------

def attribute_files(tmp_path):
    """(project, filename, data, attrs): yanked with and without reason, requires-python, upload-time, pre/dev releases."""
    def wheel(version, **attrs):
        fn, data = wheel_bytes(tmp_path, "whattr", version)
        return fn, data, attrs

    def sdist(version, **attrs):
        return f"whattr-{version}.tar.gz", hashlib.sha256(version.encode()).digest() * 8, attrs

    # Added out of order: the versions list must still be PEP 440 sorted.
    return [
        wheel("1.10", requires_python=">=3.9,!=3.9.1", upload_time="2024-03-01T10:00:00.000001Z"),
        wheel("1.0", yanked='broken "build" <b>&amp;', requires_python=">=3.8,<4",
              upload_time="2024-01-02T03:04:05.123456Z"),
        sdist("1.0", yanked=True, requires_python=">=3.8,<4", upload_time="2024-01-02T03:04:06Z"),
        wheel("1.9", upload_time="2024-02-01T00:00:00Z"),
        wheel("1.0rc1", yanked="pre-release pulled"),
        sdist("2.0.dev1", requires_python="~=3.10"),
    ]


def check_attributes(server, repo, upstream, files, upload_time: bool):
    expected = {fn: (data, attrs) for fn, data, attrs in files}
    page = remote_page(server, repo, "whattr", accept=JSON_TYPE)
    assert page.status == 200, str(page)
    doc = page.json()
    assert upstream.url not in page.text and f":{upstream.port}" not in page.text, "an upstream URL leaked:\n" + page.text
    assert doc["versions"] == sorted({f[0].split("-")[1].removesuffix(".tar.gz") for f in files}, key=Version), doc["versions"]
    assert sorted(f["filename"] for f in doc["files"]) == sorted(expected)
    for f in doc["files"]:
        data, attrs = expected[f["filename"]]
        digest = hashlib.sha256(data).hexdigest()
        assert f["hashes"] == {"sha256": digest}, f
        assert f["url"] == f"../../files/{digest}/{f['filename']}", f
        assert f.get("requires-python") == attrs.get("requires_python"), f
        assert f.get("yanked", False) == attrs.get("yanked", False), f
        if upload_time:
            assert f.get("upload-time") == attrs.get("upload_time"), f
            assert f.get("size") == len(data), f

    r = remote_page(server, repo, "whattr", accept="text/html")
    assert r.status == 200 and r.content_type == "text/html", str(r)
    anchors = {a["_text"].strip(): a for a in parse_anchors(r.text)}
    assert sorted(anchors) == sorted(expected)
    for fn, a in anchors.items():
        data, attrs = expected[fn]
        digest = hashlib.sha256(data).hexdigest()
        assert a["href"] == f"../../files/{digest}/{fn}#sha256={digest}", a
        assert a.get("data-requires-python") == attrs.get("requires_python"), a
        yanked = attrs.get("yanked")
        assert a.get("data-yanked") == (None if not yanked else "" if yanked is True else yanked), a
    # PROTOCOL.md: requires-python is HTML-escaped (the parse above already proves the quotes were).
    assert ">=3.8,<4" not in r.text, r.text


def test_attributes_kept_from_a_json_upstream(server, upstream, remote, tmp_path):
    files = attribute_files(tmp_path)
    for fn, data, attrs in files:
        upstream.add("whattr", fn, data, **attrs)
    check_attributes(server, remote, upstream, files, upload_time=True)
    assert upstream.requests(page_path("whattr"))[0].sent["content-type"] == JSON_TYPE


def test_attributes_kept_from_an_html_upstream(server, make_upstream, tmp_path):
    """PEP 503 HTML upstream with relative links: no upload-time or size to keep, the rest must survive."""
    upstream = make_upstream(url_mode="relative")
    upstream.html_only = True
    files = attribute_files(tmp_path)
    for fn, data, attrs in files:
        upstream.add("whattr", fn, data, **attrs)
    repo = create_remote(server, upstream.simple_url)
    check_attributes(server, repo, upstream, files, upload_time=False)
    assert upstream.requests(page_path("whattr"))[0].sent["content-type"] == "text/html"
    # The relative links were resolved against the upstream page: a file downloads.
    fn, data, _ = files[0]
    r = fetch(remote_files(server, repo, "whattr")[fn]["url"], timeout=60, keep=0)
    assert r.complete and r.sha256 == hashlib.sha256(data).hexdigest(), r

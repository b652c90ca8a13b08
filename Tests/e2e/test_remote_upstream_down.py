"""When the upstream is down, failing or switched off: what is cached keeps working, the rest fails clearly."""

import json
import time

from remote_fixtures import *  # noqa: F401,F403
from whclient import HTML_TYPE, JSON_TYPE, PIP_ACCEPT, Response, get_json_page
from whpackages import sha256_file
from whtools import Venv, pip_install


PIP_TIMEOUT = 15  # pip's default socket timeout, seconds


def index(server, repo):
    return f"{server.url}/{repo}/simple/"


def cache_alpha(server, repo, upstream, dists):
    """Publish the samples upstream; cache the pages of whalpha and whbeta and the whalpha 1.1 wheel only."""
    publish_dists(upstream, dists)
    wheel = dists[("whalpha", "1.1")].wheel
    url = remote_files(server, repo, "whalpha")[wheel.name]["url"]
    r = fetch(url, timeout=60, keep=0)
    assert r.complete and r.sha256 == sha256_file(wheel), r
    beta = remote_files(server, repo, "whbeta")
    return wheel, url, beta[dists[("whbeta", "1.0")].wheel.name]["url"]


def assert_json_error(r, statuses, *words):
    """`r`: a whclient Response or a Fetched: a JSON `{"error": ...}` whose message has `words`."""
    ctype = r.content_type if isinstance(r, Response) else (r.headers or {}).get("content-type", "")
    assert r.status in statuses, str(r)
    assert ctype.startswith("application/json"), str(r)
    message = json.loads(r.body)["error"]
    assert isinstance(message, str) and message, r
    for w in words:
        assert w in message.lower(), f"{w!r} not in the error message {message!r}"
    return message


def assert_stale(r, wheel_name):
    assert r.status == 200, str(r)
    assert r.header(STALE_HEADER), f"no {STALE_HEADER} header on a page the upstream could not refresh:\n{r}"
    assert (r.header("Warning") or "").startswith("110"), f"Warning header: {r.header('Warning')!r}"
    assert wheel_name in r.text, str(r)


def test_upstream_stopped_cached_things_still_served(server, upstream, remote, dists, tmp_path):
    wheel, wheel_url, beta_wheel_url = cache_alpha(server, remote, upstream, dists)
    upstream.stop()

    # Fresh (TTL 600): served as is.
    r = remote_page(server, remote, "whalpha")
    assert r.status == 200 and not r.header(STALE_HEADER), str(r)
    r = fetch(wheel_url, timeout=60)
    assert r.complete and r.sha256 == sha256_file(wheel), r

    # Listed by a cached page, never downloaded: nothing to serve.
    assert_json_error(fetch(beta_wheel_url, timeout=60), (502, 504), "upstream")
    # Never seen at all.
    assert_json_error(remote_page(server, remote, "wh-gamma-pkg", accept=JSON_TYPE), (502, 504), "upstream")

    # A real client installs what is cached.
    venv = Venv.create(tmp_path / "venv")
    res = pip_install(venv, ["--only-binary", ":all:", "--index-url", index(server, remote), "whalpha==1.1"])
    assert res.returncode == 0, str(res)
    assert venv.version_of("whalpha") == "1.1"


def test_upstream_stopped_page_served_stale(server, upstream, dists):
    """metadataTTL 0: every request revalidates; with the upstream refusing connections the stored page is served, marked stale."""
    repo = create_remote(server, upstream.simple_url, metadataTTL=0)
    wheel, _, _ = cache_alpha(server, repo, upstream, dists)
    upstream.stop()
    for accept in (PIP_ACCEPT, HTML_TYPE):
        started = time.monotonic()
        assert_stale(remote_page(server, repo, "whalpha", accept=accept), wheel.name)
        took = time.monotonic() - started
        assert took < PIP_TIMEOUT, f"the stale page took {took:.1f} s: pip gives up after {PIP_TIMEOUT} s"


def test_ttl_patched_to_zero_then_upstream_stopped(server, upstream, remote, dists):
    """PATCH metadataTTL 0 makes a page fetched under TTL 600 due for revalidation at once."""
    wheel, _, _ = cache_alpha(server, remote, upstream, dists)
    upstream.stop()
    patch_remote(server, remote, metadataTTL=0)
    for accept in (PIP_ACCEPT, HTML_TYPE):
        assert_stale(remote_page(server, remote, "whalpha", accept=accept), wheel.name)


def test_upstream_error_serves_stale_page(server, upstream, dists):
    repo = create_remote(server, upstream.simple_url, metadataTTL=0)
    wheel, _, _ = cache_alpha(server, repo, upstream, dists)
    upstream.fail(page_path("whalpha"), 500)
    r = remote_page(server, repo, "whalpha")
    assert_stale(r, wheel.name)
    assert "500" in r.header(STALE_HEADER), f"{STALE_HEADER}: {r.header(STALE_HEADER)!r} does not say why"
    assert upstream.requests(page_path("whalpha"))[-1].status == 500

    # Once the upstream answers again, the page is no longer stale.
    upstream.clear()
    r = remote_page(server, repo, "whalpha")
    assert r.status == 200 and not r.header(STALE_HEADER), str(r)


def test_upstream_error_without_stored_page(server, upstream, remote, dists):
    publish_dists(upstream, dists)
    upstream.fail(page_path("whalpha"), 503)
    assert_json_error(remote_page(server, remote, "whalpha", accept=JSON_TYPE), (502, 504), "upstream", "503")


def test_offline_never_contacts_upstream(server, upstream, dists, tmp_path):
    # TTL 0: the stored pages are due for revalidation, which offline must not do.
    remote = create_remote(server, upstream.simple_url, metadataTTL=0)
    wheel, wheel_url, beta_wheel_url = cache_alpha(server, remote, upstream, dists)
    patch_remote(server, remote, offline=True)
    before = upstream.count(None, None)

    for accept in (PIP_ACCEPT, HTML_TYPE):
        assert_stale(remote_page(server, remote, "whalpha", accept=accept), wheel.name)
    r = fetch(wheel_url, timeout=60)
    assert r.complete and r.sha256 == sha256_file(wheel), r

    # Uncached file, its metadata, uncached project: 404, and no upstream request.
    assert fetch(beta_wheel_url, timeout=60).status == 404
    assert fetch(beta_wheel_url + ".metadata", timeout=60).status == 404
    assert fetch(beta_wheel_url, method="HEAD", timeout=60).status in (200, 404)
    assert remote_page(server, remote, "wh-gamma-pkg").status == 404
    assert remote_page(server, remote, "never-heard-of").status == 404

    venv = Venv.create(tmp_path / "venv")
    res = pip_install(venv, ["--only-binary", ":all:", "--index-url", index(server, remote), "whalpha==1.1"])
    assert res.returncode == 0, str(res)
    res = pip_install(venv, ["--only-binary", ":all:", "--index-url", index(server, remote), "whbeta"])
    assert res.returncode != 0, str(res)

    assert upstream.count(None, None) == before, [(s.method, s.path) for s in upstream.requests()][before:]

    # Back online: the upstream is asked again.
    patch_remote(server, remote, offline=False)
    assert remote_page(server, remote, "whalpha").status == 200
    assert upstream.count(page_path("whalpha")) == 2, [(s.method, s.path) for s in upstream.requests()]


def test_created_offline_is_never_contacted(server, upstream, dists):
    publish_dists(upstream, dists)
    repo = create_remote(server, upstream.simple_url, offline=True)
    r = server.api.call("GET", f"/repositories/{repo}")
    assert r.status == 200 and r.json()["offline"] is True, str(r)
    for project in ("whalpha", "whbeta", "nothing-here"):
        assert remote_page(server, repo, project).status == 404
    r = get_json_page(server.url, repo)
    assert r.status == 200 and r.json()["projects"] == [], str(r)
    assert upstream.count(None, None) == 0, [(s.method, s.path) for s in upstream.requests()]

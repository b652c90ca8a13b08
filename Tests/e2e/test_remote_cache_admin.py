"""Administering remote repositories: create (API and CLI), PATCH, upstream credentials, and the
cache (ls / purge / warm) through the CLI and the REST API."""

import secrets
import uuid

from remote_fixtures import *  # noqa: F401,F403
from whclient import JSON_TYPE, basic, request
from whtools import Venv, cli, pip_install


def wh(server, binary, *args, timeout=120):
    return cli(binary, list(args), url=server.url, token=server.admin_token, timeout=timeout)


def index(server, repo):
    return f"{server.url}/{repo}/simple/"


def sizes(dists, *keys):
    return sum(f.stat().st_size for k in keys for f in dists[k].files)


# -- creating and changing remotes ------------------------------------------------------

def test_cli_creates_a_remote(server, upstream, wheelhouse_bin, dists):
    publish_dists(upstream, dists)
    name = f"cli-remote-{uuid.uuid4().hex[:8]}"
    r = wh(server, wheelhouse_bin, "repo", "create", name, "--type", "remote", "--url", upstream.simple_url, "--ttl", "600")
    assert r.returncode == 0, str(r)
    view = server.api.call("GET", f"/repositories/{name}").json()
    assert view["type"] == "remote" and view["url"] == upstream.simple_url and view["metadataTTL"] == 600, view
    assert view.get("hasCredentials") is False, view
    r = request("GET", f"{server.url}/{name}/simple/whalpha/", timeout=60,
                headers={"Accept": JSON_TYPE, **basic("__token__", server.admin_token)})
    assert r.status == 200 and r.json()["name"] == "whalpha", str(r)


def test_create_rejects_bad_remotes(server):
    base = {"type": "remote", "metadataTTL": 600}
    cases = {
        "no url": {},
        "not http": {"url": "ftp://127.0.0.1/simple/"},
        "no host": {"url": "http:///simple/"},
        "credentials in the url": {"url": "http://user:pw@127.0.0.1:9/simple/"},
        "negative ttl": {"url": "http://127.0.0.1:9/simple/", "metadataTTL": -1},
        "negative negative ttl": {"url": "http://127.0.0.1:9/simple/", "negativeTTL": -5},
    }
    for what, extra in cases.items():
        name = f"bad-{uuid.uuid4().hex[:8]}"
        r = server.api.call("POST", "/repositories", {"name": name, **base, **extra})
        assert r.status == 400 and r.json().get("error"), f"{what}: {r}"
        assert server.api.call("GET", f"/repositories/{name}").status == 404, what


def test_patch_changes_settings(server, upstream, remote, make_upstream, tmp_path):
    r = patch_remote(server, remote, metadataTTL=5, negativeTTL=7, offline=True)
    view = server.api.call("GET", f"/repositories/{remote}").json()
    assert (view["metadataTTL"], view["negativeTTL"], view["offline"]) == (5, 7, True), view
    assert server.api.call("PATCH", f"/repositories/{remote}", {"metadataTTL": -1}).status == 400
    assert server.api.call("PATCH", f"/repositories/{remote}", {"url": "ftp://x/"}).status == 400
    assert server.api.call("PATCH", f"/repositories/no-such-{uuid.uuid4().hex[:6]}", {"offline": True}).status == 404
    assert server.api.call("PATCH", f"/repositories/{remote}", {"offline": False}, token=None).status in (401, 403)

    # A new upstream URL is used from the next fetch on.
    other = make_upstream()
    other.add("whmoved", *wheel_bytes(tmp_path, "whmoved", "1.0"))
    patch_remote(server, remote, url=other.simple_url, offline=False)
    assert remote_page(server, remote, "whmoved").status == 200
    assert other.count(page_path("whmoved")) == 1 and upstream.count(page_path("whmoved"), None) == 0

    # anonymousRead applies to remotes too.
    patch_remote(server, remote, anonymousRead=False)
    r = remote_page(server, remote, "whmoved")
    assert r.status == 401 and r.header("WWW-Authenticate"), str(r)


def test_upstream_credentials_are_used_and_never_shown(server, upstream, dists, tmp_path):
    password = "pw-" + secrets.token_hex(12)
    upstream.require_auth("mirror-user", password)
    publish_dists(upstream, dists)

    anonymous = create_remote(server, upstream.simple_url)
    r = remote_page(server, anonymous, "whalpha")
    assert r.status in (502, 504) and "401" in r.json()["error"], str(r)

    repo = create_remote(server, upstream.simple_url, username="mirror-user", password=password)
    for r in (server.api.call("GET", f"/repositories/{repo}"), server.api.call("GET", "/repositories")):
        assert r.status == 200 and password not in r.text, str(r)
    view = server.api.call("GET", f"/repositories/{repo}").json()
    assert view["hasCredentials"] is True and "password" not in view, view

    venv = Venv.create(tmp_path / "venv")
    res = pip_install(venv, ["--index-url", index(server, repo), "whbeta"])
    assert res.returncode == 0, str(res)
    assert all(s.headers.get("authorization", "").startswith("Basic ") for s in upstream.requests()
               if s.status == 200), [(s.path, s.status) for s in upstream.requests()]
    assert password not in server.log_text(), "the upstream password is in the server log"


# -- the cache -----------------------------------------------------------------------

def test_cache_ls_purge_warm_with_the_cli(server, upstream, remote, dists, wheelhouse_bin, tmp_path):
    publish_dists(upstream, dists)
    alpha11, beta10 = dists[("whalpha", "1.1")], dists[("whbeta", "1.0")]

    r = wh(server, wheelhouse_bin, "cache", "ls", remote)
    assert r.returncode == 0 and "whalpha" not in r.stdout, str(r)

    assert remote_page(server, remote, "whalpha").status == 200
    assert fetch(remote_files(server, remote, "whalpha")[alpha11.wheel.name]["url"], timeout=60, keep=0).complete
    r = wh(server, wheelhouse_bin, "cache", "ls", remote)
    assert r.returncode == 0 and "whalpha" in r.stdout and "whbeta" not in r.stdout, str(r)

    # purge: the next request refetches the page, although it was fresh.
    pages = upstream.count(page_path("whalpha"))
    r = wh(server, wheelhouse_bin, "cache", "purge", remote, "whalpha")
    assert r.returncode == 0, str(r)
    assert remote_page(server, remote, "whalpha").status == 200
    assert upstream.count(page_path("whalpha")) == pages + 1

    # warm: pages and the files of the newest matching versions, then no upstream needed.
    req = tmp_path / "requirements.txt"
    req.write_text("# warmed for the offline install\nwhalpha\nwhbeta>=1.0\n")
    r = wh(server, wheelhouse_bin, "cache", "warm", remote, "-r", req, timeout=300)
    assert r.returncode == 0, str(r)
    for f in alpha11.files + beta10.files:
        assert upstream.count(file_path(f.name)) == 1, (f.name, upstream.count(file_path(f.name)))
    for f in dists[("whalpha", "1.0")].files:
        assert upstream.count(file_path(f.name)) == 0, f.name
    r = wh(server, wheelhouse_bin, "cache", "ls", remote)
    assert r.returncode == 0 and "whalpha" in r.stdout and "whbeta" in r.stdout, str(r)

    upstream.stop()
    venv = Venv.create(tmp_path / "venv")
    res = pip_install(venv, ["--index-url", index(server, remote), "whbeta"])
    assert res.returncode == 0, str(res)
    assert venv.version_of("whalpha") == "1.1" and venv.version_of("whbeta") == "1.0"


def test_cache_cli_errors(server, remote, wheelhouse_bin, tmp_path):
    local = server.new_repo()
    missing = tmp_path / "missing.txt"
    for args in (("cache", "ls", f"no-such-{uuid.uuid4().hex[:6]}"), ("cache", "ls", local),
                 ("cache", "warm", remote, "-r", missing)):
        r = wh(server, wheelhouse_bin, *args)
        assert r.returncode != 0 and r.stderr.strip(), str(r)
    r = cli(wheelhouse_bin, ["cache", "ls", remote], url=server.url, token="wrong")
    assert r.returncode != 0, str(r)


def test_cache_rest_api(server, upstream, remote, dists):
    publish_dists(upstream, dists)
    alpha11 = dists[("whalpha", "1.1")]
    api = server.api
    r = api.call("GET", f"/repositories/{remote}/cache")
    assert r.status == 200 and r.json() == {"projects": []}, str(r)

    assert fetch(remote_files(server, remote, "whalpha")[alpha11.wheel.name]["url"], timeout=60, keep=0).complete
    assert remote_page(server, remote, "whnothere").status == 404
    r = api.call("GET", f"/repositories/{remote}/cache")
    assert r.status == 200, str(r)
    projects = {p["name"]: p for p in r.json()["projects"]}
    assert set(projects) == {"whalpha", "whnothere"}, projects
    alpha = projects["whalpha"]
    assert alpha["found"] is True and alpha["cachedFiles"] == 1, alpha
    assert alpha["cachedBytes"] == alpha11.wheel.stat().st_size, alpha
    assert alpha["fetchedAt"] < alpha["freshUntil"], alpha
    assert projects["whnothere"]["found"] is False and projects["whnothere"]["cachedFiles"] == 0

    # Purge, then the page is fetched again.
    assert api.call("DELETE", f"/repositories/{remote}/cache/whalpha").status == 204
    names = [p["name"] for p in api.call("GET", f"/repositories/{remote}/cache").json()["projects"]]
    assert "whalpha" not in names, names
    before = upstream.count(page_path("whalpha"))
    assert remote_page(server, remote, "whalpha").status == 200
    assert upstream.count(page_path("whalpha")) == before + 1

    # Warm.
    r = api.call("POST", f"/repositories/{remote}/cache/warm", {"requirements": ["whalpha", "whbeta>=1.0"]})
    assert r.status == 200, str(r)
    report = r.json()
    expected_bytes = sizes(dists, ("whalpha", "1.1"), ("whbeta", "1.0"))
    assert (report["projects"], report["files"], report["bytes"], report["errors"]) == (2, 4, expected_bytes, []), report
    for f in dists[("whbeta", "1.0")].files:
        assert upstream.count(file_path(f.name)) == 1, f.name

    # Warming what is cached already downloads nothing.
    downloads = upstream.count(None)
    r = api.call("POST", f"/repositories/{remote}/cache/warm", {"requirements": ["whbeta==1.0"]})
    assert r.status == 200 and r.json()["errors"] == [], str(r)
    assert upstream.count(None) == downloads

    r = api.call("POST", f"/repositories/{remote}/cache/warm", {"requirements": ["does-not-exist"]})
    assert r.status == 200, str(r)
    errors = r.json()["errors"]
    assert len(errors) == 1 and "does-not-exist" in errors[0], errors


def test_warm_reports_a_requirement_nothing_matches(server, upstream, remote, dists):
    """A requirement no version satisfies is an error: the install it prepares would fail."""
    publish_dists(upstream, dists)
    r = server.api.call("POST", f"/repositories/{remote}/cache/warm", {"requirements": ["whalpha>=9"]})
    assert r.status == 200, str(r)
    report = r.json()
    assert report["files"] == 0 and len(report["errors"]) == 1 and "whalpha" in report["errors"][0], report


def test_cache_endpoints_access(server, upstream, remote):
    """docs/api.md: readers list the cache, writers purge and warm; only remote repositories have one."""
    private = create_remote(server, upstream.simple_url, anonymousRead=False)
    local = server.new_repo()
    api = server.api
    assert api.call("GET", f"/repositories/{remote}/cache", token=None).status == 200
    assert api.call("GET", f"/repositories/{private}/cache", token=None).status == 401
    assert api.call("GET", f"/repositories/{private}/cache").status == 200
    assert api.call("DELETE", f"/repositories/{remote}/cache/whalpha", token=None).status == 401
    assert api.call("DELETE", f"/repositories/{remote}/cache/whalpha", token="wrong").status == 401
    assert api.call("POST", f"/repositories/{remote}/cache/warm", {"requirements": []}, token=None).status == 401
    assert api.call("GET", f"/repositories/{local}/cache").status == 400
    assert api.call("GET", f"/repositories/no-such-{uuid.uuid4().hex[:6]}/cache").status == 404
    assert upstream.count(None, None) == 0

"""The dependency-confusion guard: a local `requests` 99.0 hides the remote `requests`, unless the
virtual's `allowRemote` patterns let the remote in; the upstream is not even asked."""

import pytest

from virtual_fixtures import *  # noqa: F401,F403
from whclient import PIP_ACCEPT, UV_ACCEPT, html_files
from whtools import Venv, cli, pip_install, uv_env, uv_pip_install


def page_requests(upstream):
    return [(s.method, s.path, s.status) for s in upstream.requests(page_path("requests"), None)]


def local_names(requests99):
    return sorted(p.name for p in requests99.files)


@pytest.fixture
def shadow(server, upstream, requests99, tmp_path):
    """(local repository holding requests 99.0, remote repository, upstream `requests` filenames)."""
    local = create_local(server, "private")
    upload_ok(server, local, *requests99.files)
    remote = create_remote(server, upstream.simple_url)
    remote_files = requests_upstream_wheels(upstream, tmp_path)
    upstream.add("whpublic", *wheel_bytes(tmp_path, "whpublic", "1.0"))
    return local, remote, remote_files


def test_local_project_hides_the_remote_one(server, upstream, shadow, requests99, tmp_path):
    local, remote, _ = shadow
    v = create_virtual(server, [local, remote], deployTo=local)
    # The project list: the local projects and the remote's cached ones only (none yet, the upstream not asked).
    names = [p["name"].lower() for p in page(server, v).json()["projects"]]
    assert names == ["requests"], names
    assert upstream.count() == 0, [(s.method, s.path) for s in upstream.requests()]

    for accept in (PIP_ACCEPT, UV_ACCEPT, "text/html", "*/*"):
        r = page(server, v, "requests", accept=accept)
        assert r.status == 200, str(r)
        assert served_by(r) == [local], f"Accept {accept}: {served_by(r)}"
    doc = page(server, v, "requests").json()
    assert sorted(f["filename"] for f in doc["files"]) == local_names(requests99), doc
    assert doc["versions"] == ["99.0"]
    assert sorted(html_files(server.url, v, "requests")) == local_names(requests99)
    # Also under a non-normalized spelling of the name.
    r = page(server, v, "Requests")
    assert r.status in (200, 301), str(r)
    assert page_requests(upstream) == [], f"the upstream was asked for requests: {page_requests(upstream)}"

    # Projects no local member has still come from the remote.
    r = page(server, v, "whpublic")
    assert r.status == 200, str(r)
    assert served_by(r) == [remote]

    # A real client cannot get at the public requests through the virtual.
    venv = Venv.create(tmp_path / "venv")
    res = pip_install(venv, ["--index-url", f"{server.url}/{v}/simple/", "requests<99"])
    assert res.returncode != 0, f"pip installed the remote requests through the guard:\n{res}"
    res = uv_pip_install(venv, ["--index-url", f"{server.url}/{v}/simple/", "requests"], uv_env(tmp_path / "uv-cache"))
    assert res.returncode == 0, str(res)
    assert venv.version_of("requests") == "99.0"
    assert page_requests(upstream) == [], f"the upstream was asked for requests: {page_requests(upstream)}"

    # The project list still holds requests once (from the local member) and the cached remote project.
    names = [p["name"].lower() for p in page(server, v).json()["projects"]]
    assert names.count("requests") == 1 and "whpublic" in names, names


def test_guard_through_a_nested_virtual(server, upstream, shadow, requests99):
    local, remote, _ = shadow
    inner = create_virtual(server, [local], prefix="inner")
    outer = create_virtual(server, [remote, inner], prefix="outer")  # the remote even comes first
    r = page(server, outer, "requests")
    assert r.status == 200, str(r)
    assert sorted(f["filename"] for f in r.json()["files"]) == local_names(requests99)
    assert remote not in served_by(r), served_by(r)
    assert page_requests(upstream) == [], page_requests(upstream)


def test_allow_remote_lets_both_in(server, upstream, wheelhouse_bin, shadow, requests99):
    local, remote, remote_files = shadow
    v = create_virtual(server, [local, remote], allowRemote=["requests"])
    assert get_repo(server, v)["allowRemote"] == ["requests"]

    r = page(server, v, "requests")
    assert r.status == 200, str(r)
    names = sorted(f["filename"] for f in r.json()["files"])
    assert names == sorted(local_names(requests99) + remote_files), names
    assert r.json()["versions"] == ["2.31.0", "2.32.3", "99.0"]
    assert served_by(r) == [local, remote]
    assert sorted(html_files(server.url, v, "requests")) == names
    assert upstream.count(page_path("requests")) >= 1

    # Changed later (CLI, a glob pattern), on a virtual that had hidden the remote so far.
    guarded = create_virtual(server, [local, remote])
    assert served_by(page(server, guarded, "requests")) == [local]
    res = cli(wheelhouse_bin, ["repo", "set", guarded, "--allow-remote", "req*,other"], url=server.url,
              token=server.admin_token)
    assert res.returncode == 0, str(res)
    assert get_repo(server, guarded)["allowRemote"] == ["req*", "other"]
    r = page(server, guarded, "requests")
    assert served_by(r) == [local, remote], served_by(r)
    assert sorted(f["filename"] for f in r.json()["files"]) == names

    # And back: the guard applies again; the upstream is not asked any more.
    patch_repo(server, guarded, allowRemote=[])
    upstream.reset_counts()
    r = page(server, guarded, "requests")
    assert served_by(r) == [local], served_by(r)
    assert sorted(f["filename"] for f in r.json()["files"]) == local_names(requests99)
    assert page_requests(upstream) == [], page_requests(upstream)


def test_pattern_that_does_not_match_keeps_the_guard(server, upstream, shadow, requests99):
    local, remote, _ = shadow
    v = create_virtual(server, [local, remote], allowRemote=["requests-*", "reqs", "mycompany-*"])
    r = page(server, v, "requests")
    assert served_by(r) == [local], served_by(r)
    assert sorted(f["filename"] for f in r.json()["files"]) == local_names(requests99)
    assert page_requests(upstream) == [], page_requests(upstream)

"""Yank, unyank and delete (PEP 592) through the CLI and REST, as pip and uv see it."""

import pytest

from whclient import html_files, json_files, request
from whmultipart import upload
from whtools import Venv, cli, pip_install, uv_env, uv_pip_install

REASON = "broken build, use 1.0"


@pytest.fixture
def yrepo(server, alpha10, alpha11, beta10):
    name = server.new_repo("yank")
    for f in alpha10.files + alpha11.files + beta10.files:
        r = upload(server.url, name, f, server.admin_token)
        assert r.status == 200, str(r)
    return name


def wh(server, wheelhouse_bin, *args):
    return cli(wheelhouse_bin, list(args), url=server.url, token=server.admin_token)


def yanked_state(server, repo, project="whalpha"):
    """filename -> (JSON yanked value, HTML data-yanked value or 'absent'), checked consistent."""
    js = json_files(server.url, repo, project)
    hs = html_files(server.url, repo, project)
    assert sorted(js) == sorted(hs), (sorted(js), sorted(hs))
    out = {}
    for name in js:
        jy = js[name].get("yanked", False)
        hy = hs[name].get("data-yanked", "absent") if "data-yanked" in hs[name] else "absent"
        if hy is None:  # a bare `data-yanked` attribute means "yanked, no reason"
            hy = ""
        out[name] = (jy, hy)
    return out


def assert_yanked(state, files, reason):
    for f in files:
        if reason:
            assert state[f.name] == (reason, reason), (f.name, state)
        else:
            assert state[f.name] == (True, ""), (f.name, state)


def assert_not_yanked(state, files):
    for f in files:
        assert state[f.name] == (False, "absent"), (f.name, state)


def index(server, repo):
    return f"{server.url}/{repo}/simple/"


@pytest.fixture
def yanked(server, wheelhouse_bin, yrepo):
    """yrepo with whalpha 1.1 yanked through the CLI."""
    r = wh(server, wheelhouse_bin, "yank", yrepo, "whalpha", "1.1", "--reason", REASON)
    assert r.returncode == 0, str(r)
    return yrepo


def test_cli_yank_and_unyank_version(server, wheelhouse_bin, yanked, alpha10, alpha11):
    state = yanked_state(server, yanked)
    assert_yanked(state, alpha11.files, REASON)
    assert_not_yanked(state, alpha10.files)
    page = request("GET", f"{server.url}/{yanked}/simple/whalpha/",
                   headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert "1.1" in page["versions"], "a yanked version is still a version (PEP 700)"

    r = wh(server, wheelhouse_bin, "unyank", yanked, "whalpha", "1.1")
    assert r.returncode == 0, str(r)
    assert_not_yanked(yanked_state(server, yanked), alpha10.files + alpha11.files)


def test_pip_skips_yanked_unless_pinned(server, wheelhouse_bin, yanked, tmp_path):
    v = Venv.create(tmp_path / "unpinned")
    r = pip_install(v, ["--index-url", index(server, yanked), "whalpha"])
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.0"

    v = Venv.create(tmp_path / "dependency")
    r = pip_install(v, ["--index-url", index(server, yanked), "whbeta"])
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.0"

    v = Venv.create(tmp_path / "pinned")
    r = pip_install(v, ["--index-url", index(server, yanked), "whalpha==1.1"])
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.1"
    assert REASON in r.output, "pip shows the yank reason:\n" + str(r)

    assert wh(server, wheelhouse_bin, "unyank", yanked, "whalpha", "1.1").returncode == 0
    v = Venv.create(tmp_path / "after-unyank")
    r = pip_install(v, ["--index-url", index(server, yanked), "whalpha"])
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.1"


def test_uv_skips_yanked_unless_pinned(server, wheelhouse_bin, yanked, tmp_path):
    env = uv_env(tmp_path / "uv-cache")
    v = Venv.create(tmp_path / "unpinned")
    r = uv_pip_install(v, ["--index-url", index(server, yanked), "whalpha"], env)
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.0"

    v = Venv.create(tmp_path / "dependency")
    r = uv_pip_install(v, ["--index-url", index(server, yanked), "whbeta"], env)
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.0"

    v = Venv.create(tmp_path / "pinned")
    r = uv_pip_install(v, ["--index-url", index(server, yanked), "whalpha==1.1"], env)
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.1"

    assert wh(server, wheelhouse_bin, "unyank", yanked, "whalpha", "1.1").returncode == 0
    v = Venv.create(tmp_path / "after-unyank")
    r = uv_pip_install(v, ["--index-url", index(server, yanked), "whalpha"], uv_env(tmp_path / "uv-cache-2"))
    assert r.returncode == 0, str(r)
    assert v.version_of("whalpha") == "1.1"


def test_cli_yank_single_file(server, wheelhouse_bin, yrepo, alpha10, alpha11):
    r = wh(server, wheelhouse_bin, "yank", yrepo, "whalpha", "1.1", "--file", alpha11.wheel.name)
    assert r.returncode == 0, str(r)
    state = yanked_state(server, yrepo)
    assert_yanked(state, [alpha11.wheel], reason=None)
    assert_not_yanked(state, alpha10.files + [alpha11.sdist])

    r = wh(server, wheelhouse_bin, "unyank", yrepo, "whalpha", "1.1", "--file", alpha11.wheel.name)
    assert r.returncode == 0, str(r)
    assert_not_yanked(yanked_state(server, yrepo), alpha10.files + alpha11.files)


def test_rest_yank_and_unyank(server, yrepo, alpha10, alpha11):
    api = server.api
    r = api.version_action(yrepo, "whalpha", "1.1", "yank", reason=REASON)
    assert r.status == 200, str(r)
    assert_yanked(yanked_state(server, yrepo), alpha11.files, REASON)
    r = api.version_action(yrepo, "whalpha", "1.1", "unyank")
    assert r.status == 200, str(r)
    assert_not_yanked(yanked_state(server, yrepo), alpha11.files)

    # A file, with no body at all (the reason is optional).
    r = api.file_action(yrepo, "whalpha", alpha10.sdist.name, "yank")
    assert r.status == 200, str(r)
    state = yanked_state(server, yrepo)
    assert_yanked(state, [alpha10.sdist], reason=None)
    assert_not_yanked(state, [alpha10.wheel] + alpha11.files)
    r = api.file_action(yrepo, "whalpha", alpha10.sdist.name, "unyank")
    assert r.status == 200, str(r)
    assert_not_yanked(yanked_state(server, yrepo), alpha10.files + alpha11.files)


def test_yank_changes_the_etag(server, yrepo):
    url = f"{server.url}/{yrepo}/simple/whalpha/"
    before = request("GET", url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert server.api.version_action(yrepo, "whalpha", "1.1", "yank").status == 200
    after = request("GET", url, headers={"Accept": "application/vnd.pypi.simple.v1+json",
                                         "If-None-Match": before.header("ETag")})
    assert after.status == 200, "a cached page must not survive a yank:\n" + str(after)


def test_rest_unknown_targets_are_404(server, yrepo, alpha10):
    api = server.api
    for r in [
        api.version_action(yrepo, "whalpha", "9.9", "yank"),
        api.version_action(yrepo, "nothere", "1.0", "yank"),
        api.version_action("no-such-repo", "whalpha", "1.0", "yank"),
        api.version_action(yrepo, "whalpha", "9.9", "unyank"),
        api.file_action(yrepo, "whalpha", "whalpha-9.9-py3-none-any.whl", "yank"),
        api.call("DELETE", f"/repositories/{yrepo}/projects/whalpha/versions/9.9"),
        api.call("DELETE", f"/repositories/{yrepo}/projects/whalpha/files/whalpha-9.9.tar.gz"),
    ]:
        assert r.status == 404, str(r)


def test_rest_needs_credentials(server, yrepo, alpha11):
    r = server.api.call("POST", f"/repositories/{yrepo}/projects/whalpha/versions/1.1/yank", token=None)
    assert r.status == 401, str(r)
    r = server.api.call("DELETE", f"/repositories/{yrepo}/projects/whalpha/versions/1.1", token=None)
    assert r.status == 401, str(r)
    assert alpha11.wheel.name in json_files(server.url, yrepo, "whalpha")


def test_cli_yank_unknown_version_fails(server, wheelhouse_bin, yrepo):
    r = wh(server, wheelhouse_bin, "yank", yrepo, "whalpha", "9.9")
    assert r.returncode != 0, str(r)
    assert r.stderr.strip(), str(r)


def test_cli_delete_file_and_version(server, wheelhouse_bin, yrepo, alpha10, alpha11):
    files = json_files(server.url, yrepo, "whalpha")
    sdist_url = files[alpha11.sdist.name]["url"]
    r = wh(server, wheelhouse_bin, "delete", yrepo, "whalpha", "1.1", "--file", alpha11.sdist.name)
    assert r.returncode == 0, str(r)
    assert sorted(json_files(server.url, yrepo, "whalpha")) == sorted(
        p.name for p in alpha10.files + [alpha11.wheel])
    assert request("GET", sdist_url).status == 404

    wheel_url = files[alpha11.wheel.name]["url"]
    r = wh(server, wheelhouse_bin, "delete", yrepo, "whalpha", "1.1")
    assert r.returncode == 0, str(r)
    remaining = json_files(server.url, yrepo, "whalpha")
    assert sorted(remaining) == sorted(p.name for p in alpha10.files)
    assert request("GET", wheel_url).status == 404
    assert request("GET", wheel_url + ".metadata").status == 404
    page = request("GET", f"{server.url}/{yrepo}/simple/whalpha/",
                   headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert "1.1" not in page.get("versions", [])


def test_rest_delete_file_and_version(server, yrepo, alpha10):
    api = server.api
    r = api.call("DELETE", f"/repositories/{yrepo}/projects/whalpha/files/{alpha10.wheel.name}")
    assert r.status == 204, str(r)
    assert alpha10.wheel.name not in json_files(server.url, yrepo, "whalpha")
    r = api.call("DELETE", f"/repositories/{yrepo}/projects/whalpha/files/{alpha10.wheel.name}")
    assert r.status == 404, str(r)

    r = api.call("DELETE", f"/repositories/{yrepo}/projects/whbeta/versions/1.0")
    assert r.status == 204, str(r)
    assert json_files(server.url, yrepo, "whbeta") == {}
    assert api.call("DELETE", f"/repositories/{yrepo}/projects/whbeta/versions/1.0").status == 404

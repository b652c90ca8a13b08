"""Real pip and uv installing through a remote repository: from the fake upstream, and from the
public index (its URL taken from pip at run time; skipped when it cannot be reached)."""

import http.client
import sys
import urllib.error
import urllib.request

import pytest

from remote_fixtures import *  # noqa: F401,F403
from whclient import JSON_TYPE
from whtools import Venv, pip_install, run, uv_env, uv_pip_install


def index(server, repo):
    return f"{server.url}/{repo}/simple/"


def assert_installed(venv):
    r = venv.check_import("whbeta", "whalpha")
    assert r.returncode == 0, str(r)
    assert venv.version_of("whalpha") == "1.1"
    assert venv.version_of("whbeta") == "1.0"


def downloads(upstream):
    return {s.path: upstream.count(s.path) for s in upstream.requests(method="GET") if s.path.startswith("/files/")}


def test_pip_and_uv_through_a_remote(server, upstream, remote, dists, tmp_path):
    publish_dists(upstream, dists)

    venv = Venv.create(tmp_path / "pip-venv")
    r = pip_install(venv, ["--index-url", index(server, remote), "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)

    venv = Venv.create(tmp_path / "uv-venv")
    r = uv_pip_install(venv, ["--index-url", index(server, remote), "whbeta"], uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_installed(venv)

    # Both clients together made each file travel from the upstream at most once.
    assert downloads(upstream) and all(n == 1 for n in downloads(upstream).values()), downloads(upstream)


def test_uv_first_with_range_requests(server, upstream, remote, dists, tmp_path):
    """uv alone on a cold cache: no metadata files upstream, so it reads METADATA with Range requests."""
    publish_dists(upstream, dists)
    venv = Venv.create(tmp_path / "uv-venv")
    r = uv_pip_install(venv, ["--index-url", index(server, remote), "whbeta", "wh.gamma-pkg"],
                       uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_installed(venv)
    assert venv.check_import("wh_gamma_pkg").returncode == 0
    assert all(n == 1 for n in downloads(upstream).values()), downloads(upstream)


def test_pip_with_upstream_metadata_files(start_server, upstream, dists, tmp_path):
    """The upstream offers PEP 658 metadata: pip resolves from it, then downloads only what it installs.

    A server of its own: blobs are shared by content, so metadata cached by another test would not be fetched.
    """
    from whpackages import wheel_metadata_bytes
    server = start_server()
    remote = create_remote(server, upstream.simple_url)
    publish_dists(upstream, dists)
    for d in dists.values():
        upstream.update(d.wheel.name, metadata=wheel_metadata_bytes(d.wheel))
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index(server, remote), "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)
    assert upstream.count(metadata_path(dists[("whbeta", "1.0")].wheel.name)) == 1
    assert downloads(upstream).get(file_path(dists[("whalpha", "1.0")].wheel.name)) is None


# -- the public index ------------------------------------------------------------------

@pytest.fixture(scope="module")
def public_index() -> str:
    """The public index's simple URL, as pip knows it; skip when it does not answer within a few seconds."""
    r = run([sys.executable, "-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"], timeout=60)
    url = r.stdout.strip()
    if r.returncode != 0 or not url.startswith("https://"):
        pytest.skip(f"cannot ask pip for the public index URL: {r}")
    url = url.rstrip("/") + "/"
    try:
        req = urllib.request.Request(url + "requests/", headers={"Accept": JSON_TYPE})
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read(1)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        pytest.skip(f"the public index is unreachable: {e}")
    return url


def test_pip_and_uv_from_the_public_index(server, public_index, tmp_path):
    repo = create_remote(server, public_index, prefix="public")

    venv = Venv.create(tmp_path / "uv-venv")
    r = uv_pip_install(venv, ["--index-url", index(server, repo), "requests"],
                       uv_env(tmp_path / "uv-unused", UV_NO_CACHE="1"))
    assert r.returncode == 0, str(r)
    r = venv.check_import("requests")
    assert r.returncode == 0, str(r)

    venv = Venv.create(tmp_path / "pip-venv")
    r = pip_install(venv, ["--index-url", index(server, repo), "requests"])
    assert r.returncode == 0, str(r)
    r = venv.check_import("requests")
    assert r.returncode == 0, str(r)

    # What was fetched is now served from the cache: listed, and the pages point at Wheelhouse.
    files = remote_files(server, repo, "requests")
    assert files and all(f["href"].startswith("../../files/") for f in files.values())

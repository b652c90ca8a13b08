"""Real clients through one virtual URL: a private package from the local member whose dependency
comes from the remote member (the fake upstream); `uv lock` of a small project against it."""

import re
import textwrap
import tomllib

import pytest

from virtual_fixtures import *  # noqa: F401,F403
from whtools import UV, Venv, pip_install, run, uv_env, uv_pip_install


@pytest.fixture
def mixed(server, upstream, dists):
    """A virtual [local, remote]: whbeta 1.0 uploaded locally, its dependency whalpha (1.0, 1.1) upstream."""
    local = create_local(server, "private")
    upload_ok(server, local, *dists[("whbeta", "1.0")].files)
    for version in ("1.0", "1.1"):
        d = dists[("whalpha", version)]
        for f in d.files:
            upstream.add_path("whalpha", f, requires_python=">=3.8")
    remote = create_remote(server, upstream.simple_url)
    v = create_virtual(server, [local, remote], deployTo=local)
    return local, remote, v


def index(server, v):
    return f"{server.url}/{v}/simple/"


def assert_installed(venv):
    r = venv.check_import("whbeta", "whalpha")
    assert r.returncode == 0, str(r)
    assert venv.version_of("whbeta") == "1.0"
    assert venv.version_of("whalpha") == "1.1"


def upstream_downloads(upstream):
    return sorted({s.path for s in upstream.requests(method="GET") if s.path.startswith("/files/")})


def test_pip_install_through_the_virtual(server, upstream, mixed, tmp_path):
    local, remote, v = mixed
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index(server, v), "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)
    assert any("whalpha-1.1" in p for p in upstream_downloads(upstream)), upstream_downloads(upstream)
    assert upstream.count(page_path("whbeta"), None) == 0, "the guard must keep whbeta off the upstream"


def test_uv_pip_install_through_the_virtual(server, upstream, mixed, tmp_path):
    local, remote, v = mixed
    venv = Venv.create(tmp_path / "venv")
    r = uv_pip_install(venv, ["--index-url", index(server, v), "whbeta"], uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_installed(venv)
    assert any("whalpha-1.1" in p for p in upstream_downloads(upstream)), upstream_downloads(upstream)
    assert upstream.count(page_path("whbeta"), None) == 0, "the guard must keep whbeta off the upstream"


def test_uv_lock_against_the_virtual(server, upstream, mixed, tmp_path):
    local, remote, v = mixed
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [project]
        name = "wh-e2e-app"
        version = "0.1.0"
        requires-python = ">=3.8"
        dependencies = ["whbeta"]

        [[tool.uv.index]]
        name = "wheelhouse"
        url = "{index(server, v)}"
        default = true
        """))
    # The project's own [tool.uv] is the point here, so no UV_NO_CONFIG; user-level config is kept out.
    env = uv_env(tmp_path / "uv-cache", XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env.pop("UV_NO_CONFIG")
    r = run([UV, "lock", "--directory", project], env=env, timeout=300)
    assert r.returncode == 0, str(r)
    lock = tomllib.loads((project / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    assert packages["whbeta"]["version"] == "1.0", packages.get("whbeta")
    assert packages["whalpha"]["version"] == "1.1", packages.get("whalpha")
    for name in ("whbeta", "whalpha"):
        source = packages[name]["source"]
        assert source.get("registry", "").rstrip("/") == index(server, v).rstrip("/"), (name, source)
    wheels = {w["url"].rsplit("/", 1)[-1]: w for p in ("whbeta", "whalpha") for w in packages[p].get("wheels", [])}
    assert "whalpha-1.1-py3-none-any.whl" in wheels and "whbeta-1.0-py3-none-any.whl" in wheels, sorted(wheels)
    for w in wheels.values():
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", w["hash"]), w
        assert w["url"].startswith(f"{server.url}/{v}/files/"), w
    assert upstream.count(page_path("whbeta"), None) == 0

    # The lock installs: `uv sync --frozen` into the project's venv from the same URLs.
    r = run([UV, "sync", "--frozen", "--no-install-project", "--directory", project], env=env, timeout=300)
    assert r.returncode == 0, str(r)
    venv = Venv(project / ".venv")
    assert venv.version_of("whalpha") == "1.1" and venv.version_of("whbeta") == "1.0"

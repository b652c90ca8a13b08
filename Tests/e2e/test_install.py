"""Installing from a Wheelhouse repository with real pip and uv, in fresh venvs."""

import sys

import pytest

from whmultipart import upload
from whtools import Venv, pip_env, pip_install, run, uv_env, uv_pip_install


@pytest.fixture(scope="module")
def published(server, dists):
    """A repository holding whalpha 1.0/1.1, whbeta 1.0 and Wh.Gamma_Pkg 0.1 (wheels and sdists)."""
    name = server.new_repo("install")
    for d in dists.values():
        for f in d.files:
            r = upload(server.url, name, f, server.admin_token)
            assert r.status == 200, str(r)
    return name


def index(server, repo, creds=None):
    host = f"{creds}@127.0.0.1" if creds else "127.0.0.1"
    return f"http://{host}:{server.port}/{repo}/simple/"


def assert_installed(venv, alpha="1.1"):
    r = venv.check_import("whbeta", "whalpha")
    assert r.returncode == 0, str(r)
    assert venv.version_of("whalpha") == alpha
    assert venv.version_of("whbeta") == "1.0"


def test_pip_index_url(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index(server, published), "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_pip_index_url_env(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["whbeta"], env=pip_env(PIP_INDEX_URL=index(server, published)))
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_pip_credentials_in_url(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    url = index(server, published, creds=f"admin:{server.admin_token}")
    r = pip_install(venv, ["--index-url", url, "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_pip_non_normalized_name(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index(server, published), "Wh_Gamma.pkg==0.1"])
    assert r.returncode == 0, str(r)
    assert venv.check_import("wh_gamma_pkg").returncode == 0


def test_pip_only_uses_wheels_from_the_server(server, published, tmp_path):
    # --only-binary proves the wheel (not the sdist) resolved; the sdist path is covered by pip download.
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--only-binary", ":all:", "--index-url", index(server, published), "whbeta"])
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_pip_download_sdist(server, published, tmp_path):
    r = run([sys.executable, "-m", "pip", "download", "--no-cache-dir", "--no-deps", "--no-binary", ":all:",
             "--no-build-isolation", "--index-url", index(server, published), "-d", tmp_path / "dl", "whalpha==1.0"],
            env=pip_env())
    assert r.returncode == 0, str(r)
    assert [p.name for p in (tmp_path / "dl").iterdir()] == ["whalpha-1.0.tar.gz"]


def test_uv_index_url(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = uv_pip_install(venv, ["--index-url", index(server, published), "whbeta"], uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_uv_index_url_env(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    env = uv_env(tmp_path / "uv-cache", UV_INDEX_URL=index(server, published))
    r = uv_pip_install(venv, ["whbeta"], env)
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_uv_default_index_env(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    env = uv_env(tmp_path / "uv-cache", UV_DEFAULT_INDEX=index(server, published))
    r = uv_pip_install(venv, ["whbeta"], env)
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_uv_credentials_in_url(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    url = index(server, published, creds=f"__token__:{server.admin_token}")
    r = uv_pip_install(venv, ["--index-url", url, "whbeta"], uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_installed(venv)


def test_uv_non_normalized_name(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = uv_pip_install(venv, ["--index-url", index(server, published), "WH.gamma-PKG==0.1"],
                       uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert venv.check_import("wh_gamma_pkg").returncode == 0


def test_unknown_project_fails_cleanly(server, published, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index(server, published), "does-not-exist"])
    assert r.returncode != 0 and "No matching distribution" in r.output, str(r)
    r = uv_pip_install(venv, ["--index-url", index(server, published), "does-not-exist"], uv_env(tmp_path / "c"))
    assert r.returncode != 0, str(r)

"""Access control with the real clients: pip, uv and twine against private repositories.

pip: `user:token@` (and `user:password@`) in the index URL, in a pip.conf, and credentials that pip
only looks up after the server's 401 (its keyring provider); uv: credentials in UV_INDEX_URL; twine:
`__token__` on the command line and a .pypirc with the token's owner as user name.
"""

from __future__ import annotations

import re
import stat
import sys
import textwrap

import pytest

from access_fixtures import (admin, create_repo, create_token, create_user, grant, ok, project_files, unique,
                             upload_wheel)
from whclient import basic
from whserver import clean_env
from whtools import TWINE, Venv, pip_install, pip_env, run, twine_env, twine_upload, uv_env, uv_pip_install


@pytest.fixture(scope="module")
def private(server, dists):
    """A private repository holding the samples; `dev` may read it, `ci` may write to it."""
    repo = create_repo(server, "local", "acc-pip")
    for d in dists.values():
        for f in d.files:
            ok(upload_wheel(server, repo, f, admin(server)), 200)
    dev, dev_pw = create_user(server, unique("dev"))
    ci, ci_pw = create_user(server, unique("ci"))
    grant(server, repo, dev, "read")
    grant(server, repo, ci, "write")
    # Users make their own tokens, signed in with their password.
    dev_tok = create_token(server, auth=basic(dev, dev_pw))["token"]
    ci_tok = create_token(server, auth=basic(ci, ci_pw))["token"]
    return {"repo": repo, "dev": dev, "dev_pw": dev_pw, "dev_tok": dev_tok, "ci": ci, "ci_tok": ci_tok}


def index_url(server, repo: str, user: str | None = None, secret: str | None = None, alias: str = "") -> str:
    creds = f"{user}:{secret}@" if user else ""
    return f"http://{creds}127.0.0.1:{server.port}{alias}/{repo}/simple/"


def assert_installed(venv: Venv, r) -> None:
    assert r.returncode == 0, str(r)
    assert venv.version_of("whalpha") == "1.1", str(r)
    assert venv.version_of("whbeta") == "1.0", str(r)


def log_since(server, offset: int) -> list[str]:
    return server.log_text()[offset:].splitlines()


def statuses(lines: list[str], path: str) -> list[int]:
    """Statuses of the GET requests for `path`, in log order."""
    out = []
    for line in lines:
        if "method=GET" in line and f"path={path} " in line:
            m = re.search(r"status=(\d+)", line)
            if m:
                out.append(int(m.group(1)))
    return out


# -- pip ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", ["token", "password"])
def test_pip_credentials_in_index_url(server, private, tmp_path, secret):
    s = private["dev_tok"] if secret == "token" else private["dev_pw"]
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index_url(server, private["repo"], private["dev"], s), "whbeta"])
    assert_installed(venv, r)


def test_pip_conf_with_credentials(server, private, tmp_path):
    """The seed's form: `https://user:token@host/artifactory/api/pypi/<repo>/simple` in pip.conf."""
    conf = tmp_path / "pip.conf"
    conf.write_text(textwrap.dedent(f"""\
        [global]
        index-url = {index_url(server, private["repo"], private["dev"], private["dev_tok"], "/artifactory/api/pypi")}
        """))
    venv = Venv.create(tmp_path / "venv")
    env = clean_env(PIP_CONFIG_FILE=str(conf), PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                    PIP_KEYRING_PROVIDER="disabled")
    r = pip_install(venv, ["whbeta"], env=env)
    assert_installed(venv, r)


def test_pip_without_credentials_is_refused(server, private, tmp_path):
    venv = Venv.create(tmp_path / "venv")
    offset = len(server.log_text())
    r = pip_install(venv, ["--index-url", index_url(server, private["repo"]), "whbeta"])
    assert r.returncode != 0, str(r)
    assert venv.version_of("whbeta") is None
    assert 401 in statuses(log_since(server, offset), f"/{private['repo']}/simple/whbeta/"), str(r)


def test_pip_with_a_token_lacking_read_is_refused(server, private, tmp_path):
    outsider, _ = create_user(server, unique("outsider"))
    tok = create_token(server, user=outsider)["token"]
    venv = Venv.create(tmp_path / "venv")
    offset = len(server.log_text())
    r = pip_install(venv, ["--index-url", index_url(server, private["repo"], outsider, tok), "whbeta"])
    assert r.returncode != 0, str(r)
    assert 403 in statuses(log_since(server, offset), f"/{private['repo']}/simple/whbeta/"), str(r)


FAKE_KEYRING = """\
#!{python}
# A stand-in for the `keyring` command: pip's "subprocess" keyring provider runs
# `keyring --mode=creds --output=json get <url> [user]` after a 401.
import json, sys
with open({calls!r}, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
if "get" in sys.argv:
    print(json.dumps({{"username": {user!r}, "password": {password!r}}}))
    sys.exit(0)
sys.exit(1)
"""


def test_pip_retries_after_401_with_credentials_from_its_config(server, private, tmp_path):
    """The index URL in pip.conf carries no credentials; pip.conf names a keyring provider. pip's first
    request is anonymous, the private repository answers 401 with a Basic challenge, pip asks the
    keyring and repeats the request with the credentials: 401 then 200 for the same page."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "keyring-calls.txt"
    keyring = bindir / "keyring"
    keyring.write_text(FAKE_KEYRING.format(python=sys.executable, calls=str(calls),
                                           user=private["dev"], password=private["dev_tok"]))
    keyring.chmod(keyring.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    conf = tmp_path / "pip.conf"
    conf.write_text(textwrap.dedent(f"""\
        [global]
        index-url = {index_url(server, private["repo"])}
        keyring-provider = subprocess
        """))
    env = clean_env(PIP_CONFIG_FILE=str(conf), PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                    HOME=str(tmp_path), PATH=f"{bindir}:{clean_env()['PATH']}")
    venv = Venv.create(tmp_path / "venv")
    offset = len(server.log_text())
    r = pip_install(venv, ["whbeta"], env=env)
    assert_installed(venv, r)
    assert calls.exists() and "get" in calls.read_text(), f"pip never asked the keyring\n{r}"
    seen = statuses(log_since(server, offset), f"/{private['repo']}/simple/whbeta/")
    assert seen[:2] == [401, 200], f"statuses of GET /{private['repo']}/simple/whbeta/: {seen}\n{r}"


def test_pip_with_netrc(server, private, tmp_path):
    """Credentials in ~/.netrc and none in the index URL. (pip reads netrc before its first request,
    so no 401 is expected here; the 401-then-retry is the keyring test above.)"""
    netrc = tmp_path / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\nlogin {private['dev']}\npassword {private['dev_tok']}\n")
    netrc.chmod(0o600)
    env = pip_env(HOME=str(tmp_path))
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", index_url(server, private["repo"]), "whbeta"], env=env)
    assert_installed(venv, r)


# -- uv ----------------------------------------------------------------------------------------------

def test_uv_with_credentials_in_uv_index_url(server, private, tmp_path):
    env = uv_env(tmp_path / "uv-cache",
                 UV_INDEX_URL=index_url(server, private["repo"], private["dev"], private["dev_tok"]))
    venv = Venv.create(tmp_path / "venv")
    r = uv_pip_install(venv, ["whbeta"], env)
    assert_installed(venv, r)


def test_uv_without_credentials_is_refused(server, private, tmp_path):
    env = uv_env(tmp_path / "uv-cache", UV_INDEX_URL=index_url(server, private["repo"]))
    venv = Venv.create(tmp_path / "venv")
    r = uv_pip_install(venv, ["whbeta"], env)
    assert r.returncode != 0, str(r)
    assert venv.version_of("whbeta") is None


# -- twine ---------------------------------------------------------------------------------------------

@pytest.fixture
def target(server, private) -> str:
    """A fresh private repository `ci` may upload to and `dev` may only read."""
    repo = create_repo(server, "local", "acc-twine")
    grant(server, repo, private["ci"], "write")
    grant(server, repo, private["dev"], "read")
    return repo


def test_twine_with_token_user(server, private, target, alpha10):
    r = twine_upload(f"{server.url}/{target}/", alpha10.files, "__token__", private["ci_tok"])
    assert r.returncode == 0, str(r)
    assert set(project_files(server, target, "whalpha")) == {f.name for f in alpha10.files}


def test_twine_with_pypirc(server, private, target, alpha10, tmp_path):
    """A .pypirc naming the repository, with the token's owner as the user name."""
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text(textwrap.dedent(f"""\
        [distutils]
        index-servers =
            wheelhouse

        [wheelhouse]
        repository = {server.url}/{target}/
        username = {private["ci"]}
        password = {private["ci_tok"]}
        """))
    r = run([TWINE, "upload", "--non-interactive", "--disable-progress-bar", "--verbose",
             "--config-file", pypirc, "-r", "wheelhouse", *alpha10.files], env=twine_env(HOME=str(tmp_path)))
    assert r.returncode == 0, str(r)
    assert set(project_files(server, target, "whalpha")) == {f.name for f in alpha10.files}


@pytest.mark.parametrize("who,status", [("reader", "403"), ("bad-token", "401")])
def test_twine_refused(server, private, target, alpha10, who, status):
    secret = private["dev_tok"] if who == "reader" else "whk_" + "0" * 43
    r = twine_upload(f"{server.url}/{target}/", alpha10.files, "__token__", secret)
    assert r.returncode != 0, str(r)
    assert status in r.output, str(r)
    assert project_files(server, target, "whalpha") == {}

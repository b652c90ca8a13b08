"""Error messages reach the status line (`HTTP/1.1 400 File already exists: …`).

twine without `--verbose`, hatch and pdm print only the status line of a failed upload; NIO used to
replace the message with the standard phrase, so they showed a bare `400 Bad Request`."""

import os

import pytest

from whmultipart import upload
from whpackages import make_wheel
from whtools import TWINE, VENV_BIN, run, twine_env

pytestmark = pytest.mark.usefixtures("server")


@pytest.fixture(scope="module")
def conflict(server, tmp_path_factory):
    """A repository holding rpdemo 1.0, and other bytes under the same filename."""
    base = tmp_path_factory.mktemp("reason")
    repo = server.new_repo("reason")
    (base / "a").mkdir()
    (base / "b").mkdir()
    first = make_wheel(base / "a" / "rpdemo-1.0-py3-none-any.whl", "rpdemo", "1.0", payload=b"first")
    other = make_wheel(base / "b" / "rpdemo-1.0-py3-none-any.whl", "rpdemo", "1.0", payload=b"other")
    assert upload(server.url, repo, first, server.admin_token).status == 200
    return repo, other, base


def test_the_status_line_carries_the_message(server, conflict):
    repo, other, _ = conflict
    r = upload(server.url, repo, other, server.admin_token)
    assert r.status == 400
    assert r.reason.startswith("File already exists"), r.reason
    assert "x-wheelhouse" not in {k.lower()[:11] for k in r.headers.keys()}, dict(r.headers)
    r = upload(server.url, repo, other, "not-a-token")
    assert r.status == 401 and r.reason != "Unauthorized", r.reason


def test_twine_without_verbose_shows_it(server, conflict):
    repo, other, _ = conflict
    r = run([TWINE, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url",
             f"{server.url}/{repo}/", "-u", "__token__", "-p", server.admin_token, other], env=twine_env())
    assert r.returncode != 0
    assert "File already exists" in r.output, r.output


def test_hatch_shows_it(server, conflict):
    repo, other, base = conflict
    env = {**os.environ, "HATCH_DATA_DIR": str(base / "hatch-data"), "HATCH_CACHE_DIR": str(base / "hatch-cache")}
    r = run([VENV_BIN / "hatch", "publish", "-r", f"{server.url}/{repo}/", "-u", "__token__", "-a", server.admin_token,
             other], env=env, cwd=base)
    assert r.returncode != 0
    assert "400 File already exists" in r.output, r.output


def test_pdm_shows_it(server, conflict):
    repo, other, base = conflict
    project = base / "pdm-project"
    (project / "dist").mkdir(parents=True)
    (project / "dist" / other.name).write_bytes(other.read_bytes())
    (project / "pyproject.toml").write_text('[project]\nname = "rpdemo"\nversion = "1.0"\n')
    env = {**os.environ, "PDM_CHECK_UPDATE": "false", "PDM_HOME": str(base / "pdm-home"), "PDM_USE_VENV": "false"}
    r = run([VENV_BIN / "pdm", "publish", "--no-build", "-r", f"{server.url}/{repo}/", "-u", "__token__",
             "-P", server.admin_token], env=env, cwd=project)
    assert r.returncode != 0
    assert "400 File already exists" in r.output, r.output

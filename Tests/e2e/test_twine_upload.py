"""Publishing with real twine: --repository-url, .pypirc, re-uploads, --skip-existing, bad credentials."""

from whclient import json_files, request
from whmultipart import upload
from whpackages import sha256_file, with_zip_comment
from whtools import TWINE, TWINE_SKIP_EXISTING, run, twine_env, twine_upload


def upload_url(server, repo, slash=True):
    return f"{server.url}/{repo}" + ("/" if slash else "")


def assert_stored(server, repo, project, paths):
    files = json_files(server.url, repo, project)
    for p in paths:
        assert p.name in files, f"{p.name} not on the project page: {sorted(files)}"
        assert files[p.name]["hashes"]["sha256"] == sha256_file(p)


def test_twine_uploads_wheels_and_sdists(server, repo, alpha10, alpha11, beta10, gamma01):
    files = alpha10.files + alpha11.files + beta10.files + gamma01.files
    r = twine_upload(upload_url(server, repo), files, password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", alpha10.files + alpha11.files)
    assert_stored(server, repo, "whbeta", beta10.files)
    assert_stored(server, repo, "wh-gamma-pkg", gamma01.files)


def test_twine_upload_url_without_trailing_slash(server, repo, alpha10):
    # twine aborts on any redirect, so /{repo} must accept the upload itself.
    r = twine_upload(upload_url(server, repo, slash=False), alpha10.files, password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", alpha10.files)


def test_twine_with_a_real_username(server, repo, alpha10):
    r = twine_upload(upload_url(server, repo), [alpha10.wheel], user="admin", password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", [alpha10.wheel])


def test_identical_reupload_succeeds(server, repo, alpha10):
    url = upload_url(server, repo)
    assert twine_upload(url, alpha10.files, password=server.admin_token).returncode == 0
    r = twine_upload(url, alpha10.files, password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", alpha10.files)
    assert len(json_files(server.url, repo, "whalpha")) == 2


def test_same_filename_other_bytes(server, repo, alpha10, tmp_path):
    url = upload_url(server, repo)
    assert twine_upload(url, [alpha10.wheel], password=server.admin_token).returncode == 0
    other = with_zip_comment(alpha10.wheel, tmp_path / alpha10.wheel.name, b"other bytes")

    # HTTP level: 400 and the wording twine's --skip-existing looks for.
    resp = upload(server.url, repo, other, server.admin_token)
    assert resp.status == 400, str(resp)
    assert "file already exists" in resp.text.lower(), str(resp)

    # twine without --skip-existing: a clean failure.
    r = twine_upload(url, [other], password=server.admin_token)
    assert r.returncode != 0, str(r)
    assert "already exists" in r.output, str(r)
    assert_stored(server, repo, "whalpha", [alpha10.wheel])


def test_skip_existing(server, repo, alpha10, alpha11, tmp_path):
    # twine >= 6.2 allows --skip-existing only for PyPI, so this uses twine 6.1.
    assert TWINE_SKIP_EXISTING.exists(), f"{TWINE_SKIP_EXISTING} missing: run the suite through scripts/test"
    url = upload_url(server, repo)
    assert twine_upload(url, [alpha10.wheel], password=server.admin_token).returncode == 0

    # An existing file, identical bytes.
    r = twine_upload(url, [alpha10.wheel], password=server.admin_token, extra=["--skip-existing"],
                     twine=TWINE_SKIP_EXISTING)
    assert r.returncode == 0, str(r)

    # An existing filename with other bytes is skipped, the rest of the batch is uploaded.
    other = with_zip_comment(alpha10.wheel, tmp_path / alpha10.wheel.name, b"rebuilt")
    r = twine_upload(url, [other, alpha11.wheel], password=server.admin_token, extra=["--skip-existing"],
                     twine=TWINE_SKIP_EXISTING)
    assert r.returncode == 0, str(r)
    assert "Skipping" in r.output, str(r)
    assert_stored(server, repo, "whalpha", [alpha10.wheel, alpha11.wheel])


def test_wrong_password_fails_cleanly(server, repo, alpha10):
    r = twine_upload(upload_url(server, repo), alpha10.files, password="wrong-token")
    assert r.returncode != 0, str(r)
    assert "401" in r.output, str(r)
    assert json_files(server.url, repo, "whalpha") == {}


def test_anonymous_upload_is_401_with_basic_challenge(server, repo, alpha10):
    for token in (None, "wrong-token"):
        resp = upload(server.url, repo, alpha10.wheel, token)
        assert resp.status == 401, str(resp)
        challenge = resp.header("WWW-Authenticate") or ""
        assert challenge.lower().startswith("basic") and 'realm="wheelhouse"' in challenge, str(resp)
    assert json_files(server.url, repo, "whalpha") == {}


def test_pypirc(server, repo, alpha10, beta10, tmp_path):
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers =\n    wheelhouse\n\n"
        f"[wheelhouse]\nrepository = {upload_url(server, repo)}\nusername = __token__\npassword = {server.admin_token}\n"
    )
    r = run([TWINE, "upload", "--non-interactive", "--disable-progress-bar", "--config-file", pypirc,
             "-r", "wheelhouse", *alpha10.files, *beta10.files], env=twine_env())
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", alpha10.files)
    assert_stored(server, repo, "whbeta", beta10.files)


def test_upload_response_is_200_not_redirect(server, repo, alpha10):
    for slash in (True, False):
        resp = upload(server.url, repo, alpha10.sdist, server.admin_token, slash=slash)
        assert resp.status == 200, str(resp)
    assert request("GET", f"{server.url}/{repo}/simple/whalpha/").status == 200


def test_uv_publish(server, repo, alpha10, tmp_path):
    # The README shows `uv publish --publish-url ... --token ...`: uv speaks the same legacy upload API.
    from whtools import UV, uv_env
    r = run([UV, "publish", "--publish-url", upload_url(server, repo), "--token", server.admin_token, *map(str, alpha10.files)],
            env=uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert_stored(server, repo, "whalpha", alpha10.files)

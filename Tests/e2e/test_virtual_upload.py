"""Uploads to a virtual repository: twine lands in `deployTo`; without one, 405 saying to set it."""

from virtual_fixtures import *  # noqa: F401,F403
from whclient import json_files
from whmultipart import upload
from whtools import twine_upload


def test_twine_upload_lands_in_deploy_to(server, upstream, alpha10, beta10):
    deploy, other = create_local(server, "deploy"), create_local(server, "other")
    remote = create_remote(server, upstream.simple_url)
    v = create_virtual(server, [other, remote, deploy], deployTo=deploy)

    r = twine_upload(f"{server.url}/{v}/", alpha10.files, password=server.admin_token)
    assert r.returncode == 0, str(r)
    # twine never follows a redirect: the URL without the slash is accepted as is.
    r = twine_upload(f"{server.url}/{v}", [beta10.wheel], password=server.admin_token)
    assert r.returncode == 0, str(r)

    stored = json_files(server.url, deploy, "whalpha")
    assert sorted(stored) == sorted(p.name for p in alpha10.files), sorted(stored)
    for p in alpha10.files:
        assert stored[p.name]["hashes"]["sha256"] == sha256_file(p)
    assert list(json_files(server.url, deploy, "whbeta")) == [beta10.wheel.name]
    assert json_files(server.url, other, "whalpha") == {}, "the upload went to a member other than deployTo"
    r = server.api.call("GET", f"/repositories/{v}/projects/whalpha")
    assert r.status in (400, 404) or not r.json().get("files"), f"files stored under the virtual itself:\n{r}"

    # Visible through the virtual, served by the deployment member; the upstream was not asked.
    r = page(server, v, "whalpha")
    assert r.status == 200, str(r)
    assert served_by(r) == [deploy]
    assert sorted(f["filename"] for f in r.json()["files"]) == sorted(p.name for p in alpha10.files)
    assert upstream.count(page_path("whalpha"), None) == 0

    # Re-uploading the identical file through the virtual answers 200, as for a local repository.
    r = twine_upload(f"{server.url}/{v}/", [alpha10.wheel], password=server.admin_token)
    assert r.returncode == 0, str(r)


def test_upload_without_deploy_to_is_405(server, upstream, alpha10):
    local = create_local(server)
    remote = create_remote(server, upstream.simple_url)
    v = create_virtual(server, [local, remote])

    for slash in (True, False):
        r = upload(server.url, v, alpha10.wheel, server.admin_token, slash=slash)
        assert r.status == 405, str(r)
        assert "deployto" in r.text.lower(), f"the 405 must say to set deployTo:\n{r}"
    r = twine_upload(f"{server.url}/{v}/", [alpha10.wheel], password=server.admin_token)
    assert r.returncode != 0, str(r)
    assert "405" in r.output, str(r)
    assert json_files(server.url, local, "whalpha") == {}

    # Once deployTo is set, the same upload works.
    patch_repo(server, v, deployTo=local)
    r = twine_upload(f"{server.url}/{v}/", [alpha10.wheel], password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert list(json_files(server.url, local, "whalpha")) == [alpha10.wheel.name]

    # And unset again (empty string clears it): 405 again.
    patch_repo(server, v, deployTo="")
    assert get_repo(server, v).get("deployTo") in (None, "")
    r = upload(server.url, v, alpha10.sdist, server.admin_token)
    assert r.status == 405, str(r)


def test_upload_to_a_virtual_needs_write_credentials(server, alpha10):
    local = create_local(server)
    v = create_virtual(server, [local], deployTo=local)
    r = upload(server.url, v, alpha10.wheel, None)
    assert r.status == 401 and r.header("WWW-Authenticate"), str(r)
    r = upload(server.url, v, alpha10.wheel, "not-a-token")
    assert r.status == 401, str(r)
    assert json_files(server.url, local, "whalpha") == {}

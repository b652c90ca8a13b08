"""Migration URLs: `/artifactory/api/pypi/{repo}/...` and `/repository/{repo}/...` answer exactly as
`/{repo}/...` does, for twine (upload) and pip (install); redirects keep the prefix."""

import hashlib
from urllib.parse import urljoin, urlsplit

import pytest

from virtual_fixtures import *  # noqa: F401,F403
from whclient import HTML_TYPE, JSON_TYPE, PIP_ACCEPT, request
from whtools import Venv, pip_install, twine_upload, uv_env, uv_pip_install

PREFIXES = ["artifactory/api/pypi", "repository"]


def base(server, prefix, repo):
    return f"{server.url}/{prefix}/{repo}" if prefix else f"{server.url}/{repo}"


def get(url, accept=PIP_ACCEPT, headers=None):
    return request("GET", url, headers={"Accept": accept, **(headers or {})})


@pytest.fixture
def filled(server, dists):
    local = create_local(server, "compat")
    for d in dists.values():
        upload_ok(server, local, *d.files)
    return local


@pytest.mark.parametrize("prefix", PREFIXES)
def test_pages_answer_as_the_plain_urls(server, filled, prefix):
    plain, compat = base(server, "", filled), base(server, prefix, filled)
    for path in ("/simple/", "/simple/whalpha/", "/simple/wh-gamma-pkg/"):
        for accept in (PIP_ACCEPT, JSON_TYPE, HTML_TYPE, "text/html"):
            a, b = get(plain + path, accept), get(compat + path, accept)
            assert a.status == 200, str(a)
            assert b.status == a.status and b.content_type == a.content_type, f"{path} {accept}:\n{b}"
            assert b.body == a.body, f"{compat + path} ({accept}) differs from {plain + path}"
            assert b.header("ETag") == a.header("ETag") and b.header("Vary") == a.header("Vary"), (b.headers, a.headers)
            r = get(compat + path, accept, headers={"If-None-Match": a.header("ETag")})
            assert r.status == 304, f"{path} {accept}:\n{r}"
    assert get(compat + "/simple/nothing-here/").status == get(plain + "/simple/nothing-here/").status == 404
    # Anonymous: a missing repository answers as a private one does (docs/security.md).
    assert get(f"{server.url}/{prefix}/no-such-repo-x/simple/").status == 401
    assert get(compat + "/simple/whalpha/", accept="application/xml").status == 406

    # Redirects keep the prefix.
    for path, target in (("/simple/whalpha", "/simple/whalpha/"), ("/simple/WhAlpha/", "/simple/whalpha/"),
                         ("/simple", "/simple/"), ("/", "/simple/")):
        r = get(compat + path)
        assert r.status in (301, 302, 307, 308), f"{compat + path}:\n{r}"
        location = urljoin(compat + path, r.header("Location"))
        assert urlsplit(location).path == urlsplit(compat + target).path, f"{compat + path} -> {location}"

    # Files and metadata under the prefix.
    doc = get(compat + "/simple/whalpha/", JSON_TYPE).json()
    wheel = next(f for f in doc["files"] if f["filename"].endswith(".whl"))
    url = urljoin(compat + "/simple/whalpha/", wheel["url"])
    assert urlsplit(url).path.startswith(f"/{prefix}/{filled}/"), url
    got = request("GET", url)
    assert got.status == 200 and hashlib.sha256(got.body).hexdigest() == wheel["hashes"]["sha256"], str(got)
    meta = request("GET", url + ".metadata")
    assert meta.status == 200 and hashlib.sha256(meta.body).hexdigest() == wheel["core-metadata"]["sha256"]
    part = request("GET", url, headers={"Range": "bytes=0-9"})
    assert part.status == 206 and part.body == got.body[:10], str(part)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_twine_uploads_under_the_prefix(server, alpha10, beta10, prefix):
    local = create_local(server, "twine")
    r = twine_upload(base(server, prefix, local) + "/", alpha10.files, password=server.admin_token)
    assert r.returncode == 0, str(r)
    # Without the trailing slash too (twine aborts on a redirect).
    r = twine_upload(base(server, prefix, local), [beta10.wheel], password=server.admin_token)
    assert r.returncode == 0, str(r)
    files = page_files(server, local, "whalpha")
    assert sorted(files) == sorted(p.name for p in alpha10.files)
    for p in alpha10.files:
        assert files[p.name]["hashes"]["sha256"] == sha256_file(p)
    assert list(page_files(server, local, "whbeta")) == [beta10.wheel.name]

    # Through a virtual's compatibility URL: lands in deployTo.
    deploy = create_local(server, "deploy")
    v = create_virtual(server, [deploy], deployTo=deploy)
    r = twine_upload(base(server, prefix, v) + "/", [alpha10.wheel], password=server.admin_token)
    assert r.returncode == 0, str(r)
    assert list(page_files(server, deploy, "whalpha")) == [alpha10.wheel.name]
    # Same rules as the plain URL: bad credentials are a 401.
    r = twine_upload(base(server, prefix, local) + "/", [alpha10.sdist], password="wrong-token")
    assert r.returncode != 0 and "401" in r.output, str(r)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_pip_installs_from_the_prefix(server, upstream, dists, tmp_path, prefix):
    """pip through each compatibility URL of a virtual: whbeta locally, its dependency from the remote."""
    local = create_local(server, "priv")
    upload_ok(server, local, dists[("whbeta", "1.0")].wheel)
    for f in dists[("whalpha", "1.1")].files:
        upstream.add_path("whalpha", f, requires_python=">=3.8")
    remote = create_remote(server, upstream.simple_url)
    v = create_virtual(server, [local, remote], deployTo=local)

    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", base(server, prefix, v) + "/simple/", "whbeta"])
    assert r.returncode == 0, str(r)
    assert venv.version_of("whbeta") == "1.0" and venv.version_of("whalpha") == "1.1"

    venv = Venv.create(tmp_path / "uv-venv")
    r = uv_pip_install(venv, ["--index-url", base(server, prefix, v) + "/simple/", "whbeta"],
                       uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    assert venv.version_of("whbeta") == "1.0" and venv.version_of("whalpha") == "1.1"

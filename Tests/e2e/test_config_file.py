"""Declarative configuration: `wheelhouse serve --config wheelhouse.yaml` creates or updates the declared
repositories at every start, idempotently; the API refuses to change them (409 naming the file);
a repository dropped from the file becomes editable again and is not deleted."""

import copy

from virtual_fixtures import *  # noqa: F401,F403
from whclient import basic, bearer, request
from whtools import cli, twine_upload

MIRROR_USER, MIRROR_PASSWORD = "svc-wheelhouse", "s3cret-from-env"
REPO_ACTIONS = ("repository.create", "repository.update", "repository.delete")


def declared(upstream_url: str) -> list[dict]:
    return [
        {"name": "pypi-local", "type": "local"},
        {"name": "pypi-local2", "type": "local", "anonymousRead": True},
        {"name": "pypi-remote", "type": "remote", "url": upstream_url, "metadataTTL": 600, "negativeTTL": 60,
         "offline": False, "username": MIRROR_USER, "passwordEnv": "MIRROR_PASSWORD"},
        {"name": "pypi", "type": "virtual", "members": ["pypi-local", "pypi-local2", "pypi-remote"],
         "deployTo": "pypi-local", "allowRemote": [], "anonymousRead": True},
    ]


def repositories(server) -> dict[str, dict]:
    r = server.api.call("GET", "/repositories")
    assert r.status == 200, str(r)
    return {x["name"]: x for x in r.json()["repositories"]}


def repo_audit(server) -> dict[str, list]:
    return {a: audit_entries(server, action=a) for a in REPO_ACTIONS}


def start(config_server, upstream, repos=None, **kw):
    return config_server(repos if repos is not None else declared(upstream.simple_url),
                         env={"MIRROR_PASSWORD": MIRROR_PASSWORD}, **kw)


def test_declared_repositories_are_created(config_server, upstream, dists):
    upstream.require_auth(MIRROR_USER, MIRROR_PASSWORD)
    for f in dists[("whalpha", "1.1")].files:
        upstream.add_path("whalpha", f, requires_python=">=3.8")
    s = start(config_server, upstream)
    repos = repositories(s)
    for name in ("pypi-local", "pypi-local2", "pypi-remote", "pypi"):
        assert name in repos, sorted(repos)
        assert repos[name]["declaredIn"] == str(s.config_path), repos[name]
    assert repos["pypi-local"]["type"] == "local" and repos["pypi-local"]["anonymousRead"] is False
    remote = repos["pypi-remote"]
    assert (remote["type"], remote["url"], remote["metadataTTL"], remote["negativeTTL"], remote["offline"]) == \
        ("remote", upstream.simple_url, 600, 60, False), remote
    assert remote["hasCredentials"] is True and MIRROR_PASSWORD not in str(remote)
    v = repos["pypi"]
    assert v["type"] == "virtual" and v["members"] == ["pypi-local", "pypi-local2", "pypi-remote"], v
    assert v["deployTo"] == "pypi-local" and v["allowRemote"] == [] and v["anonymousRead"] is True, v

    # They work: the virtual takes a twine upload into deployTo, and reads the remote with the
    # upstream password that came from the environment.
    beta = dists[("whbeta", "1.0")]
    r = twine_upload(f"{s.url}/pypi/", [beta.wheel], password=s.admin_token)
    assert r.returncode == 0, str(r)
    r = request("GET", f"{s.url}/pypi-local/simple/whbeta/", headers=bearer(s.admin_token))
    assert r.status == 200 and beta.wheel.name in r.text, str(r)
    # `pypi` is anonymousRead over private members: anonymous clients see none of them (README).
    assert page(s, "pypi", "whalpha").status == 404
    assert page(s, "pypi", "whbeta").status == 404
    r = page(s, "pypi", "whalpha", headers=bearer(s.admin_token))
    assert r.status == 200, str(r)
    assert served_by(r) == ["pypi-remote"]
    assert upstream.requests(page_path("whalpha"))[-1].headers.get("authorization") == \
        basic(MIRROR_USER, MIRROR_PASSWORD)["Authorization"]


def test_same_file_twice_changes_nothing(config_server, upstream, alpha10):
    s = start(config_server, upstream)
    upload_ok(s, "pypi", alpha10.wheel)
    text = s.config_path.read_bytes()
    before_repos, before_audit = repositories(s), repo_audit(s)

    s.restart()
    assert s.config_path.read_bytes() == text, "the test meant to restart with the same file"
    assert repositories(s) == before_repos
    assert repo_audit(s) == before_audit, "a restart with an unchanged file must not change any repository"
    assert list(page_files(s, "pypi", "whalpha", bearer(s.admin_token))) == [alpha10.wheel.name]

    s.restart()
    assert repositories(s) == before_repos
    assert repo_audit(s) == before_audit


def test_file_changes_are_audited(config_server, upstream):
    """What the file creates and changes is in the audit log (without it, the audit half of the
    idempotence test above would prove nothing)."""
    s = start(config_server, upstream)
    created = {e.get("repository") for e in audit_entries(s, action="repository.create")}
    assert created >= {"pypi-local", "pypi-local2", "pypi-remote", "pypi"}, \
        f"repositories created from {s.config_path} are missing from the audit log: {created}"
    s.repositories = copy.deepcopy(s.repositories)
    s.repositories[-1]["anonymousRead"] = False
    s.restart()
    updated = audit_entries(s, action="repository.update", repository="pypi")
    assert len(updated) == 1, f"the file's change to 'pypi' is not in the audit log: {updated}"
    s.restart()
    assert audit_entries(s, action="repository.update", repository="pypi") == updated


def test_api_changes_to_declared_repositories_are_refused(config_server, upstream, wheelhouse_bin):
    s = start(config_server, upstream)
    before_repos, before_audit = repositories(s), repo_audit(s)
    path = str(s.config_path)
    attempts = [
        ("PATCH", "pypi-local", {"anonymousRead": True}),
        ("PATCH", "pypi-remote", {"metadataTTL": 5}),
        ("PATCH", "pypi", {"members": ["pypi-local"]}),
        ("PATCH", "pypi", {"allowRemote": ["*"]}),
        ("DELETE", "pypi", None),
        ("DELETE", "pypi-local2", None),
    ]
    for method, name, body in attempts:
        r = s.api.call(method, f"/repositories/{name}", body)
        assert r.status == 409, f"{method} {name} {body}:\n{r}"
        assert path in r.json().get("error", ""), f"the refusal must name the file {path}:\n{r}"
    res = cli(wheelhouse_bin, ["repo", "set", "pypi", "--members", "pypi-local"], url=s.url, token=s.admin_token)
    assert res.returncode != 0 and path in res.output, str(res)
    assert repositories(s) == before_repos
    assert repo_audit(s) == before_audit


def test_changed_file_changes_the_repository(config_server, upstream, alpha10, tmp_path):
    s = start(config_server, upstream)
    other = with_zip_comment(alpha10.wheel, tmp_path / alpha10.wheel.name, b"pypi-local2's bytes")
    upload_ok(s, "pypi-local", alpha10.wheel)
    upload_ok(s, "pypi-local2", other)
    assert page_files(s, "pypi", "whalpha", bearer(s.admin_token))[alpha10.wheel.name]["hashes"]["sha256"] == \
        sha256_file(alpha10.wheel)
    # Anonymous clients read only the public member (a virtual serves a member only to its readers).
    assert page_files(s, "pypi", "whalpha")[alpha10.wheel.name]["hashes"]["sha256"] == sha256_file(other)
    before = repositories(s)

    # Member order, anonymous read, allowRemote and a remote's TTL change; a new repository appears.
    repos = copy.deepcopy(s.repositories)
    by_name = {r["name"]: r for r in repos}
    by_name["pypi"]["members"] = ["pypi-local2", "pypi-local", "pypi-remote"]
    by_name["pypi"]["anonymousRead"] = False
    by_name["pypi"]["allowRemote"] = ["whalpha", "team-*"]
    by_name["pypi-remote"]["metadataTTL"] = 30
    repos.append({"name": "pypi-extra", "type": "local", "anonymousRead": True})
    s.repositories = repos
    s.restart()

    after = repositories(s)
    v = after["pypi"]
    assert v["members"] == ["pypi-local2", "pypi-local", "pypi-remote"], v
    assert v["anonymousRead"] is False and v["allowRemote"] == ["whalpha", "team-*"], v
    assert v["createdAt"] == before["pypi"]["createdAt"], "updated in place, not re-created"
    assert after["pypi-remote"]["metadataTTL"] == 30
    assert after["pypi-extra"]["type"] == "local" and after["pypi-extra"]["declaredIn"] == str(s.config_path)
    for name in ("pypi-local", "pypi-local2"):
        assert after[name] == before[name]

    anon = request("GET", f"{s.url}/pypi/simple/whalpha/")
    assert anon.status == 401 and anon.header("WWW-Authenticate"), f"anonymousRead: false not applied:\n{anon}"
    r = page(s, "pypi", "whalpha", headers=basic("__token__", s.admin_token))
    assert r.status == 200, str(r)
    wheel = next(f for f in r.json()["files"] if f["filename"] == alpha10.wheel.name)
    assert wheel["hashes"]["sha256"] == sha256_file(other), "the new member order must decide the winner"

    # Drop pypi-local2 from the file (and from the virtual): it stays, with its files, and is editable again.
    s.repositories = [r for r in repos if r["name"] != "pypi-local2"]
    by = {r["name"]: r for r in s.repositories}
    by["pypi"]["members"] = ["pypi-local", "pypi-remote"]
    s.restart()
    after = repositories(s)
    assert "pypi-local2" in after, "a repository removed from the file must not be deleted"
    assert after["pypi-local2"].get("declaredIn") is None, after["pypi-local2"]
    assert list(page_files(s, "pypi-local2", "whalpha")) == [alpha10.wheel.name]
    r = patch_repo(s, "pypi-local2", anonymousRead=False)
    assert r.json()["anonymousRead"] is False
    assert s.api.call("PATCH", "/repositories/pypi", {"anonymousRead": True}).status == 409
    r = s.api.call("DELETE", "/repositories/pypi-local2")
    assert r.status == 204, str(r)


def test_bad_file_stops_the_start(config_server, upstream):
    repos = declared(upstream.simple_url)
    repos[-1]["members"] = ["pypi-local", "no-such-repo"]
    s = start(config_server, upstream, repos, start=False)
    tail = s.start_expecting_failure()
    assert "no-such-repo" in tail, tail

    s.repositories = declared(upstream.simple_url)
    s.extra_env = {}  # passwordEnv names a variable that is not set
    tail = s.start_expecting_failure()
    assert "MIRROR_PASSWORD" in tail, tail


def test_server_settings_from_the_file(config_server, upstream):
    """host, port and data come from `server:` (the process gets no flags); passwordLogin is honoured."""
    s = start(config_server, upstream, server_settings={"passwordLogin": False})
    assert s.stored_files(), f"nothing written under the file's data dir {s.data_dir}"
    r = s.api.call("POST", "/users", {"name": "carol", "password": "correct horse battery"})
    assert r.status == 201, str(r)
    r = request("GET", f"{s.url}/api/v1/whoami", headers=basic("carol", "correct horse battery"))
    assert r.status == 401, f"passwordLogin: false must refuse passwords:\n{r}"

    s.server_settings = {"passwordLogin": True}
    s.restart()
    r = request("GET", f"{s.url}/api/v1/whoami", headers=basic("carol", "correct horse battery"))
    assert r.status == 200, str(r)

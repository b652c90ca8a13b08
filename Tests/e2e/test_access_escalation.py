"""Privilege escalation through repository settings and virtual repositories (issue 12, section 3).

Each test replays an attack that worked on 53cd0a4 and checks the rule that stops it (docs/security.md,
"Access control"):
- adding a member to a virtual needs read on it (on every leaf of a nested virtual), setting
  `deployTo` needs write there;
- an upload through a virtual needs write on the virtual and on its `deployTo`;
- a virtual serves a member only to readers of that member, and its page cache never hands one
  reader's view to another; the dependency-confusion guard still looks at every local member;
- a new upstream URL without new credentials drops the stored ones; a sealed password given as a
  new one is refused (it would be another repository's, read from a backup);
- upstream passwords are encrypted at rest; rows stored in clear by older versions keep working and
  are encrypted at the next start; rows in the unbound sealed:v1 format are dropped at start.

One server for the module (the tests isolate themselves with their own repositories and users); the
at-rest test restarts a server of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat

import pytest

from access_fixtures import (admin, api, create_repo, create_token, create_user, find_secrets_in_db,
                             find_secrets_in_files, get_page, grant, ok, project_files, send, small_wheel,
                             unique, upload_wheel)
from fakeupstream import FakeUpstream
from remote_fixtures import wheel_bytes
from whclient import JSON_TYPE, basic, bearer

SERVED_BY = "X-Wheelhouse-Served-By"


@pytest.fixture
def upstreams():
    started: list[FakeUpstream] = []

    def make() -> FakeUpstream:
        u = FakeUpstream().start()
        started.append(u)
        return u

    yield make
    for u in started:
        u.stop()


def user_token(server, scopes=None) -> tuple[str, dict]:
    name, _ = create_user(server, unique("esc"))
    return name, bearer(create_token(server, user=name, scopes=scopes)["token"])


def patch(server, repo: str, fields: dict, auth: dict):
    return api(server, "PATCH", f"/repositories/{repo}", fields, auth)


def view(server, repo: str) -> dict:
    return ok(api(server, "GET", f"/repositories/{repo}", auth=admin(server)), 200).json()


def served_by(r) -> list[str]:
    return [x.strip() for x in (r.header(SERVED_BY) or "").split(",") if x.strip()]


# -- 3a: members and deployTo ---------------------------------------------------------------------

def test_adding_a_member_needs_read_on_it_and_deploy_to_needs_write(server, tmp_path):
    secret = create_repo(server, "local", "esc-secret")
    ok(upload_wheel(server, secret, small_wheel(tmp_path, "whsecret", "1.0"), admin(server)), 200)
    mine = create_repo(server, "local", "esc-mine")
    nested = create_repo(server, "virtual", "esc-nested", members=[secret])
    virtual = create_repo(server, "virtual", "esc-virt", members=[mine], deployTo=mine)
    eve, eve_h = user_token(server)
    grant(server, virtual, eve, "admin")
    grant(server, mine, eve, "write")
    grant(server, nested, eve, "read")  # the nested virtual itself, not what is under it

    # The attack: an admin of the virtual adds a repository they cannot read, directly or nested.
    for members in ([mine, secret], [mine, nested]):
        r = patch(server, virtual, {"members": members}, eve_h)
        assert r.status == 403, f"members {members} by an admin of the virtual only:\n{r}"
        assert view(server, virtual)["members"] == [mine]
    assert ok(get_page(server, virtual, "whsecret", eve_h), 404)

    # With read on the repository, adding it is fine; deploying into it still needs write.
    grant(server, secret, eve, "read")
    ok(patch(server, virtual, {"members": [mine, secret, nested]}, eve_h), 200)
    r = patch(server, virtual, {"deployTo": secret}, eve_h)
    assert r.status == 403, f"deployTo a repository the caller can only read:\n{r}"
    assert view(server, virtual)["deployTo"] == mine
    grant(server, secret, eve, "write")
    ok(patch(server, virtual, {"deployTo": secret}, eve_h), 200)

    # Removing members needs nothing more than admin on the virtual.
    ok(patch(server, virtual, {"members": [mine], "deployTo": mine}, eve_h), 200)


# -- 3b: uploads through a virtual ------------------------------------------------------------------

def test_upload_through_a_virtual_needs_write_on_its_deploy_target(server, tmp_path):
    target = create_repo(server, "local", "esc-target")
    virtual = create_repo(server, "virtual", "esc-deploy", members=[target], deployTo=target)
    walt, walt_h = user_token(server)
    grant(server, virtual, walt, "write")

    # Write on the virtual only: the upload would land in a repository walt cannot write.
    wheel = small_wheel(tmp_path / "a", "whdeploy", "1.0")
    r = upload_wheel(server, virtual, wheel, walt_h)
    assert r.status == 403, f"upload through the virtual without write on deployTo:\n{r}"
    assert wheel.name not in project_files(server, target, "whdeploy")

    # With write on both, a token scoped to the virtual alone is still not enough...
    grant(server, target, walt, "write")
    scoped = bearer(create_token(server, user=walt, scopes=[{"repository": virtual, "level": "write"}])["token"])
    r = upload_wheel(server, virtual, wheel, scoped)
    assert r.status == 403, f"a token scoped to the virtual only:\n{r}"
    assert wheel.name not in project_files(server, target, "whdeploy")
    # ... one scoped to both is, and so is the unscoped token.
    both = bearer(create_token(server, user=walt, scopes=[{"repository": virtual, "level": "write"},
                                                          {"repository": target, "level": "write"}])["token"])
    ok(upload_wheel(server, virtual, wheel, both), 200)
    ok(upload_wheel(server, virtual, small_wheel(tmp_path / "b", "whdeploy", "1.1"), walt_h), 200)
    assert set(project_files(server, target, "whdeploy")) == {wheel.name, "whdeploy-1.1-py3-none-any.whl"}


# -- 3c: reading a virtual -----------------------------------------------------------------------------

def test_a_virtual_serves_a_member_only_to_its_readers(server, upstreams, tmp_path):
    upstream = upstreams()
    for project, version in (("whconf", "9.9"), ("whremote", "1.0")):
        fn, data = wheel_bytes(tmp_path, project, version)
        upstream.add(project, fn, data)
    secret = create_repo(server, "local", "esc-private")
    public = create_repo(server, "local", "esc-public", anonymousRead=True)
    remote = create_repo(server, "remote", "esc-remote", url=upstream.simple_url, anonymousRead=True)
    priv_wheel = small_wheel(tmp_path / "p", "whpriv", "1.0")
    for wheel in (priv_wheel, small_wheel(tmp_path / "c", "whconf", "1.0")):
        ok(upload_wheel(server, secret, wheel, admin(server)), 200)
    ok(upload_wheel(server, public, small_wheel(tmp_path / "q", "whpub", "1.0"), admin(server)), 200)
    # The README's example: a virtual anyone may read, over a private local, a public local and a remote.
    virtual = create_repo(server, "virtual", "esc-read", members=[secret, public, remote], anonymousRead=True)
    reader, reader_h = user_token(server)
    grant(server, secret, reader, "read")

    # The server admin reads everything first, so a page cache keyed by the virtual alone would
    # hand the admin's view to the next reader.
    full = ok(get_page(server, virtual, "whpriv", admin(server), accept=JSON_TYPE), 200)
    assert served_by(full) == [secret]
    ok(get_page(server, virtual, "whconf", admin(server), accept=JSON_TYPE), 200)

    # Anonymous: only the public members serve.
    r = get_page(server, virtual, "whpriv", None, accept=JSON_TYPE)
    assert r.status == 404, f"anonymous read of a private member's project through the virtual:\n{r}"
    sha = hashlib.sha256(priv_wheel.read_bytes()).hexdigest()
    r = send("GET", f"{server.url}/{virtual}/files/{sha}/{priv_wheel.name}")
    assert r.status == 404, f"anonymous download of a private member's file through the virtual:\n{r}"
    r = ok(get_page(server, virtual, None, None, accept=JSON_TYPE), 200)
    names = {p["name"] for p in r.json()["projects"]}
    assert "whpub" in names and not names & {"whpriv", "whconf"}, names
    pub = ok(get_page(server, virtual, "whpub", None, accept=JSON_TYPE), 200)
    assert served_by(pub) == [public]
    # The dependency-confusion guard still counts the private local: no remote whconf for anyone.
    before = upstream.count()
    r = get_page(server, virtual, "whconf", None, accept=JSON_TYPE)
    assert r.status == 404, f"the remote's whconf served because the reader cannot see the local one:\n{r}"
    assert upstream.count() == before, "the remote was asked for a project a local member holds"

    # A reader of the private member sees it, and only it serves whconf.
    r = ok(get_page(server, virtual, "whconf", reader_h, accept=JSON_TYPE), 200)
    assert served_by(r) == [secret] and [f["filename"] for f in r.json()["files"]] == ["whconf-1.0-py3-none-any.whl"]
    ok(send("GET", f"{server.url}/{virtual}/files/{sha}/{priv_wheel.name}", headers=reader_h), 200)

    # Token scopes apply per member: a token scoped to the virtual alone reads only the public members.
    scoped = bearer(create_token(server, user=reader, scopes=[{"repository": virtual, "level": "read"}])["token"])
    assert ok(get_page(server, virtual, "whpriv", scoped), 404)
    both = bearer(create_token(server, user=reader, scopes=[{"repository": virtual, "level": "read"},
                                                            {"repository": secret, "level": "read"}])["token"])
    assert served_by(ok(get_page(server, virtual, "whpriv", both), 200)) == [secret]


# -- 3d: upstream URL and credentials -------------------------------------------------------------------

def mirror_and_evil(upstreams, tmp_path, project: str, username: str, password: str):
    """A mirror that wants credentials and an attacker's upstream, both serving `project` 1.0."""
    mirror, evil = upstreams(), upstreams()
    mirror.require_auth(username, password)
    for u in (mirror, evil):
        fn, data = wheel_bytes(tmp_path, project, "1.0")
        u.add(project, fn, data)
    return mirror, evil


def test_a_new_upstream_url_drops_the_stored_credentials(server, upstreams, tmp_path):
    mirror, evil = mirror_and_evil(upstreams, tmp_path, "whcreds", "svc-mirror", "mirror-secret-pw")
    remote = create_repo(server, "remote", "esc-creds", url=mirror.simple_url, username="svc-mirror",
                         password="mirror-secret-pw")
    ok(get_page(server, remote, "whcreds", admin(server)), 200)
    mallory, mallory_h = user_token(server)
    grant(server, remote, mallory, "admin")

    # The attack: point the remote at a server of one's own and make it fetch.
    r = ok(patch(server, remote, {"url": evil.simple_url}, mallory_h), 200)
    assert r.json()["hasCredentials"] is False, r.json()
    ok(api(server, "DELETE", f"/repositories/{remote}/cache/whcreds", auth=mallory_h), 204)
    ok(get_page(server, remote, "whcreds", mallory_h), 200)
    sent = [s.headers.get("authorization") for s in evil.requests()]
    assert sent and not any(sent), f"credentials sent to the new upstream: {sent}"

    # New credentials in the same request are kept (the server admin moving a mirror).
    r = ok(patch(server, remote, {"url": mirror.simple_url, "username": "svc-mirror", "password": "mirror-secret-pw"},
                 admin(server)), 200)
    assert r.json()["hasCredentials"] is True
    ok(api(server, "DELETE", f"/repositories/{remote}/cache/whcreds", auth=admin(server)), 204)
    ok(get_page(server, remote, "whcreds", admin(server)), 200)


def test_a_sealed_password_cannot_be_moved_to_another_remote(server, upstreams, tmp_path):
    """Someone who read a backup holds every remote's sealed password; as admin of one remote they
    must not get another's password in clear by giving its sealed form as their own."""
    mirror, evil = mirror_and_evil(upstreams, tmp_path, "whmoved", "svc-victim", "victim-secret-pw")
    victim = create_repo(server, "remote", "esc-victim", url=mirror.simple_url, username="svc-victim",
                         password="victim-secret-pw")
    ok(get_page(server, victim, "whmoved", admin(server)), 200)
    mine = create_repo(server, "remote", "esc-mine", url=evil.simple_url)
    mallory, mallory_h = user_token(server)
    grant(server, mine, mallory, "admin")
    sealed = stored_settings(server, victim)["upstreamPassword"]
    assert sealed.startswith("sealed:"), sealed

    for fields in ({"username": "svc-victim", "password": sealed},
                   {"url": evil.simple_url + "x/", "username": "svc-victim", "password": sealed}):
        r = patch(server, mine, fields, mallory_h)
        assert r.status == 400, f"a sealed value accepted as a password:\n{r}"
    r = api(server, "POST", "/repositories", {"name": unique("esc-copy"), "type": "remote", "url": evil.simple_url,
                                                 "username": "svc-victim", "password": sealed}, admin(server))
    assert r.status == 400, str(r)
    ok(get_page(server, mine, "whmoved", mallory_h), 200)
    sent = [s.headers.get("authorization") for s in evil.requests()]
    assert not any(sent), f"credentials sent to the attacker's upstream: {sent}"


def stored_settings(server, repo: str) -> dict:
    con = sqlite3.connect(f"file:{server.data_dir / 'wheelhouse.sqlite'}?mode=ro", uri=True)
    try:
        (text,) = con.execute("SELECT settings FROM repositories WHERE name = ?", (repo,)).fetchone()
    finally:
        con.close()
    return json.loads(text)


# -- 3e: upstream passwords at rest ----------------------------------------------------------------------

def test_upstream_passwords_are_encrypted_at_rest(start_server, upstreams, tmp_path):
    upstream = upstreams()
    password = "up-" + os.urandom(12).hex()
    upstream.require_auth("svc", password)
    fn, data = wheel_bytes(tmp_path, "whrest", "1.0")
    upstream.add("whrest", fn, data)
    server = start_server()
    remote = create_repo(server, "remote", "esc-rest", url=upstream.simple_url, username="svc", password=password)
    ok(get_page(server, remote, "whrest", admin(server)), 200)
    db = server.data_dir / "wheelhouse.sqlite"
    assert find_secrets_in_db(db, {"upstream password": password}) == []
    assert find_secrets_in_files(server.data_dir, {"upstream password": password}) == []
    key_file = server.data_dir / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # A row written in clear (as by an older version) still works and is encrypted at the next start.
    server.stop()
    legacy = create_legacy_row(db, remote, password)
    server.start()
    ok(api(server, "DELETE", f"/repositories/{remote}/cache/whrest", auth=admin(server)), 204)
    ok(get_page(server, remote, "whrest", admin(server)), 200)
    assert find_secrets_in_db(db, {"upstream password": password}) == [], legacy

    # The unbound sealed:v1 format of unreleased builds cannot be opened: dropped at start, with a warning.
    server.stop()
    create_legacy_row(db, remote, "sealed:v1:" + "A" * 40)
    server.start()
    assert view(server, remote)["hasCredentials"] is False
    assert "older encrypted format" in server.log_text()


def create_legacy_row(db, remote: str, password: str) -> dict:
    con = sqlite3.connect(db)
    try:
        (text,) = con.execute("SELECT settings FROM repositories WHERE name = ?", (remote,)).fetchone()
        settings = json.loads(text)
        assert settings["upstreamPassword"] != password and password not in text, settings
        settings["upstreamPassword"] = password
        con.execute("UPDATE repositories SET settings = ? WHERE name = ?", (json.dumps(settings), remote))
        con.commit()
    finally:
        con.close()
    return settings

"""The access-control CLI: `wheelhouse user`, `token`, `repo grant|revoke` and `audit` against a
running server: exit codes, what they print, and their effect seen through the API."""

from __future__ import annotations

import uuid

from access_fixtures import TOKEN_RE, admin, api, create_repo, fresh_source, get_page, new_password, ok
from whclient import basic, bearer
from whserver import clean_env
from whtools import run


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wh(server, wheelhouse_bin, *args, token: str | None = "admin", **env):
    """The CLI with WHEELHOUSE_URL/WHEELHOUSE_TOKEN (the admin's unless `token`) and extra env."""
    extra = {"WHEELHOUSE_URL": server.url}
    tok = server.admin_token if token == "admin" else token
    if tok is not None:
        extra["WHEELHOUSE_TOKEN"] = tok
    extra.update(env)
    return run([wheelhouse_bin, *args], env=clean_env(**extra), timeout=60)


def fails(r) -> None:
    assert r.returncode != 0, str(r)
    assert r.stderr.strip(), f"no message on stderr\n{r}"


def test_user_create_list_disable(server, wheelhouse_bin):
    alice, pw = name("alice"), new_password()
    r = wh(server, wheelhouse_bin, "user", "create", alice, WHEELHOUSE_NEW_PASSWORD=pw)
    assert r.returncode == 0, str(r)
    assert pw not in r.output
    ok(api(server, "GET", "/whoami", auth=basic(alice, pw)), 200)

    boss = name("boss")
    r = wh(server, wheelhouse_bin, "user", "create", boss, "--admin")
    assert r.returncode == 0, str(r)
    users = {u["name"]: u for u in ok(api(server, "GET", "/users", auth=admin(server)), 200).json()["users"]}
    assert users[boss]["admin"] is True and users[boss]["hasPassword"] is False, users[boss]
    assert users[alice]["admin"] is False and users[alice]["hasPassword"] is True, users[alice]

    r = wh(server, wheelhouse_bin, "user", "list")
    assert r.returncode == 0 and alice in r.stdout and boss in r.stdout, str(r)

    fails(wh(server, wheelhouse_bin, "user", "create", alice, WHEELHOUSE_NEW_PASSWORD=pw))  # exists
    fails(wh(server, wheelhouse_bin, "user", "create", "Bad Name!"))
    # Only server admins manage users.
    alice_tok = ok(api(server, "POST", "/tokens", {"name": "mine"}, basic(alice, pw)), 201).json()["token"]
    fails(wh(server, wheelhouse_bin, "user", "create", name("mallory"), token=alice_tok))
    fails(wh(server, wheelhouse_bin, "user", "list", token=alice_tok))
    fails(wh(server, wheelhouse_bin, "user", "disable", boss, token=alice_tok))
    fails(wh(server, wheelhouse_bin, "user", "list", token=None))

    r = wh(server, wheelhouse_bin, "user", "disable", alice)
    assert r.returncode == 0, str(r)
    users = {u["name"]: u for u in ok(api(server, "GET", "/users", auth=admin(server)), 200).json()["users"]}
    assert users[alice]["disabled"] is True
    # A disabled user's password and tokens stop working.
    assert api(server, "GET", "/whoami", auth=basic(alice, pw), source=fresh_source(7)).status == 401
    assert api(server, "GET", "/whoami", auth=bearer(alice_tok), source=fresh_source(7)).status == 401
    fails(wh(server, wheelhouse_bin, "user", "disable", name("nobody")))


def test_token_create_list_revoke(server, wheelhouse_bin):
    repo = create_repo(server, "local", "acc-cli")
    other = create_repo(server, "local", "acc-cli-other")
    bob, pw = name("bob"), new_password()
    assert wh(server, wheelhouse_bin, "user", "create", bob, WHEELHOUSE_NEW_PASSWORD=pw).returncode == 0
    assert wh(server, wheelhouse_bin, "repo", "grant", repo, bob, "write").returncode == 0
    assert wh(server, wheelhouse_bin, "repo", "grant", other, bob, "write").returncode == 0

    r = wh(server, wheelhouse_bin, "token", "create", "ci", "--user", bob, "--scope", f"{repo}:write",
           "--expires-in", "3600")
    assert r.returncode == 0, str(r)
    secrets = TOKEN_RE.findall(r.stdout)
    assert len(secrets) == 1, str(r)
    secret = secrets[0]
    listed = ok(api(server, "GET", f"/tokens?user={bob}", auth=admin(server)), 200).json()["tokens"]
    assert len(listed) == 1 and listed[0]["name"] == "ci" and listed[0]["expiresAt"], listed
    assert listed[0]["scopes"] == [{"repository": repo, "level": "write"}], listed
    token_id = listed[0]["id"]
    assert token_id in r.output, f"the new token's id is shown\n{r}"
    # The token works, within its scope only.
    me = ok(api(server, "GET", "/whoami", auth=bearer(secret)), 200).json()
    assert bob in str(me), me
    assert get_page(server, repo, None, bearer(secret)).status == 200
    assert get_page(server, other, None, bearer(secret)).status == 403

    # A user makes their own token with the CLI (signed in with a token of their own).
    own = wh(server, wheelhouse_bin, "token", "create", "laptop", token=ok(
        api(server, "POST", "/tokens", {"name": "bootstrap"}, basic(bob, pw)), 201).json()["token"])
    assert own.returncode == 0 and TOKEN_RE.search(own.stdout), str(own)
    # A scoped token cannot make tokens; non-admins cannot make tokens for others.
    fails(wh(server, wheelhouse_bin, "token", "create", "escape", token=secret))
    fails(wh(server, wheelhouse_bin, "token", "create", "x", "--user", "admin", token=TOKEN_RE.search(own.stdout).group(0)))
    fails(wh(server, wheelhouse_bin, "token", "create", "bad", "--scope", "no-level-here"))

    r = wh(server, wheelhouse_bin, "token", "list", "--user", bob)
    assert r.returncode == 0 and token_id in r.stdout and "ci" in r.stdout, str(r)
    assert secret not in r.output and TOKEN_RE.search(own.stdout).group(0) not in r.output, "token list shows a secret"
    r = wh(server, wheelhouse_bin, "token", "list")
    assert r.returncode == 0 and token_id in r.stdout, str(r)
    # bob sees his own tokens only.
    r = wh(server, wheelhouse_bin, "token", "list", token=TOKEN_RE.search(own.stdout).group(0))
    assert r.returncode == 0 and token_id in r.stdout, str(r)
    owners = {line.split("\t")[1] for line in r.stdout.splitlines() if line.strip()}
    assert owners == {bob}, str(r)

    r = wh(server, wheelhouse_bin, "token", "revoke", token_id)
    assert r.returncode == 0, str(r)
    assert api(server, "GET", "/whoami", auth=bearer(secret), source=fresh_source(7)).status == 401
    revoked = [t for t in ok(api(server, "GET", f"/tokens?user={bob}", auth=admin(server)), 200).json()["tokens"]
               if t["id"] == token_id]
    assert revoked and revoked[0]["revokedAt"], revoked
    fails(wh(server, wheelhouse_bin, "token", "revoke", token_id))  # already revoked: 409
    fails(wh(server, wheelhouse_bin, "token", "revoke", str(uuid.uuid4())))  # unknown: 404


def test_repo_grant_revoke(server, wheelhouse_bin):
    repo = create_repo(server, "local", "acc-cli")
    carol, pw = name("carol"), new_password()
    assert wh(server, wheelhouse_bin, "user", "create", carol, WHEELHOUSE_NEW_PASSWORD=pw).returncode == 0
    assert get_page(server, repo, None, basic(carol, pw)).status == 403

    r = wh(server, wheelhouse_bin, "repo", "grant", repo, carol, "read")
    assert r.returncode == 0, str(r)
    grants = ok(api(server, "GET", f"/repositories/{repo}/permissions", auth=admin(server)), 200).json()["permissions"]
    assert {"user": carol, "level": "read"} in grants, grants
    assert get_page(server, repo, None, basic(carol, pw)).status == 200

    # Upgrading replaces the grant.
    assert wh(server, wheelhouse_bin, "repo", "grant", repo, carol, "admin").returncode == 0
    grants = ok(api(server, "GET", f"/repositories/{repo}/permissions", auth=admin(server)), 200).json()["permissions"]
    assert [g for g in grants if g["user"] == carol] == [{"user": carol, "level": "admin"}], grants
    # A repository admin may grant on their repository with the CLI.
    carol_tok = ok(api(server, "POST", "/tokens", {"name": "t"}, basic(carol, pw)), 201).json()["token"]
    dave = name("dave")
    assert wh(server, wheelhouse_bin, "user", "create", dave).returncode == 0
    r = wh(server, wheelhouse_bin, "repo", "grant", repo, dave, "read", token=carol_tok)
    assert r.returncode == 0, str(r)

    fails(wh(server, wheelhouse_bin, "repo", "grant", repo, carol, "superuser"))
    fails(wh(server, wheelhouse_bin, "repo", "grant", repo, name("nobody"), "read"))
    fails(wh(server, wheelhouse_bin, "repo", "grant", name("no-repo"), carol, "read"))

    r = wh(server, wheelhouse_bin, "repo", "revoke", repo, dave, token=carol_tok)
    assert r.returncode == 0, str(r)
    r = wh(server, wheelhouse_bin, "repo", "revoke", repo, carol)
    assert r.returncode == 0, str(r)
    grants = ok(api(server, "GET", f"/repositories/{repo}/permissions", auth=admin(server)), 200).json()["permissions"]
    assert all(g["user"] not in (carol, dave) for g in grants), grants
    assert get_page(server, repo, None, basic(carol, pw)).status == 403
    fails(wh(server, wheelhouse_bin, "repo", "revoke", repo, carol))  # no grant left: 404
    # Without admin on the repository, no grants.
    fails(wh(server, wheelhouse_bin, "repo", "grant", repo, carol, "admin", token=carol_tok))


def test_audit_with_filters(server, wheelhouse_bin):
    repo = create_repo(server, "local", "acc-cli-audit")
    erin = name("erin")
    assert wh(server, wheelhouse_bin, "user", "create", erin, WHEELHOUSE_NEW_PASSWORD=new_password()).returncode == 0
    assert wh(server, wheelhouse_bin, "repo", "grant", repo, erin, "write").returncode == 0
    assert wh(server, wheelhouse_bin, "repo", "revoke", repo, erin).returncode == 0
    assert api(server, "GET", "/whoami", auth=basic(erin, "not-her-password"), source=fresh_source(7)).status == 401

    def lines(*args, **kw):
        r = wh(server, wheelhouse_bin, "audit", *args, **kw)
        assert r.returncode == 0, str(r)
        return [line.split("\t") for line in r.stdout.splitlines() if line.strip()]

    rows = lines("--repository", repo)
    actions = [row[2] for row in rows]
    # Newest first: revoke, grant, create.
    assert actions[:3] == ["permission.revoke", "permission.grant", "repository.create"], rows
    assert all(row[3] == repo for row in rows), rows
    assert all(row[1] == "admin" for row in rows), rows

    rows = lines("--action", "permission.grant", "--repository", repo)
    assert len(rows) == 1 and rows[0][4] == erin and rows[0][5] == "127.0.0.1", rows

    rows = lines("--actor", erin, "--action", "login.failed")
    assert len(rows) == 1 and rows[0][5].startswith("127.7."), rows

    rows = lines("--action", "user.create", "--limit", "1")
    assert len(rows) == 1 and rows[0][4] == erin, rows

    assert lines("--since", "2999-01-01T00:00:00Z") == []
    assert lines("--repository", "no-such-repository") == []

    fails(wh(server, wheelhouse_bin, "audit", "--since", "yesterday"))
    fails(wh(server, wheelhouse_bin, "audit", "--limit", "0"))
    fails(wh(server, wheelhouse_bin, "audit", token=None))
    erin_tok = ok(api(server, "POST", "/tokens", {"name": "x", "user": erin}, admin(server)), 201).json()["token"]
    fails(wh(server, wheelhouse_bin, "audit", token=erin_tok))  # not a server admin: 403

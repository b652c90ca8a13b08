"""Logins and what they leak (issue 12, sections 4 and 5): a changed password stops working at once,
a token in the Basic user field works and never reaches the audit log, the token list shows no part
of a secret, and anonymous clients cannot tell a missing repository from a private one.

One server for the module (with a configured WHEELHOUSE_ADMIN_TOKEN, as the fixture starts it);
requests that fail on purpose come from fresh loopback addresses so the limiter stays out of the way.
"""

from __future__ import annotations

import secrets as pysecrets

from access_fixtures import (CHALLENGE, admin, api, audit, create_repo, create_token, create_user, fresh_source,
                             get_page, grant, ok, send, unique, upload_wheel, small_wheel)
from whclient import basic, bearer
from whtools import Venv, pip_install


# -- password change (4) ----------------------------------------------------------------------------------

def test_a_changed_password_stops_working_at_once(server):
    name, old_pw = create_user(server, unique("pwchange"))
    ok(api(server, "GET", "/whoami", auth=basic(name, old_pw)), 200)  # now in the success cache
    new_pw = "pw-" + pysecrets.token_urlsafe(18)
    ok(api(server, "PATCH", f"/users/{name}", {"password": new_pw}, basic(name, old_pw)), 200)
    r = api(server, "GET", "/whoami", auth=basic(name, old_pw), source=fresh_source(9))
    assert r.status == 401, f"the old password right after the change:\n{r}"
    ok(api(server, "GET", "/whoami", auth=basic(name, new_pw)), 200)
    # Disabled: refused at once too, cached or not.
    ok(api(server, "PATCH", f"/users/{name}", {"disabled": True}, admin(server)), 200)
    r = api(server, "GET", "/whoami", auth=basic(name, new_pw), source=fresh_source(9))
    assert r.status == 401, f"a disabled user's cached password:\n{r}"


# -- a token as the Basic user name (5) ---------------------------------------------------------------------

def test_a_token_in_the_user_field_works_with_pip(server, tmp_path):
    repo = create_repo(server, "local", "login-tokuser")
    ok(upload_wheel(server, repo, small_wheel(tmp_path / "w", "whtokuser", "1.0"), admin(server)), 200)
    name, _ = create_user(server, unique("tokuser"))
    grant(server, repo, name, "read")
    token = create_token(server, user=name)["token"]
    ok(api(server, "GET", "/whoami", auth=basic(token, "")), 200)
    ok(get_page(server, repo, "whtokuser", basic(token, "")), 200)
    venv = Venv.create(tmp_path / "venv")
    r = pip_install(venv, ["--index-url", f"http://{token}@127.0.0.1:{server.port}/{repo}/simple/", "whtokuser"])
    assert r.returncode == 0, str(r)


def test_failed_logins_never_write_a_credential_to_the_audit_log(server):
    name, password = create_user(server, unique("auditee"))
    fake_token = "whk_" + pysecrets.token_urlsafe(32)
    typed_password = "Typed-" + pysecrets.token_urlsafe(12)  # a password typed into the user field
    source = fresh_source(9)
    for h in (basic(fake_token, ""), basic(typed_password, ""), basic(typed_password, "x"), basic(name, "wrong-pw"),
              bearer(fake_token)):
        assert api(server, "GET", "/whoami", auth=h, source=source).status == 401
    entries = [e for e in audit(server, action="login.failed", limit=1000) if e.get("client") == source]
    text = repr(entries)
    assert fake_token not in text and fake_token[4:12] not in text, entries
    assert typed_password not in text, entries
    assert password not in text
    assert sorted(e["actor"] for e in entries) == sorted(["whk_…", "unknown", "unknown", name, "unknown"]), entries


def test_a_limited_address_gets_429_without_an_audit_entry_per_attempt(server):
    """Past its limit an address is answered 429 before any user lookup or audit write: a flood of bad
    credentials cannot grow the audit log (one entry says the address was limited), and a valid
    token from that address still works."""
    name, _ = create_user(server, unique("flooded"))
    tok = create_token(server, user=name)["token"]
    source = fresh_source(9)
    for _ in range(10):
        assert api(server, "GET", "/whoami", auth=basic(unique("nobody"), "wrong-pw"), source=source).status == 401
    for h in [basic(unique("nobody"), "wrong-pw"), bearer("whk_" + pysecrets.token_urlsafe(32)), basic(name, "wrong-pw"),
              basic("__token__", "whk_" + pysecrets.token_urlsafe(32))] * 5:
        r = api(server, "GET", "/whoami", auth=h, source=source)
        assert r.status == 429 and r.header("Retry-After"), str(r)
    ok(api(server, "GET", "/whoami", auth=bearer(tok), source=source), 200)
    failed = [e for e in audit(server, action="login.failed", limit=1000) if e.get("client") == source]
    limited = [e for e in audit(server, action="login.limited", limit=1000) if e.get("client") == source]
    assert len(failed) == 10, failed
    assert len(limited) == 1, limited


# -- the token list (5) ----------------------------------------------------------------------------------

def test_token_list_shows_no_part_of_a_secret(server):
    made = create_token(server, name=unique("listed"))
    tokens = ok(api(server, "GET", "/tokens", auth=admin(server)), 200).json()["tokens"]
    listed = {t["id"]: t for t in tokens}
    assert listed[made["id"]]["prefix"] == "whk_" + made["id"][:8], listed[made["id"]]
    assert not made["token"].startswith(listed[made["id"]]["prefix"])
    bootstrap = [t for t in tokens if t["name"] == "bootstrap"]
    assert bootstrap and bootstrap[0]["prefix"] == "", bootstrap
    text = repr(tokens)
    assert server.admin_token[:6] not in text and made["token"][:10] not in text, tokens


# -- which repositories exist (5) ------------------------------------------------------------------------

def test_anonymous_clients_cannot_tell_missing_from_private(server):
    private = create_repo(server, "local", "login-private")
    missing = unique("login-missing")
    outsider, pw = create_user(server, unique("outsider"))
    sha = "0" * 64
    for repo in (private, missing):
        for method, path in (("GET", f"/{repo}/simple/"), ("GET", f"/{repo}/simple/whx/"),
                             ("HEAD", f"/{repo}/simple/whx/"), ("GET", f"/{repo}/files/{sha}/whx-1.0-py3-none-any.whl"),
                             ("POST", f"/{repo}/"), ("GET", f"/api/v1/repositories/{repo}"),
                             ("GET", f"/api/v1/repositories/{repo}/permissions"),
                             ("GET", f"/api/v1/repositories/{repo}/projects/whx")):
            r = send(method, server.url + path)
            assert r.status == 401, f"anonymous {method} {path}:\n{r}"
            assert r.header("WWW-Authenticate") == CHALLENGE, str(r)
    # Signed in: a missing repository is 404, a private one 403.
    assert get_page(server, missing, None, basic(outsider, pw)).status == 404
    assert get_page(server, private, None, basic(outsider, pw)).status == 403

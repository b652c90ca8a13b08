"""Brute force: failed authentications are limited per client address (10 a minute) and, for password
logins, per user name (100 a minute); past a limit, failed attempts get 429 with Retry-After. Every
failure under the limit is audited with the client address; past it, one entry per address and minute.

The limiter lives in the server process, so each test starts a server of its own. Client addresses
are chosen per request (127.x.y.z loopback addresses), so "one address" is exactly one.

The credential is checked first and only failures are refused: a valid token always works, from a
limited address too (a CI fleet behind one NAT address is not stalled by a few misconfigured jobs),
and naming a user from elsewhere cannot lock that user out. A password is guessable, so while its
address is limited it is not checked at all (429), unless it was verified within the last minute.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from access_fixtures import (CHALLENGE, api, audit, create_repo, create_token, create_user, fresh_source,
                             get_page, grant, ok, unique)
from whclient import basic, bearer


def retry_after(r) -> int:
    value = r.header("Retry-After")
    assert value is not None and value.isdigit(), f"429 without a Retry-After in seconds\n{r}"
    return int(value)


def test_eleventh_failure_from_one_address(start_server):
    server = start_server()
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    repo = create_repo(server, "local", "acc-rl")
    victim, pw = create_user(server, unique("victim"))
    grant(server, repo, victim, "read")
    tok = create_token(server, user=victim)["token"]
    other, other_pw = create_user(server, unique("other"))
    grant(server, repo, other, "read")
    nat = fresh_source(5)
    # The victim's password was verified a moment ago (pip sends it with every request).
    ok(get_page(server, repo, None, basic(victim, pw), source=nat), 200)

    # Ten failures from one address (a NAT in front of CI runners), each naming another user.
    names = [unique("guess") for _ in range(11)]
    for i, name in enumerate(names[:10]):
        r = get_page(server, repo, None, basic(name, "wrong-password"), source=nat)
        assert r.status == 401, f"attempt {i + 1}: {r}"
        assert r.header("WWW-Authenticate") == CHALLENGE, str(r)
    r = get_page(server, repo, None, basic(names[10], "wrong-password"), source=nat)
    assert r.status == 429, f"the 11th failure within a minute: {r}"
    wait = retry_after(r)
    assert 1 <= wait <= 60, str(r)
    r = get_page(server, repo, None, bearer("whk_not-a-token"), source=nat)
    assert r.status == 429, f"a wrong token from the limited address: {r}"
    first_refusal = time.monotonic()

    # Valid credentials from the same address are not refused: the token, and the password verified
    # within the last minute...
    for i in range(3):
        ok(get_page(server, repo, None, bearer(tok), source=nat), 200)
        ok(api(server, "GET", "/whoami", auth=basic("__token__", tok), source=nat), 200)
    ok(get_page(server, repo, None, basic(victim, pw), source=nat), 200)
    # ... but a password not verified lately is not checked while the address is limited (guessing).
    r = get_page(server, repo, None, basic(other, other_pw), source=nat)
    assert r.status == 429, f"an unverified password from the limited address: {r}"
    ok(get_page(server, repo, None, basic(other, other_pw), source=fresh_source(5)), 200)

    # Every failure under the limit is in the audit log with the client address; past it, one entry
    # says the address was limited (a flood does not grow the log). Names of no user are not logged
    # (they may be secrets typed into the wrong field).
    since = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = audit(server, action="login.failed", since=since, limit=1000)
    mine = [e for e in entries if e.get("client") == nat]
    assert len(mine) == 10, entries
    limited = [e for e in audit(server, action="login.limited", since=since, limit=1000) if e.get("client") == nat]
    assert len(limited) == 1, limited
    assert {e["actor"] for e in mine} <= {"unknown", other}, mine
    assert not set(names) & {e["actor"] for e in entries}

    # After the window the same address may fail again without 429.
    time.sleep(max(0.0, wait - (time.monotonic() - first_refusal)) + 1.5)
    r = get_page(server, repo, None, basic(other, "wrong-again"), source=nat)
    assert r.status == 401, f"a failure after Retry-After ({wait} s) passed: {r}"


def test_failures_naming_a_user_do_not_lock_them_out(start_server):
    server = start_server()
    repo = create_repo(server, "local", "acc-rl")
    victim, pw = create_user(server, unique("victim"))
    grant(server, repo, victim, "read")
    tok = create_token(server, user=victim)["token"]

    # Twenty wrong passwords for one user name, each from another address: each a plain 401.
    for i in range(20):
        r = get_page(server, repo, None, basic(victim, f"wrong-{i}"), source=fresh_source(6))
        assert r.status == 401, f"attempt {i + 1}: {r}"
    # The victim is not locked out: token and password work, from any address.
    ok(get_page(server, repo, None, bearer(tok), source=fresh_source(6)), 200)
    ok(get_page(server, repo, None, basic(victim, pw), source=fresh_source(6)), 200)
    ok(get_page(server, repo, None, basic("__token__", tok), source=fresh_source(6)), 200)

    entries = audit(server, actor=victim, action="login.failed", limit=100)
    assert len(entries) >= 20, entries
    assert len({e["client"] for e in entries}) >= 20, "each failure audited with its own client address"
    assert all(e["client"].startswith("127.6.") for e in entries), entries

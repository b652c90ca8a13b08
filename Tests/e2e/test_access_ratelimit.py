"""Brute force: failed authentications are limited per client address and per user name (10 a minute,
then 429 with Retry-After), and audited with the client address.

The limiter lives in the server process, so each test starts a server of its own. Client addresses
are chosen per request (127.x.y.z loopback addresses), so "one address" is exactly one.

Observed and asserted: once an address is limited, every authenticated request from it is refused
with 429, a correct token included, until the oldest failure leaves the one-minute window (the
limiter is checked before the credentials); other addresses are unaffected. A user name that is
limited is refused with 429 even with the right password, from any address.
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


def test_eleventh_wrong_password_from_one_address(start_server):
    server = start_server()
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    repo = create_repo(server, "local", "acc-rl")
    victim, pw = create_user(server, unique("victim"))
    grant(server, repo, victim, "read")
    tok = create_token(server, user=victim)["token"]
    attacker = fresh_source(5)

    # Ten wrong passwords, each for another user name (so only the address can be what is counted).
    names = [unique("guess") for _ in range(11)]
    for i, name in enumerate(names[:10]):
        r = get_page(server, repo, None, basic(name, "wrong-password"), source=attacker)
        assert r.status == 401, f"attempt {i + 1}: {r}"
        assert r.header("WWW-Authenticate") == CHALLENGE, str(r)
    r = get_page(server, repo, None, basic(names[10], "wrong-password"), source=attacker)
    assert r.status == 429, f"the 11th failure within a minute: {r}"
    wait = retry_after(r)
    assert 1 <= wait <= 60, str(r)
    first_refusal = time.monotonic()

    # The right token from the same address is refused too (the address is limited)...
    r = get_page(server, repo, None, bearer(tok), source=attacker)
    assert r.status == 429, f"a correct token from the limited address: {r}"
    assert 1 <= retry_after(r) <= 60
    r = api(server, "GET", "/whoami", auth=basic(victim, pw), source=attacker)
    assert r.status == 429, f"a correct password from the limited address: {r}"
    # ... while another address is not affected.
    ok(get_page(server, repo, None, bearer(tok), source=fresh_source(5)), 200)
    ok(get_page(server, repo, None, basic(victim, pw), source=fresh_source(5)), 200)

    # Every failure is in the audit log, with the client address and the user name tried.
    entries = audit(server, action="login.failed", since=started.strftime("%Y-%m-%dT%H:%M:%SZ"), limit=1000)
    mine = [e for e in entries if e.get("client") == attacker]
    assert {e["actor"] for e in mine} >= set(names[:10]), entries
    assert len(mine) >= 10, entries
    assert all(e["action"] == "login.failed" for e in mine)
    # The CLI-style filter by actor finds one of them.
    assert [e["client"] for e in audit(server, actor=names[0], action="login.failed")] == [attacker]

    # After the window the same address may authenticate again.
    time.sleep(max(0.0, wait - (time.monotonic() - first_refusal)) + 1.5)
    r = get_page(server, repo, None, bearer(tok), source=attacker)
    assert r.status == 200, f"the correct token after Retry-After ({wait} s) passed: {r}"


def test_eleventh_wrong_password_for_one_user(start_server):
    server = start_server()
    repo = create_repo(server, "local", "acc-rl")
    victim, pw = create_user(server, unique("victim"))
    grant(server, repo, victim, "read")

    # Ten wrong passwords for one user name, each from another address.
    for i in range(10):
        r = get_page(server, repo, None, basic(victim, f"wrong-{i}"), source=fresh_source(6))
        assert r.status == 401, f"attempt {i + 1}: {r}"
    r = get_page(server, repo, None, basic(victim, "wrong-10"), source=fresh_source(6))
    assert r.status == 429, f"the 11th failure for {victim} within a minute: {r}"
    assert 1 <= retry_after(r) <= 60
    # The user name is limited, so even the right password is refused, from any address.
    r = get_page(server, repo, None, basic(victim, pw), source=fresh_source(6))
    assert r.status == 429, f"the right password for a limited user name: {r}"

    entries = audit(server, actor=victim, action="login.failed", limit=100)
    assert len(entries) >= 10, entries
    assert len({e["client"] for e in entries}) >= 10, "each failure audited with its own client address"
    assert all(e["client"].startswith("127.6.") for e in entries), entries

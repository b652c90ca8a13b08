"""Secrets: token secrets and passwords are stored only as hashes and never written to the log; the
API shows a token's secret only in its creation answer and never an upstream password.

One server of its own (a log and database with nothing else in them); a run that creates users and
tokens over the API and the CLI and uses them with pip, twine and the API (right and wrong), then
searches every API answer, the CLI's output, the server log, the SQLite database (every table's text
and blob values) and the raw bytes of every file of the data directory for every secret.
"""

from __future__ import annotations

import base64
import hashlib
import secrets as pysecrets

import pytest

from access_fixtures import (TOKEN_RE, admin, api, create_repo, create_token, create_user, find_secrets_in_db,
                             find_secrets_in_files, fresh_source, get_page, grant, new_password, ok,
                             project_files, sqlite_values, unique, upload_wheel)
from fakeupstream import FakeUpstream
from remote_fixtures import wheel_bytes
from whclient import basic, bearer
from whserver import clean_env
from whtools import Venv, cli, pip_install, run, twine_upload


@pytest.fixture
def upstream():
    u = FakeUpstream().start()
    yield u
    u.stop()


def test_secrets_are_never_stored_or_shown(start_server, wheelhouse_bin, upstream, dists, alpha10, tmp_path):
    server = start_server()
    secrets: dict[str, str] = {"admin token": server.admin_token}
    answers: list[tuple[str, str]] = []  # (what, text) of everything the API and the CLI showed

    def keep(what, r):
        answers.append((what, r.text if hasattr(r, "text") else r.output))
        return r

    repo = create_repo(server, "local", "acc-secret")
    for d in dists.values():
        for f in d.files:
            if d is not alpha10:
                ok(upload_wheel(server, repo, f, admin(server)), 200)

    # Users with passwords: over the API, and over the CLI (password from the environment).
    alice, alice_pw = create_user(server, unique("alice"))
    secrets["alice password"] = alice_pw
    carol, carol_pw = unique("carol"), new_password()
    secrets["carol password"] = carol_pw
    r = keep("cli user create", run([wheelhouse_bin, "user", "create", carol],
                                    env=clean_env(WHEELHOUSE_URL=server.url, WHEELHOUSE_TOKEN=server.admin_token,
                                                  WHEELHOUSE_NEW_PASSWORD=carol_pw)))
    assert r.returncode == 0, str(r)
    assert carol_pw not in r.output, "the CLI echoed the new password"
    for u in (alice, carol):
        grant(server, repo, u, "write")

    # Tokens: alice makes her own (signed in with her password), the admin makes one for carol
    # over the API and one on the CLI.
    alice_tok = create_token(server, auth=basic(alice, alice_pw))
    secrets["alice token"] = alice_tok["token"]
    carol_tok = create_token(server, user=carol, scopes=[{"repository": repo, "level": "write"}])
    secrets["carol token"] = carol_tok["token"]
    r = keep("cli token create", cli(wheelhouse_bin, ["token", "create", "cli-made", "--user", alice],
                                     server.url, server.admin_token))
    assert r.returncode == 0, str(r)
    found = TOKEN_RE.findall(r.stdout)
    assert len(found) == 1, f"expected the new secret once on stdout\n{r}"
    secrets["cli token"] = found[0]
    answers.pop()  # the creation output is the one place the secret may appear

    # A remote repository with upstream credentials.
    up_user, up_pw = "upstream-user", "up-" + pysecrets.token_urlsafe(16)
    secrets["upstream password"] = up_pw
    upstream.require_auth(up_user, up_pw)
    fn, data = wheel_bytes(tmp_path, "whsecret", "1.0")
    upstream.add("whsecret", fn, data)
    remote = create_repo(server, "remote", "acc-secret-remote", url=upstream.simple_url,
                         username=up_user, password=up_pw)
    keep("remote page", ok(api(server, "GET", f"/repositories/{remote}", auth=admin(server)), 200))
    page = ok(keep("remote simple page", get_page(server, remote, "whsecret", admin(server))), 200)
    assert fn in page.text, "the remote could not use its upstream credentials"

    # Use everything: the API (Bearer, Basic with __token__, with the owner, with a password), pip,
    # twine; and some wrong credentials.
    for what, h in {"bearer": bearer(alice_tok["token"]), "basic __token__": basic("__token__", carol_tok["token"]),
                    "basic owner": basic(carol, carol_tok["token"]), "password": basic(carol, carol_pw),
                    "cli token": bearer(secrets["cli token"])}.items():
        keep(f"whoami {what}", ok(api(server, "GET", "/whoami", auth=h), 200))
    wrong_pw = "wrong-" + pysecrets.token_urlsafe(12)
    fake_tok = "whk_" + pysecrets.token_urlsafe(32)
    secrets["a wrong password"] = wrong_pw
    secrets["a wrong token"] = fake_tok
    for h in (basic(alice, wrong_pw), bearer(fake_tok), basic("__token__", fake_tok), basic(carol, alice_tok["token"])):
        keep("refused", ok(api(server, "GET", "/whoami", auth=h, source=fresh_source(3)), 401))
        keep("refused page", ok(get_page(server, repo, "whbeta", h, source=fresh_source(3)), 401))

    venv = Venv.create(tmp_path / "venv")
    idx = f"http://{alice}:{alice_tok['token']}@127.0.0.1:{server.port}/{repo}/simple/"
    r = pip_install(venv, ["--index-url", idx, "whbeta"])
    assert r.returncode == 0, str(r)
    venv2 = Venv.create(tmp_path / "venv2")
    r = pip_install(venv2, ["--index-url", f"http://{carol}:{carol_pw}@127.0.0.1:{server.port}/{repo}/simple/",
                            "wh.gamma-pkg"])
    assert r.returncode == 0, str(r)
    r = twine_upload(f"{server.url}/{repo}/", alpha10.files, "__token__", carol_tok["token"])
    assert r.returncode == 0, str(r)
    assert set(project_files(server, repo, "whalpha")) >= {f.name for f in alpha10.files}

    # Everything the API shows about tokens, users, repositories and the audit log.
    for what, path, h in [
        ("tokens (admin)", "/tokens", admin(server)),
        ("tokens of alice (admin)", f"/tokens?user={alice}", admin(server)),
        ("tokens (alice)", "/tokens", basic(alice, alice_pw)),
        ("tokens (carol)", "/tokens", basic(carol, carol_pw)),
        ("users", "/users", admin(server)),
        ("user alice", f"/users/{alice}", admin(server)),
        ("user carol (herself)", f"/users/{carol}", basic(carol, carol_pw)),
        ("repositories", "/repositories", admin(server)),
        ("remote", f"/repositories/{remote}", admin(server)),
        ("audit", "/audit?limit=1000", admin(server)),
        ("whoami", "/whoami", bearer(secrets["cli token"])),
    ]:
        keep(what, ok(api(server, "GET", path, auth=h), 200))
    listed = ok(api(server, "GET", "/tokens", auth=admin(server)), 200).json()["tokens"]
    assert {alice_tok["id"], carol_tok["id"]} <= {t["id"] for t in listed}
    assert all("token" not in t or not t["token"] for t in listed), listed
    view = ok(api(server, "GET", f"/repositories/{remote}", auth=admin(server)), 200).json()
    assert view.get("hasCredentials") is True, view
    keep("remote PATCH", ok(api(server, "PATCH", f"/repositories/{remote}", {"metadataTTL": 300}, admin(server)), 200))
    for args in (["token", "list"], ["token", "list", "--user", alice], ["user", "list"], ["repo", "show", remote],
                 ["repo", "list"], ["audit", "--limit", "1000"]):
        r = keep("cli " + " ".join(args), cli(wheelhouse_bin, args, server.url, server.admin_token))
        assert r.returncode == 0, str(r)

    # Basic headers as sent on the wire, in case a header is logged whole.
    wire = {
        "Basic alice:password": base64.b64encode(f"{alice}:{alice_pw}".encode()).decode(),
        "Basic carol:password": base64.b64encode(f"{carol}:{carol_pw}".encode()).decode(),
        "Basic __token__:carol token": base64.b64encode(f"__token__:{carol_tok['token']}".encode()).decode(),
        "Basic alice:alice token": base64.b64encode(f"{alice}:{alice_tok['token']}".encode()).decode(),
    }

    problems = []
    for what, text in answers:
        for label, secret in secrets.items():
            if secret in text:
                problems.append(f"{label} in the answer of {what}")

    # The password hashes stay inside the database too.
    hashes = {}
    for table, column, value in sqlite_values(server.data_dir / "wheelhouse.sqlite"):
        if isinstance(value, str) and "password" in column.lower():
            hashes[f"stored password hash ({table}.{column})"] = value
    for what, text in answers:
        for label, h in hashes.items():
            if h and h in text:
                problems.append(f"{label} in the answer of {what}")

    log_before_stop = server.log_text()
    server.stop()

    # The log: no secret, no Basic header.
    log = server.log_text()
    for label, secret in {**secrets, **wire}.items():
        if secret in log:
            problems.append(f"{label} in the server log")

    # The database: passwords and token secrets only as hashes, the upstream password encrypted.
    user_secrets = dict(secrets)
    fast_hashes = {}
    for label in ("alice password", "carol password"):
        pw = secrets[label].encode()
        fast_hashes[f"sha256 hex of {label}"] = hashlib.sha256(pw).hexdigest()
        fast_hashes[f"md5 hex of {label}"] = hashlib.md5(pw).hexdigest()
    db = server.data_dir / "wheelhouse.sqlite"
    problems += [f"{hit} (database table value)" for hit in find_secrets_in_db(db, {**user_secrets, **fast_hashes})]
    problems += [f"{hit} (raw file bytes)" for hit in find_secrets_in_files(server.data_dir, user_secrets)]

    assert len(log_before_stop) > 0
    assert not problems, "\n".join(problems)


def test_password_hash_is_slow_and_salted(start_server):
    """Two users with the same password get different stored hashes (salted), neither a plain digest."""
    server = start_server()
    pw = new_password()
    a, _ = create_user(server, unique("same-a"), pw)
    b, _ = create_user(server, unique("same-b"), pw)
    ok(api(server, "GET", "/whoami", auth=basic(a, pw)), 200)
    server.stop()
    stored = [v for t, c, v in sqlite_values(server.data_dir / "wheelhouse.sqlite")
              if isinstance(v, str) and "password" in c.lower()]
    assert len(stored) == 2, stored
    assert stored[0] != stored[1], "same password, same hash: no salt"
    for s in stored:
        assert pw not in s
        assert hashlib.sha256(pw.encode()).hexdigest() not in s
        # scrypt$logN$r$p$salt$hash, with a cost that makes guessing slow (N >= 2^14).
        parts = s.split("$")
        assert parts[0] == "scrypt" and len(parts) == 6 and int(parts[1]) >= 14, f"not a slow hash: {s[:24]}..."

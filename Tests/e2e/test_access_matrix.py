"""Access control, the full matrix: who may do what on local, remote and virtual repositories.

One table, one row per (repository kind, principal), one column per action, each cell the status
the server must answer (docs/api.md). A new principal or repository kind is one more line; the test
runs every action of a row and reports every cell that differs, with what the server answered.

Principals (built once per module, on the module's server):
  anonymous    no credentials
  reader       Basic name:password; read on L, R and V
  writer       Basic __token__:token (unscoped); write on L, R and V
  owner-token  Basic <owner>:token (the pip.conf `user:token@` form); the writer's grants
  repo-admin   Bearer token; admin on L, R and V (not a server admin)
  server-admin Bearer token of the bootstrap admin
  expired      Bearer token of the writer that expired (expiresIn 1, then 1.5 s)
  revoked      Basic __token__:token of the writer, revoked
  scoped-other Bearer token of the repo admin scoped to `elsewhere-*` (admin): no rights here
  scoped-read  Bearer token of the writer scoped to `*` read: read only (scopes ∩ grants)
  disabled     Bearer token of a disabled user that had write
  disabled-pw  Basic name:password of a disabled user that had write
  wrong-owner  Basic <another existing user>:<the writer's token>: 401
  virt-reader  read granted on V only: V readable, L and R not; a virtual serves a member only to
               readers of that member, so V lists nothing ("EMPTY": 200 without the project) and
               its page and files are 404
  member-writer write granted on L and R only: nothing on V (members' grants don't matter)

Repositories: L local (the member and deployTo of V), R remote over a fake upstream with a cached
page, file and metadata, V virtual over L, all private (anonymousRead false); and P ("public"), a
local repository with anonymousRead true and the same grants as L.

Actions: list (GET /{r}/simple/), page (GET /{r}/simple/{p}/), file, meta (the .metadata file),
upload (POST /{r}/, a new version every time), yank and delete (POST .../versions/{v}/yank, DELETE
.../versions/{v}, each on a fresh release made by the server admin), settings (PATCH
/api/v1/repositories/{r} {"anonymousRead": <its current value>}), grant (POST .../permissions for a bystander
user), token (POST /api/v1/tokens for oneself, scoped to the repository), repo (GET
/api/v1/repositories/{r}).

Each action also checks its effect agrees with the status (a refused upload stored nothing, a refused
yank left the file unyanked, an allowed delete removed it...), and every 401 carries the challenge.

Requests presenting bad credentials are rate-limited per client address, so every request of the
matrix comes from its own loopback address; per-user-name limits are avoided by spreading the
disabled-pw and wrong-owner rows over several users (at most 8 failures each).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

import pytest

from access_fixtures import (CHALLENGE, admin, api, create_repo, create_token, create_user, disable_user,
                             fresh_source, get_page, grant, ok, project_files, revoke_token, send,
                             small_wheel, unique, upload_wheel)
from fakeupstream import FakeUpstream
from remote_fixtures import create_remote, wheel_bytes
from whclient import JSON_TYPE, basic, bearer
from whpackages import wheel_metadata_bytes

ACTIONS = ("list", "page", "file", "meta", "upload", "yank", "delete", "settings", "grant", "token", "repo")

# 401 everywhere: no usable credentials.
DENIED = (401,) * 11

# fmt: off
MATRIX = [
    # kind      principal         list page file meta upld yank  del sett grnt tokn repo
    ("local",   "anonymous",      *DENIED),
    ("local",   "reader",         200, 200, 200, 200, 403, 403, 403, 403, 403, 201, 200),
    ("local",   "writer",         200, 200, 200, 200, 200, 200, 204, 403, 403, 201, 200),
    ("local",   "owner-token",    200, 200, 200, 200, 200, 200, 204, 403, 403, 201, 200),
    ("local",   "repo-admin",     200, 200, 200, 200, 200, 200, 204, 200, 201, 201, 200),
    ("local",   "server-admin",   200, 200, 200, 200, 200, 200, 204, 200, 201, 201, 200),
    ("local",   "expired",        *DENIED),
    ("local",   "revoked",        *DENIED),
    ("local",   "scoped-other",   403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    ("local",   "scoped-read",    200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 200),
    ("local",   "disabled",       *DENIED),
    ("local",   "disabled-pw",    *DENIED),
    ("local",   "wrong-owner",    *DENIED),
    ("local",   "virt-reader",    403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403),
    ("local",   "member-writer",  200, 200, 200, 200, 200, 200, 204, 403, 403, 201, 200),

    # Remote: uploads are 405 once write is granted (api.md: "405 (remote repository)").
    # yank/delete on a remote: see REMOTE_YANK/REMOTE_DELETE below (not documented: a guess).
    ("remote",  "anonymous",      *DENIED),
    ("remote",  "reader",         200, 200, 200, 200, 403, 403, 403, 403, 403, 201, 200),
    ("remote",  "writer",         200, 200, 200, 200, 405, "RY", "RD", 403, 403, 201, 200),
    ("remote",  "owner-token",    200, 200, 200, 200, 405, "RY", "RD", 403, 403, 201, 200),
    ("remote",  "repo-admin",     200, 200, 200, 200, 405, "RY", "RD", 200, 201, 201, 200),
    ("remote",  "server-admin",   200, 200, 200, 200, 405, "RY", "RD", 200, 201, 201, 200),
    ("remote",  "expired",        *DENIED),
    ("remote",  "revoked",        *DENIED),
    ("remote",  "scoped-other",   403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    ("remote",  "scoped-read",    200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 200),
    ("remote",  "disabled",       *DENIED),
    ("remote",  "disabled-pw",    *DENIED),
    ("remote",  "wrong-owner",    *DENIED),
    ("remote",  "virt-reader",    403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403),
    ("remote",  "member-writer",  200, 200, 200, 200, 405, "RY", "RD", 403, 403, 201, 200),

    # Virtual over L with deployTo L: uploads land in L; yank/delete address the virtual, which
    # stores no files of its own: 405 (docs/api.md), pointing at the member.
    ("virtual", "anonymous",      *DENIED),
    ("virtual", "reader",         200, 200, 200, 200, 403, 403, 403, 403, 403, 201, 200),
    ("virtual", "writer",         200, 200, 200, 200, 200, 405, 405, 403, 403, 201, 200),
    ("virtual", "owner-token",    200, 200, 200, 200, 200, 405, 405, 403, 403, 201, 200),
    ("virtual", "repo-admin",     200, 200, 200, 200, 200, 405, 405, 200, 201, 201, 200),
    ("virtual", "server-admin",   200, 200, 200, 200, 200, 405, 405, 200, 201, 201, 200),
    ("virtual", "expired",        *DENIED),
    ("virtual", "revoked",        *DENIED),
    ("virtual", "scoped-other",   403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    ("virtual", "scoped-read",    200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 200),
    ("virtual", "disabled",       *DENIED),
    ("virtual", "disabled-pw",    *DENIED),
    ("virtual", "wrong-owner",    *DENIED),
    ("virtual", "virt-reader",    "EMPTY", 404, 404, 404, 403, 403, 403, 403, 403, 201, 200),
    ("virtual", "member-writer",  403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403),

    # A local repository with anonymousRead: read for everyone, writes as before; bad credentials
    # are still 401 (they are checked before the anonymous floor applies).
    ("public",  "anonymous",      200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 200),
    ("public",  "reader",         200, 200, 200, 200, 403, 403, 403, 403, 403, 201, 200),
    ("public",  "writer",         200, 200, 200, 200, 200, 200, 204, 403, 403, 201, 200),
    ("public",  "repo-admin",     200, 200, 200, 200, 200, 200, 204, 200, 201, 201, 200),
    ("public",  "expired",        *DENIED),
    ("public",  "revoked",        *DENIED),
    ("public",  "scoped-other",   200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 200),
    ("public",  "disabled",       *DENIED),
]
# fmt: on

# Yank on a remote is refused (405: its yanked flags follow the upstream); delete evicts a cached
# release (204). Both as docs/api.md states.
REMOTE_YANK = 405
REMOTE_DELETE = 204
PLACEHOLDERS = {"RY": REMOTE_YANK, "RD": REMOTE_DELETE}


# -- the world: server, repositories, principals ------------------------------------------------------

@dataclass
class Principal:
    name: str
    headers: Callable[[], dict]


@dataclass
class World:
    server: object
    upstream: FakeUpstream
    tmp: Path
    repos: dict            # kind -> repository name
    local_wheel: Path      # whmatrix 1.0 in L (and so in V)
    remote_file: dict      # filename, sha256, data, metadata of whremote 1.0 (cached in R)
    principals: dict = field(default_factory=dict)
    grantee: str = ""
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.counter)

    def holder(self, kind: str) -> str:
        """The repository that stores what `kind`'s repository serves (V's files live in L)."""
        return self.repos["local" if kind == "virtual" else kind]


class Rotating:
    """Basic user:secret credentials spread over fresh users, at most `per` uses each.

    `make()` returns (user name, password-or-token) for a new user; used for rows whose every request
    fails, so no user name reaches the per-user rate limit (10 failures a minute).
    """

    def __init__(self, make: Callable[[], tuple[str, str]], per: int = 8):
        self.make, self.per, self.uses, self.current = make, per, 0, None

    def __call__(self) -> dict:
        if self.current is None or self.uses >= self.per:
            self.current, self.uses = self.make(), 0
        self.uses += 1
        return basic(*self.current)


@pytest.fixture(scope="module")
def world(server, tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("matrix")
    upstream = FakeUpstream().start()
    try:
        yield build_world(server, upstream, tmp)
    finally:
        upstream.stop()


def build_world(server, upstream: FakeUpstream, tmp: Path) -> World:
    L = create_repo(server, "local", "acc-local")
    R = create_remote(server, upstream.simple_url, prefix="acc-remote", anonymousRead=False)
    V = create_repo(server, "virtual", "acc-virtual", members=[L], deployTo=L)
    P = create_repo(server, "local", "acc-public", anonymousRead=True)
    for name in (L, R, V):
        assert api(server, "GET", f"/repositories/{name}", auth=admin(server)).json()["anonymousRead"] is False

    # Content: whmatrix 1.0 in L; whremote 1.0 on the upstream, its page, file and metadata cached in R.
    wheel = small_wheel(tmp / "local", "whmatrix", "1.0")
    ok(upload_wheel(server, L, wheel, admin(server)), 200)
    ok(upload_wheel(server, P, wheel, admin(server)), 200)
    fn, data = wheel_bytes(tmp, "whremote", "1.0")
    upstream.add("whremote", fn, data)
    remote_file = {"filename": fn, "sha256": hashlib.sha256(data).hexdigest(), "data": data}
    remote_file["metadata"] = wheel_metadata_bytes(tmp / fn)
    cache_remote_release(server, R, "whremote", fn)

    # Users and grants.
    reader, reader_pw = create_user(server, unique("reader"))
    writer, _ = create_user(server, unique("writer"))
    radmin, _ = create_user(server, unique("radmin"))
    vreader, _ = create_user(server, unique("vreader"))
    mwriter, _ = create_user(server, unique("mwriter"))
    grantee, _ = create_user(server, unique("grantee"))  # the target of the grant action
    for repo in (L, R, V, P):
        grant(server, repo, reader, "read")
        grant(server, repo, writer, "write")
        grant(server, repo, radmin, "admin")
    grant(server, V, vreader, "read")
    grant(server, L, mwriter, "write")
    grant(server, R, mwriter, "write")

    # Tokens. Users make their own where they can (password login), the admin makes the rest.
    writer_tok = create_token(server, user=writer)["token"]
    radmin_tok = create_token(server, user=radmin)["token"]
    vreader_tok = create_token(server, user=vreader)["token"]
    mwriter_tok = create_token(server, user=mwriter)["token"]
    scoped_other = create_token(server, user=radmin, scopes=[{"repository": "elsewhere-*", "level": "admin"}])["token"]
    scoped_read = create_token(server, user=writer, scopes=[{"repository": "*", "level": "read"}])["token"]
    revoked = create_token(server, user=writer)
    revoke_token(server, revoked["id"])
    expired = create_token(server, user=writer, expires_in=1)["token"]
    # The expired token worked before it expired.
    ok(api(server, "GET", "/whoami", auth=bearer(expired), source=fresh_source()), 200)

    disabled_user, _ = create_user(server, unique("disabled"))
    disabled_tok = create_token(server, user=disabled_user)["token"]
    for repo in (L, R, V, P):
        grant(server, repo, disabled_user, "write")
    ok(api(server, "GET", "/whoami", auth=bearer(disabled_tok), source=fresh_source()), 200)
    disable_user(server, disabled_user)

    def disabled_pw_user() -> tuple[str, str]:
        name, pw = create_user(server, unique("dispw"))
        for repo in (L, R, V):
            grant(server, repo, name, "write")
        ok(api(server, "GET", "/whoami", auth=basic(name, pw), source=fresh_source()), 200)
        disable_user(server, name)
        return name, pw

    def bystander() -> tuple[str, str]:
        name, _ = create_user(server, unique("bystander"))
        return name, writer_tok

    world = World(server, upstream, tmp, {"local": L, "remote": R, "virtual": V, "public": P}, wheel, remote_file)
    world.grantee = grantee
    p = world.principals
    for name, fn_ in {
        "anonymous": lambda: {},
        "reader": lambda: basic(reader, reader_pw),
        "writer": lambda: basic("__token__", writer_tok),
        "owner-token": lambda: basic(writer, writer_tok),
        "repo-admin": lambda: bearer(radmin_tok),
        "server-admin": lambda: admin(server),
        "expired": lambda: bearer(expired),
        "revoked": lambda: basic("__token__", revoked["token"]),
        "scoped-other": lambda: bearer(scoped_other),
        "scoped-read": lambda: bearer(scoped_read),
        "disabled": lambda: bearer(disabled_tok),
        "disabled-pw": Rotating(disabled_pw_user),
        "wrong-owner": Rotating(bystander),
        "virt-reader": lambda: bearer(vreader_tok),
        "member-writer": lambda: bearer(mwriter_tok),
    }.items():
        p[name] = Principal(name, fn_)

    time.sleep(1.5)  # let the expired token expire (expiresIn 1)
    return world


def cache_remote_release(server, remote: str, project: str, filename: str) -> None:
    """Fetch a page, a file and its metadata through the remote as the server admin, so they are cached."""
    page = ok(get_page(server, remote, project, admin(server), accept=JSON_TYPE), 200)
    files = {f["filename"]: f for f in page.json()["files"]}
    assert filename in files, str(page)
    url = urljoin(f"{server.url}/{remote}/simple/{project}/", files[filename]["url"])
    ok(send("GET", url, headers=admin(server)), 200)
    ok(send("GET", url + ".metadata", headers=admin(server)), 200)


# -- actions ---------------------------------------------------------------------------------------------
# Each returns (status, problem): problem is a string when the effect disagrees with the status.

def _file_url(w: World, kind: str) -> tuple[str, bytes, bytes]:
    """(URL, bytes, metadata bytes) of the stable file of the repository."""
    repo = w.repos[kind]
    if kind == "remote":
        f = w.remote_file
        return f"{w.server.url}/{repo}/files/{f['sha256']}/{f['filename']}", f["data"], f["metadata"]
    path = w.local_wheel
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return (f"{w.server.url}/{repo}/files/{sha}/{path.name}", path.read_bytes(), wheel_metadata_bytes(path))


def _project(kind: str) -> str:
    return "whremote" if kind == "remote" else "whmatrix"


def act_list(w, kind, h, src):
    r = get_page(w.server, w.repos[kind], None, h, src, accept=JSON_TYPE)
    if r.status == 200 and _project(kind) not in [p["name"] for p in r.json()["projects"]]:
        return r, f"{_project(kind)} missing from the project list"
    return r, None


def act_page(w, kind, h, src):
    r = get_page(w.server, w.repos[kind], _project(kind), h, src, accept=JSON_TYPE)
    if r.status == 200 and not r.json().get("files"):
        return r, "an empty project page"
    return r, None


def act_file(w, kind, h, src):
    url, data, _ = _file_url(w, kind)
    r = send("GET", url, headers=h, source=src)
    if r.status == 200 and r.body != data:
        return r, f"wrong bytes ({len(r.body)} bytes)"
    return r, None


def act_meta(w, kind, h, src):
    url, _, meta = _file_url(w, kind)
    r = send("GET", url + ".metadata", headers=h, source=src)
    if r.status == 200 and r.body != meta:
        return r, "wrong metadata bytes"
    return r, None


def act_upload(w, kind, h, src):
    n = w.n()
    wheel = small_wheel(w.tmp / f"up{n}", "whmatrix", f"2.0.{n}")
    r = upload_wheel(w.server, w.repos[kind], wheel, h, src)
    if kind == "remote":
        return r, None
    stored = wheel.name in project_files(w.server, w.holder(kind), "whmatrix")
    if stored != (r.status == 200):
        return r, f"stored={stored} after an upload answered {r.status}"
    return r, None


def _fresh_release(w: World, kind: str) -> tuple[str, str, str]:
    """(project, version, filename) of a new release stored where `kind`'s yank/delete would act."""
    n = w.n()
    if kind == "remote":
        project = f"whrt{n}"
        fn, data = wheel_bytes(w.tmp, project, "1.0")
        w.upstream.add(project, fn, data)
        cache_remote_release(w.server, w.repos["remote"], project, fn)
        return project, "1.0", fn
    wheel = small_wheel(w.tmp / f"rel{n}", "whtarget", f"1.{n}")
    ok(upload_wheel(w.server, w.holder(kind), wheel, admin(w.server)), 200)
    return "whtarget", f"1.{n}", wheel.name


def _stored_view(w: World, kind: str, project: str, filename: str) -> dict | None:
    """The stored file as the admin API sees it in the repository holding it (None: not stored)."""
    return project_files(w.server, w.holder(kind), project).get(filename)


def _yanked_on_page(w: World, kind: str, project: str, filename: str) -> bool | None:
    r = get_page(w.server, w.holder(kind), project, admin(w.server), accept=JSON_TYPE)
    if r.status != 200:
        return None
    for f in r.json()["files"]:
        if f["filename"] == filename:
            return bool(f.get("yanked"))
    return None


def act_yank(w, kind, h, src):
    project, version, fn = _fresh_release(w, kind)
    r = send("POST", f"{w.server.url}/api/v1/repositories/{w.repos[kind]}/projects/{project}/versions/{version}/yank",
             json.dumps({"reason": "matrix"}).encode(),
             {"Content-Type": "application/json", "Accept": "application/json", **h}, src)
    yanked = _yanked_on_page(w, kind, project, fn)
    if yanked != (r.status == 200):
        return r, f"page shows yanked={yanked} after a yank answered {r.status}"
    return r, None


def act_delete(w, kind, h, src):
    project, version, fn = _fresh_release(w, kind)
    r = send("DELETE", f"{w.server.url}/api/v1/repositories/{w.repos[kind]}/projects/{project}/versions/{version}",
             None, {"Accept": "application/json", **h}, src)
    present = _stored_view(w, kind, project, fn) is not None
    if present == (r.status == 204):
        return r, f"stored={present} after a delete answered {r.status}"
    return r, None


def act_settings(w, kind, h, src):
    # The repository's own value, so the PATCH changes nothing whoever succeeds.
    anonymous_read = kind == "public"
    r = api(w.server, "PATCH", f"/repositories/{w.repos[kind]}", {"anonymousRead": anonymous_read}, h, src)
    view = api(w.server, "GET", f"/repositories/{w.repos[kind]}", auth=admin(w.server)).json()
    if view.get("anonymousRead") is not anonymous_read:
        return r, f"anonymousRead is now {view.get('anonymousRead')!r}"
    return r, None


def act_grant(w, kind, h, src):
    r = api(w.server, "POST", f"/repositories/{w.repos[kind]}/permissions", {"user": w.grantee, "level": "read"}, h, src)
    return r, None


def act_token(w, kind, h, src):
    r = api(w.server, "POST", "/tokens",
            {"name": f"matrix-{w.n()}", "scopes": [{"repository": w.repos[kind], "level": "read"}]}, h, src)
    if r.status == 201 and not str(r.json().get("token", "")).startswith("whk_"):
        return r, "no whk_ secret in the creation answer"
    return r, None


def act_repo(w, kind, h, src):
    r = api(w.server, "GET", f"/repositories/{w.repos[kind]}", auth=h, source=src)
    if r.status == 200 and r.json().get("name") != w.repos[kind]:
        return r, "another repository's view"
    return r, None


RUN = {"list": act_list, "page": act_page, "file": act_file, "meta": act_meta, "upload": act_upload,
       "yank": act_yank, "delete": act_delete, "settings": act_settings, "grant": act_grant,
       "token": act_token, "repo": act_repo}
assert set(RUN) == set(ACTIONS)
assert all(len(row) == 2 + len(ACTIONS) for row in MATRIX), "every row has one cell per action"


@pytest.mark.parametrize("row", MATRIX, ids=[f"{k}-{p}" for k, p, *_ in MATRIX])
def test_access_matrix(world, row):
    kind, principal, *cells = row
    who = world.principals[principal]
    problems = []
    for action, expected in zip(ACTIONS, cells):
        empty = expected == "EMPTY"
        expected = 200 if empty else PLACEHOLDERS.get(expected, expected)
        r, problem = RUN[action](world, kind, who.headers(), fresh_source())
        if empty:
            problem = None if problem else "the project is listed"
        if r.status != expected:
            problems.append(f"{kind}/{principal}/{action}: expected {expected}, got {r.status} "
                            f"{r.reason} {r.text[:200]!r}")
        elif problem:
            problems.append(f"{kind}/{principal}/{action}: {r.status} but {problem}")
        if r.status == 401 and r.header("WWW-Authenticate") != CHALLENGE:
            problems.append(f"{kind}/{principal}/{action}: 401 without WWW-Authenticate: {CHALLENGE} "
                            f"(got {r.header('WWW-Authenticate')!r})")
    assert not problems, "\n".join(problems)

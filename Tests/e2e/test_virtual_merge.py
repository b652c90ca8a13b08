"""Virtual repositories: merge order and de-duplication, yanks through the merge (and through the
merged-page cache), nested virtuals, files from whichever member holds them, bad definitions."""

import hashlib
import time
from urllib.parse import urlsplit

from packaging.version import Version

from virtual_fixtures import *  # noqa: F401,F403
from whclient import HTML_TYPE, JSON_TYPE, PIP_ACCEPT, UV_ACCEPT, html_files, request
from whpackages import wheel_metadata_bytes
from whtools import cli


def wh(server, wheelhouse_bin, *args):
    return cli(wheelhouse_bin, list(args), url=server.url, token=server.admin_token)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, headers: dict | None = None):
    return request("GET", url, headers=headers or {})


def yank_state(server, repo, project):
    """filename -> (JSON `yanked`, HTML `data-yanked` or 'absent')."""
    js = page_files(server, repo, project)
    hs = html_files(server.url, repo, project)
    assert sorted(js) == sorted(hs), (sorted(js), sorted(hs))
    out = {}
    for name, entry in js.items():
        hy = hs[name]["data-yanked"] if "data-yanked" in hs[name] else "absent"
        out[name] = (entry.get("yanked", False), "" if hy is None else hy)
    return out


# -- merge order and de-duplication --------------------------------------------------------------

def test_first_member_wins_and_order_can_be_swapped(server, wheelhouse_bin, alpha10, alpha11, tmp_path):
    l1, l2 = create_local(server, "first"), create_local(server, "second")
    other = with_zip_comment(alpha10.wheel, tmp_path / alpha10.wheel.name, b"the second member's bytes")
    sha1, sha2 = sha256_file(alpha10.wheel), sha256_file(other)
    assert sha1 != sha2
    upload_ok(server, l1, alpha10.wheel, alpha10.sdist)
    upload_ok(server, l2, other, *alpha11.files)
    v = create_virtual(server, [l1, l2])
    wheel = alpha10.wheel.name

    r = page(server, v, "whalpha")
    assert r.status == 200, str(r)
    assert r.content_type == JSON_TYPE and "accept" in (r.header("Vary") or "").lower(), str(r)
    doc = r.json()
    files = {f["filename"]: f for f in doc["files"]}
    assert sorted(files) == sorted(p.name for p in alpha10.files + alpha11.files), sorted(files)
    assert [f["filename"] for f in doc["files"]].count(wheel) == 1, "a duplicate filename in the merged page"
    assert files[wheel]["hashes"]["sha256"] == sha1, "the first member's file must win"
    assert doc["versions"] == ["1.0", "1.1"]
    assert served_by(r) == [l1, l2]

    # Every entry is the member's own entry (hashes, size, core-metadata, upload-time, requires-python).
    mine = page_files(server, l1, "whalpha")
    theirs = page_files(server, l2, "whalpha")
    for name, entry in page_files(server, v, "whalpha").items():
        origin = mine[name] if name in mine else theirs[name]
        assert entry_without_url(entry) == entry_without_url(origin), (name, entry, origin)
        assert urlsplit(entry["url"]).path == f"/{v}/files/{entry['hashes']['sha256']}/{name}", entry["url"]
        got = download(entry["url"])
        assert got.status == 200 and sha(got.body) == entry["hashes"]["sha256"], str(got)
        if name.endswith(".whl"):
            meta = download(entry["url"] + ".metadata")
            assert meta.status == 200, str(meta)
            assert sha(meta.body) == entry["core-metadata"]["sha256"]

    # HTML: the same files, the winner's hash in the link.
    hs = html_files(server.url, v, "whalpha")
    assert sorted(hs) == sorted(files)
    assert hs[wheel]["href"].endswith("#sha256=" + sha1), hs[wheel]
    assert "data-core-metadata" in hs[wheel]

    # Same negotiation and conditional requests as every page.
    for accept in (PIP_ACCEPT, UV_ACCEPT):
        assert page(server, v, "whalpha", accept=accept).content_type == JSON_TYPE
    for accept in (HTML_TYPE, "text/html"):
        assert page(server, v, "whalpha", accept=accept).content_type in (HTML_TYPE, "text/html")
    assert page(server, v, "whalpha", accept="application/xml").status == 406
    etag = r.header("ETag")
    assert etag, str(r)
    again = page(server, v, "whalpha", headers={"If-None-Match": etag})
    assert again.status == 304, str(again)

    # Swap the order: the other member's bytes win.
    patch_repo(server, v, members=[l2, l1])
    r2 = page(server, v, "whalpha")
    assert r2.status == 200, str(r2)
    files2 = {f["filename"]: f for f in r2.json()["files"]}
    assert files2[wheel]["hashes"]["sha256"] == sha2, "after swapping the members the second one must win"
    assert served_by(r2) == [l2, l1]
    assert r2.header("ETag") != etag
    assert page(server, v, "whalpha", headers={"If-None-Match": etag}).status == 200
    url2 = page_files(server, v, "whalpha")[wheel]["url"]
    got = download(url2)
    assert got.status == 200 and sha(got.body) == sha2

    # A file is served from whichever member holds it: the first member's copy by its own hash too.
    old = download(f"{server.url}/{v}/files/{sha1}/{wheel}")
    assert old.status == 200 and sha(old.body) == sha1, str(old)

    # Back again, through the CLI.
    res = wh(server, wheelhouse_bin, "repo", "set", v, "--members", f"{l1},{l2}")
    assert res.returncode == 0, str(res)
    assert get_repo(server, v)["members"] == [l1, l2]
    assert page_files(server, v, "whalpha")[wheel]["hashes"]["sha256"] == sha1


def test_project_list_is_the_union(server, alpha10, beta10, gamma01):
    l1, l2 = create_local(server), create_local(server)
    upload_ok(server, l1, alpha10.wheel)
    upload_ok(server, l2, alpha10.sdist, beta10.wheel)
    upload_ok(server, l2, gamma01.wheel)
    v = create_virtual(server, [l1, l2])
    r = page(server, v)
    assert r.status == 200, str(r)
    names = [p["name"] for p in r.json()["projects"]]
    assert sorted(n.lower() for n in names) == ["wh.gamma_pkg", "whalpha", "whbeta"], names
    html = page(server, v, accept="text/html")
    assert html.status == 200 and "whbeta" in html.text, str(html)


# -- yanked through the merge --------------------------------------------------------------------

def test_yank_in_a_member_shows_through(server, alpha10, alpha11):
    l1, l2 = create_local(server), create_local(server)
    upload_ok(server, l1, *alpha10.files)
    upload_ok(server, l2, *alpha11.files)
    v = create_virtual(server, [l1, l2])

    # Yanked before the merged page was ever built: the reason survives the merge.
    r = server.api.version_action(l1, "whalpha", "1.0", "yank", reason="CVE-0000, use 1.1")
    assert r.status == 200, str(r)
    state = yank_state(server, v, "whalpha")
    for f in alpha10.files:
        assert state[f.name] == ("CVE-0000, use 1.1", "CVE-0000, use 1.1"), state
    for f in alpha11.files:
        assert state[f.name] == (False, "absent"), state

    # The merged page is cached now; a yank in the second member must show immediately.
    first = page(server, v, "whalpha")
    assert page(server, v, "whalpha", headers={"If-None-Match": first.header("ETag")}).status == 304
    r = server.api.version_action(l2, "whalpha", "1.1", "yank")
    assert r.status == 200, str(r)
    state = yank_state(server, v, "whalpha")
    for f in alpha11.files:
        assert state[f.name] == (True, ""), f"yank in member {l2} not visible through {v}: {state}"
    after = page(server, v, "whalpha", headers={"If-None-Match": first.header("ETag")})
    assert after.status == 200, f"stale 304 after a yank in a member:\n{after}"

    # Unyank, then delete a release, then upload one: each shows through at once.
    assert server.api.version_action(l1, "whalpha", "1.0", "unyank").status == 200
    state = yank_state(server, v, "whalpha")
    for f in alpha10.files:
        assert state[f.name] == (False, "absent"), state
    d = server.api.call("DELETE", f"/repositories/{l2}/projects/whalpha/versions/1.1")
    assert d.status == 204, str(d)
    doc = page(server, v, "whalpha").json()
    assert sorted(f["filename"] for f in doc["files"]) == sorted(f.name for f in alpha10.files)
    assert doc["versions"] == ["1.0"]
    upload_ok(server, l2, alpha11.wheel)
    doc = page(server, v, "whalpha").json()
    assert alpha11.wheel.name in [f["filename"] for f in doc["files"]]
    assert doc["versions"] == ["1.0", "1.1"]


def test_remote_member_yank_reason_and_refresh(server, upstream, tmp_path, alpha10):
    """A remote member's yanked file keeps its reason and upload-time; when its page goes stale and the
    upstream has changed, the merged page changes too."""
    local = create_local(server)
    upload_ok(server, local, alpha10.wheel)
    remote = create_remote(server, upstream.simple_url, metadataTTL=1)
    fn1, data1 = wheel_bytes(tmp_path, "whfar", "1.0")
    fn2, data2 = wheel_bytes(tmp_path, "whfar", "2.0")
    upstream.add("whfar", fn1, data1, yanked="pulled upstream", upload_time="2024-01-02T03:04:05.000000Z")
    upstream.add("whfar", fn2, data2, upload_time="2024-02-03T04:05:06.000000Z")
    v = create_virtual(server, [local, remote])

    state = yank_state(server, v, "whfar")
    assert state[fn1] == ("pulled upstream", "pulled upstream"), state
    assert state[fn2] == (False, "absent"), state
    files = page_files(server, v, "whfar")
    assert files[fn1]["upload-time"].startswith("2024-01-02T03:04:05"), files[fn1]
    assert files[fn2]["hashes"]["sha256"] == sha(data2)
    assert page_files(server, v, "whfar").keys() == files.keys()

    upstream.update(fn2, yanked="also pulled")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = yank_state(server, v, "whfar")
        if state[fn2][0]:
            break
        time.sleep(0.5)
    assert state[fn2] == ("also pulled", "also pulled"), \
        f"the remote member's refreshed page did not show through the virtual: {state}"


# -- nested virtuals ---------------------------------------------------------------------------------

def test_nested_virtuals(server, upstream, dists, alpha10, beta10, tmp_path):
    l1, l2 = create_local(server), create_local(server)
    upload_ok(server, l1, alpha10.wheel)
    upload_ok(server, l2, beta10.wheel)
    remote = create_remote(server, upstream.simple_url)
    gamma = dists[("Wh.Gamma_Pkg", "0.1")]
    upstream.add_path("Wh.Gamma_Pkg", gamma.wheel)
    fake_alpha, data = wheel_bytes(tmp_path, "whalpha", "9.9")
    upstream.add("whalpha", fake_alpha, data)

    inner = create_virtual(server, [l1, remote], prefix="inner")
    outer = create_virtual(server, [inner, l2], prefix="outer")
    top = create_virtual(server, [outer], prefix="top")

    for v in (outer, top):
        r = page(server, v, "whbeta")
        assert r.status == 200, str(r)
        assert [f["filename"] for f in r.json()["files"]] == [beta10.wheel.name]
        assert l2 in served_by(r) or outer in served_by(r), served_by(r)

        r = page(server, v, "whalpha")
        assert r.status == 200, str(r)
        assert [f["filename"] for f in r.json()["files"]] == [alpha10.wheel.name], \
            "the remote whalpha 9.9 must stay hidden behind the local one, also through nested virtuals"
        assert remote not in served_by(r), served_by(r)

        r = page(server, v, "wh-gamma-pkg")
        assert r.status == 200, str(r)
        assert [f["filename"] for f in r.json()["files"]] == [gamma.wheel.name]
        assert set(served_by(r)) & {remote, inner, outer}, served_by(r)
        got = download(page_files(server, v, "wh-gamma-pkg")[gamma.wheel.name]["url"])
        assert got.status == 200 and sha(got.body) == sha256_file(gamma.wheel), str(got)

    # Merged pages are cached: two virtuals, two requests each, one upstream fetch (TTL 600).
    assert upstream.count(page_path("wh-gamma-pkg")) == 1, upstream.count(page_path("wh-gamma-pkg"))
    assert upstream.count(page_path("whalpha"), None) == 0, \
        [(s.method, s.path) for s in upstream.requests(page_path("whalpha"), None)]

    names = sorted(p["name"].lower() for p in page(server, top).json()["projects"])
    assert names == ["wh.gamma_pkg", "whalpha", "whbeta"], names

    # A member of a virtual cannot be deleted from under it.
    r = server.api.call("DELETE", f"/repositories/{l2}")
    assert r.status == 409, str(r)


# -- files from whichever member holds them -----------------------------------------------------------

def test_files_come_from_the_member_that_holds_them(server, upstream, dists, beta10):
    local = create_local(server)
    upload_ok(server, local, beta10.wheel)
    remote = create_remote(server, upstream.simple_url)
    alpha = dists[("whalpha", "1.1")]
    upstream.add_path("whalpha", alpha.wheel, metadata=wheel_metadata_bytes(alpha.wheel))
    v = create_virtual(server, [local, remote])

    remote_entry = page_files(server, v, "whalpha")[alpha.wheel.name]
    assert remote_entry["core-metadata"]["sha256"] == sha(wheel_metadata_bytes(alpha.wheel))
    for _ in range(2):
        got = download(remote_entry["url"])
        assert got.status == 200 and sha(got.body) == sha256_file(alpha.wheel), str(got)
    assert upstream.count(file_path(alpha.wheel.name)) == 1, "the file must travel from the upstream once"
    meta = download(remote_entry["url"] + ".metadata")
    assert meta.status == 200 and meta.body == wheel_metadata_bytes(alpha.wheel), str(meta)

    local_entry = page_files(server, v, "whbeta")[beta10.wheel.name]
    meta = download(local_entry["url"] + ".metadata")
    assert meta.status == 200 and meta.body == wheel_metadata_bytes(beta10.wheel), str(meta)
    part = download(local_entry["url"], {"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == beta10.wheel.read_bytes()[:100], str(part)

    missing = download(f"{server.url}/{v}/files/{'0' * 64}/{beta10.wheel.name}")
    assert missing.status == 404, str(missing)


# -- bad definitions ----------------------------------------------------------------------------------------

def test_unknown_members_cycles_and_bad_deploy_to_are_rejected(server, upstream, wheelhouse_bin):
    loc, loc2 = create_local(server), create_local(server)
    remote = create_remote(server, upstream.simple_url)

    def create(name, **body):
        return server.api.call("POST", "/repositories", {"name": name, "type": "virtual", **body})

    ghost = new_name("ghost")
    r = create(new_name("v"), members=[loc, ghost])
    assert r.status == 400 and ghost in r.text, f"unknown member:\n{r}"

    selfish = new_name("self")
    r = create(selfish, members=[loc, selfish])
    assert r.status == 400, f"self-membership:\n{r}"
    assert server.api.call("GET", f"/repositories/{selfish}").status == 404

    for deploy in (loc2, remote, ghost):  # not a member; a remote member; unknown
        r = create(new_name("v"), members=[loc, remote], deployTo=deploy)
        assert r.status == 400, f"deployTo {deploy}:\n{r}"
    v0 = create_virtual(server, [loc, remote])
    r = create(new_name("v"), members=[v0, loc], deployTo=v0)
    assert r.status == 400, f"deployTo a virtual member:\n{r}"

    # Cycles made later through PATCH: v1 -> v2 -> v1, and v1 -> v3 -> v2 -> v1.
    v1 = create_virtual(server, [loc], deployTo=loc)
    v2 = create_virtual(server, [v1])
    v3 = create_virtual(server, [v2, remote])
    before = get_repo(server, v1)
    for members in ([loc, v2], [v3], [v1]):
        r = server.api.call("PATCH", f"/repositories/{v1}", {"members": members})
        assert r.status == 400, f"PATCH {v1} members={members} makes a cycle:\n{r}"
    assert get_repo(server, v1) == before
    r = server.api.call("PATCH", f"/repositories/{v1}", {"deployTo": remote})
    assert r.status == 400, str(r)
    r = server.api.call("PATCH", f"/repositories/{v1}", {"members": [loc, ghost]})
    assert r.status == 400, str(r)
    assert get_repo(server, v1) == before
    # The repositories still work after the refused changes.
    assert page(server, v3).status == 200

    # The CLI: create with members and deployTo; refused definitions exit non-zero.
    name = new_name("clivirt")
    res = wh(server, wheelhouse_bin, "repo", "create", name, "--type", "virtual", "--members", f"{loc},{remote}",
             "--deploy-to", loc)
    assert res.returncode == 0, str(res)
    view = get_repo(server, name)
    assert view["type"] == "virtual" and view["members"] == [loc, remote] and view["deployTo"] == loc, view
    res = wh(server, wheelhouse_bin, "repo", "create", new_name("clivirt"), "--type", "virtual", "--members", ghost)
    assert res.returncode != 0, str(res)
    res = wh(server, wheelhouse_bin, "repo", "set", v1, "--members", f"{loc},{v3}")
    assert res.returncode != 0, str(res)
    assert get_repo(server, v1) == before


def test_versions_are_pep440_sorted(server, tmp_path):
    l1, l2 = create_local(server), create_local(server)
    from whpackages import make_wheel
    order = ["1.0.dev1", "1.0a1", "1.0", "1.0.post1", "1.10", "2.0rc1", "10.0"]
    for i, v in enumerate(order):
        path = make_wheel(tmp_path / f"whsort-{v}-py3-none-any.whl", "whsort", v)
        upload_ok(server, l1 if i % 2 else l2, path)
    v = create_virtual(server, [l1, l2])
    doc = page(server, v, "whsort").json()
    assert doc["versions"] == sorted(order, key=Version), doc["versions"]
    assert doc["versions"] == order

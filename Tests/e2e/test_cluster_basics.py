"""A 3-node cluster from deploy/local/cluster: publishing through HAProxy is visible on every node at
once, pip and uv install through HAProxy, and a write on one node invalidates the other nodes'
cached virtual pages within a second (LISTEN/NOTIFY)."""

import time

from cluster_fixtures import *  # noqa: F401,F403
from fakeupstream import normalize
from whtools import Venv, pip_install, twine_upload, uv_env, uv_pip_install


def test_cluster_up_starts_every_node(cluster):
    assert_first_up_started_every_node(cluster)


def test_twine_upload_through_haproxy_visible_on_every_node_then_pip_and_uv(cluster, dists, tmp_path):
    repo = cluster.lb.new_repo("clu-publish")
    files = [f for d in dists.values() for f in d.files]
    r = twine_upload(f"{cluster.url}/{repo}/", files, password=cluster.token, timeout=180)
    assert r.returncode == 0, str(r)

    # At once (no polling): every node lists every file with its hash, and serves the bytes.
    for node in cluster.nodes:
        for d in dists.values():
            listed = json_files(node.url, repo, normalize(d.project))
            for f in d.files:
                assert f.name in listed, f"{f.name} not on {node.name}'s page right after the upload: {sorted(listed)}"
                digest = sha256_file(f)
                assert listed[f.name]["hashes"]["sha256"] == digest, (node.name, listed[f.name])
                got = fetch(listed[f.name]["url"], timeout=60, keep=0)
                assert (got.status, got.error, got.received, got.sha256) == (200, None, f.stat().st_size, digest), (
                    f"{f.name} from {node.name}: {got}")

    index = f"{cluster.url}/{repo}/simple/"
    venv = Venv.create(tmp_path / "pip-venv")
    r = pip_install(venv, ["--index-url", index, "whbeta"])
    assert r.returncode == 0, str(r)
    assert venv.check_import("whbeta", "whalpha").returncode == 0
    assert (venv.version_of("whalpha"), venv.version_of("whbeta")) == ("1.1", "1.0")

    venv = Venv.create(tmp_path / "uv-venv")
    r = uv_pip_install(venv, ["--index-url", index, "whbeta", "Wh.Gamma_Pkg"], uv_env(tmp_path / "uv-cache"))
    assert r.returncode == 0, str(r)
    r = venv.check_import("whbeta", "whalpha", "wh_gamma_pkg")
    assert r.returncode == 0, str(r)
    assert (venv.version_of("whalpha"), venv.version_of("whbeta")) == ("1.1", "1.0")


def _yanked(node, virtual, filenames) -> dict:
    r = page(node, virtual, "whalpha")
    assert r.status == 200, str(r)
    files = {f["filename"]: f.get("yanked", False) for f in r.json()["files"]}
    return {fn: files.get(fn, "missing") for fn in filenames}


def test_yank_on_node1_shows_on_node2_virtual_page_within_one_second(cluster, alpha10, alpha11):
    node1, node2, node3 = cluster.nodes
    older, newer = node1.new_repo("clu-inv-a"), node1.new_repo("clu-inv-b")
    r = twine_upload(f"{node1.url}/{older}/", alpha10.files, password=cluster.token)
    assert r.returncode == 0, str(r)
    r = twine_upload(f"{node1.url}/{newer}/", alpha11.files, password=cluster.token)
    assert r.returncode == 0, str(r)
    virtual = create_virtual(node1, [older, newer], prefix="clu-inv-v")
    names = [f.name for f in alpha10.files + alpha11.files]

    # The merged page is read (and so cached) on nodes 2 and 3, twice, before the yank.
    for node in (node2, node3):
        for _ in range(2):
            assert _yanked(node, virtual, names) == {n: False for n in names}, node.name

    reason = "broken on cluster, use 1.0"
    r = cluster.nodes[0].api.version_action(newer, "whalpha", "1.1", "yank", reason=reason)
    assert r.status == 200, str(r)
    yanked_at = time.monotonic()
    want = {**{f.name: False for f in alpha10.files}, **{f.name: reason for f in alpha11.files}}

    seen_after = {}
    for node in (node2, node3):
        while True:
            state = _yanked(node, virtual, names)
            elapsed = time.monotonic() - yanked_at
            if state == want:
                seen_after[node.name] = round(elapsed, 3)
                break
            assert elapsed < 1.0, (f"{node.name}'s merged page still shows {state} {elapsed:.2f} s after "
                                   f"the yank on node1 (want {want})")
            time.sleep(0.1)
    assert all(v < 1.0 for v in seen_after.values()), seen_after
    print(f"yank on node1 seen on the other nodes' merged pages after {seen_after} s")


def test_delete_racing_upload_and_gc_across_nodes_loses_nothing(cluster, tmp_path):
    """Issue 12's data-loss race on PostgreSQL + S3: delete X from A on node1 ‖ upload X to B on
    node2 ‖ gc with no grace on node3. Every acknowledged upload to B stays whole."""
    from concurrent.futures import ThreadPoolExecutor

    from whmultipart import upload
    from whpackages import make_wheel, wheel_metadata_bytes

    node1, node2, node3 = cluster.nodes
    a, b = node1.new_repo("clu-gc-a"), node1.new_repo("clu-gc-b")
    deadline = time.monotonic() + 40
    rounds = 0
    with ThreadPoolExecutor(max_workers=3) as pool:
        for i in range(60):
            if time.monotonic() > deadline:
                break
            wheel = make_wheel(tmp_path / f"clracer-1.{i}-py3-none-any.whl", "clracer", f"1.{i}", payload=f"r{i}".encode())
            assert upload(node1.url, a, wheel, cluster.token).status == 200
            deleted = pool.submit(node1.api.call, "DELETE", f"/repositories/{a}/projects/clracer/files/{wheel.name}")
            uploaded = pool.submit(upload, node2.url, b, wheel, cluster.token)
            collected = pool.submit(node3.api.call, "POST", "/gc", {"graceSeconds": 0})
            assert deleted.result().status == 204
            assert uploaded.result().status == 200, str(uploaded.result())
            assert collected.result().status == 200, str(collected.result())
            rounds += 1
            url = json_files(node3.url, b, "clracer")[wheel.name]["url"]
            got = fetch(url, timeout=30, keep=0)
            assert (got.status, got.error, got.sha256) == (200, None, sha256_file(wheel)), f"round {i}: {got}"
            meta = request("GET", url + ".metadata")
            assert meta.status == 200 and meta.body == wheel_metadata_bytes(wheel), f"round {i}: {meta}"
    assert rounds >= 10, f"only {rounds} rounds in the time allowed"

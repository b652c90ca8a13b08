"""Cross-node fetch leases on a 3-node cluster (deploy/local/cluster): concurrent misses for one file
on every node collapse into one upstream download; the lease holder killed with SIGKILL mid-download
is taken over after the lease expires; /metrics counts fetches, misses and lease waits."""

import threading
import time

import pytest

from cluster_fixtures import *  # noqa: F401,F403

CLIENTS_PER_NODE = 16  # 48 in all
RATE = 20_000_000      # bytes/s from the fake upstream: ~1 s for the 20 MiB file, so the clients overlap


def _ok(r, data: bytes, digest: str) -> bool:
    return (r.status == 200 and r.error is None and r.content_length == len(data) and r.received == len(data)
            and r.sha256 == digest)


def test_cluster_up_starts_every_node(cluster):
    assert_first_up_started_every_node(cluster)


@pytest.fixture(scope="module")
def collapsed(cluster, cluster_upstream, big_wheel):
    """48 concurrent cold requests for one 20 MiB file, 16 on each node directly; /metrics before and after."""
    upstream = cluster_upstream
    data = big_wheel.read_bytes()
    upstream.add("whbig", big_wheel.name, data)
    upstream.slow(RATE, file_path(big_wheel.name))
    remote = create_remote(cluster.lb, upstream.simple_url, prefix="clu-collapse")  # anonymousRead: true
    assert cluster.lb.api.call("GET", f"/repositories/{remote}").json()["anonymousRead"] is True
    urls = [file_href(node, remote, "whbig", big_wheel.name) for node in cluster.nodes]
    assert upstream.count(file_path(big_wheel.name)) == 0
    before = {n.name: metrics(n) for n in cluster.nodes}
    t0 = time.monotonic()
    results = fetch_spread(urls, CLIENTS_PER_NODE, timeout=120)
    took = time.monotonic() - t0
    after = {n.name: metrics(n) for n in cluster.nodes}
    return dict(remote=remote, data=data, digest=sha256_bytes(data), urls=urls, results=results, took=took,
                before=before, after=after, upstream=upstream, filename=big_wheel.name)


def test_48_concurrent_cold_requests_on_3_nodes_download_once(cluster, collapsed):
    c = collapsed
    path = file_path(c["filename"])
    seen = [(s.method, s.path, s.status) for s in c["upstream"].requests()]
    assert c["upstream"].count(path) == 1, f"the upstream served {c['upstream'].count(path)} GETs of the file: {seen}"
    bad = [r for r in c["results"] if not _ok(r, c["data"], c["digest"])]
    assert len(c["results"]) == 3 * CLIENTS_PER_NODE
    assert not bad, (f"{len(bad)} of {len(c['results'])} responses wrong (want {len(c['data'])} bytes, "
                     f"{c['digest'][:12]}) after {c['took']:.1f} s:\n{describe(c['results'])}")

    # Cached once, cluster-wide: another request on each node is served without the upstream.
    for url in c["urls"]:
        again = fetch(url, timeout=60, keep=0)
        assert _ok(again, c["data"], c["digest"]), again
    assert c["upstream"].count(path) == 1


def _delta(c, node, name, **labels) -> float:
    return metric_sum(c["after"][node], name, **labels) - metric_sum(c["before"][node], name, **labels)


def test_metrics_show_upstream_fetches_misses_and_lease_waits(cluster, collapsed):
    c = collapsed
    text = request("GET", cluster.nodes[0].url + "/metrics", timeout=10)
    assert text.status == 200 and text.content_type == "text/plain", str(text)
    fetches = {n.name: _delta(c, n.name, "wheelhouse_upstream_fetches_total", kind="file", outcome="ok")
               for n in cluster.nodes}
    misses = {n.name: _delta(c, n.name, "wheelhouse_cache_misses_total", kind="file") for n in cluster.nodes}
    waits = {n.name: _delta(c, n.name, "wheelhouse_lease_waits_total") for n in cluster.nodes}
    report = f"file fetches {fetches}, file misses {misses}, lease waits {waits}"
    print(report, f"(48 requests took {c['took']:.1f} s)")
    assert sum(fetches.values()) == 1, report
    [holder] = [name for name, v in fetches.items() if v == 1]
    others = [n.name for n in cluster.nodes if n.name != holder]
    # Every node missed (16 cold requests each, released together while the download took ~1 s) ...
    assert all(v >= 1 for v in misses.values()), report
    # ... the holder fetched, and each other node found the lease held and waited for it.
    assert all(waits[name] >= 1 for name in others), report
    for name in (holder, *others):
        names = {k[0] for k in c["after"][name]}
        for metric in ("wheelhouse_cache_misses_total", "wheelhouse_http_requests_total"):
            assert metric in names, f"{metric} missing from {name}'s /metrics: {sorted(names)}"
    assert "wheelhouse_upstream_fetches_total" in {k[0] for k in c["after"][holder]}
    for name in others:
        assert "wheelhouse_lease_waits_total" in {k[0] for k in c["after"][name]}, sorted(c["after"][name])


def test_sigkill_of_the_lease_holder_mid_download(cluster, cluster_upstream, tmp_path):
    upstream = cluster_upstream
    wheel = random_wheel(tmp_path / "whkill-1.0-py3-none-any.whl", "whkill", "1.0", 20 << 20)
    data = wheel.read_bytes()
    digest = sha256_bytes(data)
    path = file_path(wheel.name)
    upstream.add("whkill", wheel.name, data)
    upstream.slow(1_000_000, path)  # ~20 s: the holder is killed while it downloads
    remote = create_remote(cluster.lb, upstream.simple_url, prefix="clu-kill")
    urls = {n.name: file_href(n, remote, "whkill", wheel.name) for n in cluster.nodes}
    names = [n.name for n in cluster.nodes]

    # 4 clients per node; a client whose answer is not the whole file retries on the next node.
    outcomes: dict[int, list] = {}

    def client(i: int, first: str) -> None:
        order = names[names.index(first):] + names[:names.index(first)]
        tries = []
        for attempt in range(4):
            node = order[attempt % len(order)]
            r = fetch(urls[node], timeout=120, keep=0)
            tries.append((node, r))
            if r.status == 200 and r.error is None and r.received == len(data) and r.sha256 == digest:
                break
            time.sleep(0.5)
        outcomes[i] = tries

    threads = [threading.Thread(target=client, args=(i, names[i % 3]), daemon=True) for i in range(12)]
    for t in threads:
        t.start()

    wait_until("the upstream GET of the file", lambda: upstream.count(path) >= 1, 30)
    key = f"file:{remote}:{wheel.name}"
    holder = wait_until("a fetch_leases row for the file",
                        lambda: cluster.psql(f"SELECT holder FROM fetch_leases WHERE key = '{key}'"), 10)
    node = cluster.node(holder)
    time.sleep(1.5)  # a little over 1 MB on its way to the holder's clients
    assert upstream.requests(path)[0].finished == 0, "the download finished before the kill"
    killed_pid = node.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    node.wait_exit(killed_pid, 10)
    upstream.slow(None, path)  # the taker-over downloads at full speed
    survivors = [n for n in cluster.nodes if n is not node]
    before_hits = {n.name: metric_sum(metrics(n), "wheelhouse_cache_hits_total", kind="file") for n in survivors}

    for t in threads:
        t.join(max(0.0, killed_at + 150 - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "clients still waiting 150 s after the kill"
    took = time.monotonic() - killed_at

    def show():
        return "\n".join(f"  client {i}: " + " -> ".join(
            f"{n}:{r.status}/{r.received}/{'ok' if r.sha256 == digest else 'bad'}{'/' + r.error if r.error else ''}"
            for n, r in tries) for i, tries in sorted(outcomes.items()))

    summary = f"holder {holder} killed; clients done {took:.1f} s later:\n{show()}"
    failed = [i for i, tries in outcomes.items() if not (tries[-1][1].received == len(data)
                                                       and tries[-1][1].sha256 == digest and tries[-1][1].status == 200)]
    assert len(outcomes) == 12 and not failed, f"clients {failed} never got the file\n{summary}"
    gets = upstream.count(path)
    print(f"{summary}\nupstream GETs: {gets}")
    assert gets <= 2, f"downloaded {gets} times from the upstream\n{summary}"

    # Cached once: one row, one cached file for the project.
    cache = cluster.lb.api.call("GET", f"/repositories/{remote}/cache")
    assert cache.status == 200, str(cache)
    [project] = [p for p in cache.json()["projects"] if p["name"] == "whkill"]
    assert project["cachedFiles"] == 1 and project["cachedBytes"] == len(data), cache.json()
    rows = cluster.psql("SELECT count(*) FROM distributions d JOIN repositories r ON r.id = d.repository_id "
                        f"WHERE r.name = '{remote}' AND d.filename = '{wheel.name}'")
    assert rows == "1", rows

    # A later request on each surviving node is a hit: no upstream request.
    for n in survivors:
        r = fetch(urls[n.name], timeout=60, keep=0)
        assert _ok(r, data, digest), f"{n.name}: {r}"
        hits = metric_sum(metrics(n), "wheelhouse_cache_hits_total", kind="file")
        assert hits >= before_hits[n.name] + 1, f"{n.name}: file cache hits {before_hits[n.name]} -> {hits}"
    assert upstream.count(path) == gets, "a request after the takeover went to the upstream"

    # The killed node comes back (`cluster up` starts only what is not running) and serves the file too.
    cluster.ensure_all_up()
    assert node.pid != killed_pid and node.alive
    r = fetch(urls[node.name], timeout=60, keep=0)
    assert _ok(r, data, digest), f"restarted {node.name}: {r}"
    assert upstream.count(path) == gets

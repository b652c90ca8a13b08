"""Remote files are downloaded once, streamed to every waiting client, and never handed out wrong.

The fake upstream is slowed down so that the clients really overlap with the download.
"""

import hashlib
import json
import time

import pytest

from remote_fixtures import *  # noqa: F401,F403


def describe(results) -> str:
    return "\n".join(f"  {i}: {r.status} CL={r.content_length} got={r.received} sha={r.sha256[:12]} err={r.error}"
                     for i, r in enumerate(results))


def test_32_concurrent_cold_requests_download_once(server, upstream, remote, big_wheel):
    data = big_wheel.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    upstream.add("whbig", big_wheel.name, data)
    upstream.slow(20_000_000)  # ~1 s for the whole file: every client attaches mid-download
    entry = remote_files(server, remote, "whbig")[big_wheel.name]
    assert entry["hashes"]["sha256"] == digest and entry["size"] == len(data), entry

    results = fetch_many(entry["url"], 32, timeout=120)

    assert upstream.count(file_path(big_wheel.name)) == 1, [
        (s.method, s.path, s.status) for s in upstream.requests()]
    bad = [r for r in results
           if not (r.status == 200 and r.error is None and r.content_length == len(data)
                   and r.received == len(data) and r.sha256 == digest)]
    assert not bad, f"{len(bad)} of 32 responses wrong (expected {len(data)} bytes, {digest[:12]}):\n{describe(results)}"

    # Cached now: another request is served without the upstream.
    again = fetch(entry["url"], timeout=60, keep=0)
    assert (again.status, again.received, again.sha256) == (200, len(data), digest), again
    assert upstream.count(file_path(big_wheel.name)) == 1


def test_clients_receive_bytes_while_the_download_runs(server, upstream, remote, tmp_path):
    """Stream-while-filling: attached clients get bytes as they arrive, not after the upstream is done."""
    filename, data = wheel_bytes(tmp_path, "whstream", "1.0", 8 << 20)
    upstream.add("whstream", filename, data)
    upstream.slow(4_000_000)  # ~2 s
    url = remote_files(server, remote, "whstream")[filename]["url"]

    results = fetch_many(url, 4, timeout=60)

    assert all(r.complete and r.sha256 == hashlib.sha256(data).hexdigest() for r in results), describe(results)
    [seen] = upstream.requests(file_path(filename), "GET")
    assert seen.finished, "the upstream did not finish sending"
    waited = [round(r.first_byte_at - seen.started, 2) for r in results]
    upstream_took = round(seen.finished - seen.started, 2)
    assert all(r.first_byte_at < seen.finished - 0.5 for r in results), (
        f"first bytes reached the clients {waited} s after the upstream request started; "
        f"the upstream took {upstream_took} s: the clients waited for the whole download")


FAULTS = {
    # The upstream declares the full length, sends half, and closes the connection.
    "truncated": lambda up, path, size: up.truncate(path, size // 2),
    # Right length, one byte flipped: only the sha256 check can tell.
    "corrupted": lambda up, path, size: up.corrupt(path),
    "status500": lambda up, path, size: up.fail(path, 500),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_bad_upstream_body_is_never_served_nor_cached(server, upstream, remote, small_wheel, fault):
    filename, data = small_wheel
    digest = hashlib.sha256(data).hexdigest()
    path = file_path(filename)
    upstream.add("whsmall", filename, data)
    upstream.slow(2_000_000)  # ~1 s: the 8 clients overlap with the download
    FAULTS[fault](upstream, path, len(data))
    url = remote_files(server, remote, "whsmall")[filename]["url"]

    results = fetch_many(url, 8, timeout=60)
    complete = [r for r in results if r.complete]
    assert not complete, f"{fault}: {len(complete)} clients got a complete-looking response:\n{describe(results)}"
    assert not any(r.sha256 == digest and r.received == len(data) for r in results), describe(results)
    first = upstream.count(path)
    assert first >= 1

    # Nothing was cached: the next request goes to the upstream again, and fails again.
    time.sleep(0.5)
    r = fetch(url, timeout=60, keep=0)
    assert not r.complete, f"{fault}, second attempt: {r}"
    assert upstream.count(path) == first + 1, f"{fault}: the failed download was cached or not retried"

    # Once the upstream is fixed, the next request succeeds and the file is cached from then on.
    upstream.clear()
    time.sleep(0.5)
    r = fetch(url, timeout=60, keep=0)
    assert (r.status, r.error, r.content_length, r.received, r.sha256) == (200, None, len(data), len(data), digest), r
    after_fix = upstream.count(path)
    assert after_fix == first + 2
    for _ in range(3):
        r = fetch(url, timeout=60, keep=0)
        assert (r.status, r.received, r.sha256) == (200, len(data), digest), r
    assert upstream.count(path) == after_fix, "the good download was not cached"


def test_failed_download_error_is_clear_json(server, upstream, remote, small_wheel):
    """A client that arrives when the upstream answers 500 gets a 502 with a JSON message."""
    filename, data = small_wheel
    upstream.add("whsmall", filename, data)
    upstream.fail(file_path(filename), 500)
    url = remote_files(server, remote, "whsmall")[filename]["url"]
    r = fetch(url, timeout=60)
    assert r.status in (502, 504), r
    assert r.headers.get("content-type", "").startswith("application/json"), r
    message = json.loads(r.body)["error"]
    assert "upstream" in message.lower() and "500" in message, message


def test_files_redirected_to_a_cdn(server, make_upstream, small_wheel):
    """Files answered with a redirect to another origin: followed, verified, cached; no credentials sent there."""
    filename, data = small_wheel
    origin, cdn = make_upstream(), make_upstream()
    origin.add("whsmall", filename, data)
    cdn.add("whsmall", filename, data)
    origin.require_auth("mirror-user", "s3cret-pass")
    origin.redirect_files(cdn.url)
    repo = create_remote(server, origin.simple_url, username="mirror-user", password="s3cret-pass")

    url = remote_files(server, repo, "whsmall")[filename]["url"]
    r = fetch(url, timeout=60, keep=0)
    assert (r.status, r.received, r.sha256) == (200, len(data), hashlib.sha256(data).hexdigest()), r
    assert origin.count(file_path(filename)) == 1 and cdn.count(file_path(filename)) == 1
    assert all("authorization" not in s.headers for s in cdn.requests()), "credentials leaked to the CDN"
    assert fetch(url, timeout=60, keep=0).status == 200
    assert cdn.count(file_path(filename)) == 1


def test_redirect_on_the_same_origin(server, upstream, remote, small_wheel):
    filename, data = small_wheel
    upstream.add("whsmall", filename, data)
    upstream.redirect_files(upstream.url + "/cdn")
    url = remote_files(server, remote, "whsmall")[filename]["url"]
    r = fetch(url, timeout=60, keep=0)
    assert (r.status, r.received, r.sha256) == (200, len(data), hashlib.sha256(data).hexdigest()), r
    assert upstream.count("/cdn" + file_path(filename)) == 1

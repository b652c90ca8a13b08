"""Start-up, the admin token, persistence across restarts, graceful shutdown."""

import signal
import stat
import time

import pytest

from whclient import json_files, request
from whmultipart import upload


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown(start_server, sig):
    s = start_server()
    assert request("GET", s.url + "/health/live").status == 200
    t0 = time.monotonic()
    s.proc.send_signal(sig)
    try:
        code = s.proc.wait(10)
    except Exception:
        pytest.fail(f"server still running 10 s after {sig.name}\n{s.log_tail()}")
    assert code == 0, f"exit code {code} after {sig.name} ({time.monotonic() - t0:.1f}s)\n{s.log_tail()}"


def test_generated_admin_token(start_server, tmp_path):
    data = tmp_path / "data"
    s = start_server(data_dir=data, admin_token=None)
    token_file = data / "admin-token"
    assert token_file.exists(), f"no {token_file}\n{s.log_tail()}"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600, oct(token_file.stat().st_mode)
    token = token_file.read_text().strip()
    assert len(token) >= 20, "a random token should be long"
    assert token in s.log_text(), "the generated token is printed once at first start"

    s.admin_token = token
    assert s.api.create_repo("tok-check").status == 201
    assert s.api.create_repo("tok-check-2", token="wrong").status == 401

    # Restart on the same data: the same token still works, and is not printed again.
    s.stop()
    first_log = s.log_text()
    s.start()
    assert token_file.read_text().strip() == token
    assert token not in s.log_text()[len(first_log):], "the token is printed only when it is created"
    assert s.api.call("GET", "/repositories/tok-check").status == 200


def test_env_token_on_first_start(start_server, tmp_path):
    s = start_server(admin_token="fixed-e2e-token-0123456789abcdef0123456789")
    assert s.api.create_repo("env-token").status == 201
    assert "fixed-e2e-token-0123456789" not in s.log_text(), "a token set by the operator is never logged"


def test_data_survives_restart(start_server, alpha10, beta10):
    s = start_server()
    repo = s.new_repo("persist")
    for f in alpha10.files + beta10.files:
        assert upload(s.url, repo, f, s.admin_token).status == 200
    assert s.api.version_action(repo, "whalpha", "1.0", "yank", reason="kept").status == 200
    before = {p: json_files(s.url, repo, p) for p in ("whalpha", "whbeta")}
    assert s.stop() == 0
    s.start()
    after = {p: json_files(s.url, repo, p) for p in ("whalpha", "whbeta")}
    strip = lambda d: {p: {n: {k: v for k, v in f.items() if k != "url"} for n, f in fs.items()} for p, fs in d.items()}
    assert strip(after) == strip(before)
    for f in alpha10.files:
        r = request("GET", after["whalpha"][f.name]["url"])
        assert r.status == 200 and r.body == f.read_bytes()


def test_health_endpoints(start_server):
    s = start_server()
    for path in ("/health/live", "/health/ready"):
        r = request("GET", s.url + path)
        assert r.status == 200, str(r)

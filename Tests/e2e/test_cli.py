"""The wheelhouse CLI against a running server: repositories, auth errors, exit codes."""

import uuid

from whserver import free_port
from whtools import cli


def name(prefix="cli"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_repo_lifecycle_with_env(server, wheelhouse_bin):
    repo = name()

    def wh(*args):
        return cli(wheelhouse_bin, list(args), url=server.url, token=server.admin_token)

    r = wh("repo", "create", repo, "--type", "local")
    assert r.returncode == 0, str(r)
    assert server.api.call("GET", f"/repositories/{repo}").status == 200

    r = wh("repo", "list")
    assert r.returncode == 0 and repo in r.stdout, str(r)

    r = wh("repo", "show", repo)
    assert r.returncode == 0 and repo in r.stdout and "local" in r.stdout, str(r)

    r = wh("repo", "delete", repo)
    assert r.returncode == 0, str(r)
    assert server.api.call("GET", f"/repositories/{repo}").status == 404

    r = wh("repo", "show", repo)
    assert r.returncode != 0 and r.stderr.strip(), str(r)
    r = wh("repo", "list")
    assert r.returncode == 0 and repo not in r.stdout, str(r)


def test_repo_with_flags(server, wheelhouse_bin):
    repo = name()
    flags = ["--server", server.url, "--token", server.admin_token]
    r = cli(wheelhouse_bin, ["repo", "create", repo, "--type", "local", *flags])
    assert r.returncode == 0, str(r)
    r = cli(wheelhouse_bin, ["repo", "show", repo, *flags])
    assert r.returncode == 0 and repo in r.stdout, str(r)
    # Flags win over the environment.
    r = cli(wheelhouse_bin, ["repo", "show", repo, *flags], url="http://127.0.0.1:9", token="wrong")
    assert r.returncode == 0 and repo in r.stdout, str(r)


def test_errors_exit_non_zero(server, wheelhouse_bin):
    repo = name()
    assert cli(wheelhouse_bin, ["repo", "create", repo, "--type", "local"], server.url, server.admin_token).returncode == 0
    cases = {
        "wrong token": cli(wheelhouse_bin, ["repo", "create", name(), "--type", "local"], server.url, "wrong-token"),
        "wrong token (delete)": cli(wheelhouse_bin, ["repo", "delete", repo], server.url, "wrong-token"),
        "no token": cli(wheelhouse_bin, ["repo", "create", name(), "--type", "local"], server.url, None),
        "duplicate": cli(wheelhouse_bin, ["repo", "create", repo, "--type", "local"], server.url, server.admin_token),
        "bad name": cli(wheelhouse_bin, ["repo", "create", "Bad Name", "--type", "local"], server.url, server.admin_token),
        "reserved name": cli(wheelhouse_bin, ["repo", "create", "simple", "--type", "local"], server.url, server.admin_token),
        "unknown repo": cli(wheelhouse_bin, ["repo", "delete", "no-such-repo"], server.url, server.admin_token),
        "no server": cli(wheelhouse_bin, ["repo", "list"], f"http://127.0.0.1:{free_port()}", server.admin_token),
    }
    for what, r in cases.items():
        assert r.returncode != 0, f"{what}: {r}"
        assert r.stderr.strip(), f"{what}: no message on stderr\n{r}"
    # The failed calls changed nothing.
    assert server.api.call("GET", f"/repositories/{repo}").status == 200
    assert server.api.call("GET", "/repositories/simple").status == 404

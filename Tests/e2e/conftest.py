"""Fixtures for the end-to-end suite: the binary, sample packages, servers, repositories."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

import whserver
from whpackages import Dist, build_samples
from whserver import WheelhouseServer


def pytest_sessionstart(session):
    binary = os.environ.get("WHEELHOUSE_BIN", "")
    if not binary or not os.access(binary, os.X_OK):
        pytest.exit(f"WHEELHOUSE_BIN={binary!r} is not an executable wheelhouse binary; "
                    "run the suite through scripts/test", returncode=4)


def pytest_collection_modifyitems(config, items):
    # The 2 GiB test is the slowest and the heaviest on disk: run it after everything else.
    items.sort(key=lambda item: item.get_closest_marker("bigfile") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Snapshot the running servers before fixture teardown stops them.
    servers = list(whserver.RUNNING)
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for s in servers:
            report.sections.append((f"wheelhouse server log (port {s.port})", s.log_tail()))


@pytest.fixture(scope="session")
def wheelhouse_bin() -> str:
    return os.environ["WHEELHOUSE_BIN"]


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> dict[tuple[str, str], Dist]:
    """whalpha 1.0 and 1.1, whbeta 1.0 (needs whalpha>=1.0), Wh.Gamma_Pkg 0.1: wheel + sdist each."""
    return build_samples(tmp_path_factory.mktemp("dists"))


@pytest.fixture(scope="session")
def alpha10(dists) -> Dist:
    return dists[("whalpha", "1.0")]


@pytest.fixture(scope="session")
def alpha11(dists) -> Dist:
    return dists[("whalpha", "1.1")]


@pytest.fixture(scope="session")
def beta10(dists) -> Dist:
    return dists[("whbeta", "1.0")]


@pytest.fixture(scope="session")
def gamma01(dists) -> Dist:
    return dists[("Wh.Gamma_Pkg", "0.1")]


@pytest.fixture
def start_server(wheelhouse_bin, tmp_path_factory):
    """Factory: start a server of one's own (own data dir); all are stopped at teardown."""
    started: list[WheelhouseServer] = []

    def start(data_dir: Path | None = None, admin_token: str | None = "generate",
              env: dict[str, str] | None = None) -> WheelhouseServer:
        base = tmp_path_factory.mktemp("server")
        token = "wh-e2e-" + secrets.token_hex(16) if admin_token == "generate" else admin_token
        s = WheelhouseServer(wheelhouse_bin, data_dir or base / "data", base / "server.log", token, env)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def server(wheelhouse_bin, tmp_path_factory):
    """One server per test module; tests isolate themselves with their own repository."""
    base = tmp_path_factory.mktemp("server")
    s = WheelhouseServer(wheelhouse_bin, base / "data", base / "server.log", "wh-e2e-" + secrets.token_hex(16))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def repo(server) -> str:
    """A new, empty local repository on the module's server."""
    return server.new_repo()

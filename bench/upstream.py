"""The fake upstream for the proxy measurements, in its own process.

It serves the given wheels with Tests/e2e/fakeupstream.py (imported, not copied), paces the
bodies of the files given with `--paced` at `--rate` bytes/second per response, and answers on
stdin/stdout so the harness can read its request counts without sharing its GIL:

    count PATH   -> the number of GET requests for PATH so far
    ping         -> pong
    quit         -> stops

Run in its own process because the 32 concurrent clients and the timing code must not compete
with the upstream's threads for one interpreter lock.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "e2e"))

import fakeupstream  # noqa: E402  (the path above)


class _File(fakeupstream.UpstreamFile):
    """The fake upstream's file, hashed once: it hashes on every page and every response, which
    costs seconds per request for a 2 GiB file and would make the upstream the bottleneck."""

    @functools.cached_property
    def sha256(self) -> str:  # type: ignore[override]
        return hashlib.sha256(self.data).hexdigest()


class BenchUpstream(fakeupstream.FakeUpstream):
    def add(self, project: str, filename: str, data: bytes, **attrs):
        f = _File(project=project, filename=filename, data=data, **attrs)
        with self._lock:
            p = self._projects.setdefault(fakeupstream.normalize(project), fakeupstream._Project(project))
            p.files = [x for x in p.files if x.filename != filename] + [f]
            self._files[filename] = f
            self._touch(p)
        return f


def project_of(filename: str) -> str:
    return filename.split("-")[0].replace("_", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, required=True, help="bytes/second for each paced response")
    parser.add_argument("--paced", nargs="*", type=Path, default=[], help="files served at --rate")
    parser.add_argument("--unpaced", nargs="*", type=Path, default=[], help="files served at full speed")
    args = parser.parse_args()
    up = BenchUpstream()
    for path in args.paced + args.unpaced:
        f = up.add_path(project_of(path.name), path)
        _ = f.sha256  # hash now, not during the measurement
    for path in args.paced:
        up.slow(args.rate, fakeupstream.file_path(path.name))
    up.start()
    print(up.simple_url, flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "count":
            print(up.count(arg, "GET"), flush=True)
        elif cmd == "ping":
            print("pong", flush=True)
        elif cmd == "quit":
            break
    up.stop()


if __name__ == "__main__":
    main()

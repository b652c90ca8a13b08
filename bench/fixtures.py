"""The benchmark's distributions: valid wheels written directly with zipfile.

Each wheel has `{name}/__init__.py`, a payload, and a `.dist-info` with METADATA, WHEEL and
RECORD, so every server, pip and uv accept it. Generation is deterministic (the same bytes on
every run), and the set is cached under the fixtures folder with a stamp naming its shape.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

STAMP_VERSION = 2
WHEEL_FILE = b"Wheel-Version: 1.0\nGenerator: wheelhouse-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
DATE = (2024, 1, 1, 0, 0, 0)


@dataclass
class Fixtures:
    root: Path
    small: list[Path] = field(default_factory=list)        # bench-pkg-NNN 1.0.0, read by pip/uv and wrk
    many: list[Path] = field(default_factory=list)         # bench-many, 300 versions
    big: Path | None = None                                # bench-big 1.0.0, 50 MiB
    uploads: list[list[Path]] = field(default_factory=list)  # per repetition: bench-upR-NNN, for twine
    proxied: list[Path] = field(default_factory=list)      # bench-proxy K.0.0, 50 MiB each, served by the fake upstream
    huge_upload: Path | None = None                        # bench-huge 1.0.0, 2 GiB, uploaded
    huge_proxied: Path | None = None                       # bench-huge-remote 1.0.0, 2 GiB, proxied

    def local_files(self) -> list[Path]:
        """What every local index is loaded with before any measurement."""
        return self.small + self.many + [self.big]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _metadata(name: str, version: str) -> bytes:
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: Wheelhouse benchmark fixture {name} {version}\nRequires-Python: >=3.8\n").encode()


def _module(name: str) -> str:
    return name.replace("-", "_")


def wheel_name(name: str, version: str) -> str:
    return f"{_module(name)}-{version}-py3-none-any.whl"


def _entry(z: zipfile.ZipFile, arcname: str, data: bytes, compress: int) -> None:
    info = zipfile.ZipInfo(arcname, date_time=DATE)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    z.writestr(info, data)


def small_wheel(folder: Path, name: str, version: str) -> Path:
    """A wheel of about 1.5 KB, compressed like the usual build tools do."""
    mod = _module(name)
    dist_info = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist_info}/METADATA": _metadata(name, version),
        f"{dist_info}/WHEEL": WHEEL_FILE,
    }
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in files.items()) + f"{dist_info}/RECORD,,\n"
    files[f"{dist_info}/RECORD"] = record.encode()
    path = folder / wheel_name(name, version)
    with zipfile.ZipFile(path, "w") as z:
        for n, d in files.items():
            _entry(z, n, d, zipfile.ZIP_DEFLATED)
    return path


def big_wheel(folder: Path, name: str, version: str, payload_size: int, seed: int) -> Path:
    """A wheel whose payload is `payload_size` stored (uncompressed) pseudo-random bytes.

    Written in 8 MiB chunks (a random 1 MiB block, rotated per chunk), so 2 GiB costs disk, not
    memory; zip64 is forced for the payload entry, as the usual tools do for big entries.
    """
    mod = _module(name)
    dist_info = f"{mod}-{version}.dist-info"
    block = random.Random(seed).randbytes(1 << 20)
    chunk_base = block * 8
    h = hashlib.sha256()
    path = folder / wheel_name(name, version)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        info = zipfile.ZipInfo(f"{mod}/payload.bin", date_time=DATE)
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with z.open(info, "w", force_zip64=payload_size >= (1 << 31) - 1) as entry:
            left, i = payload_size, 0
            while left:
                rot = (i * 4099) % len(chunk_base)
                piece = chunk_base[rot:] + chunk_base[:rot]
                piece = piece[:left]
                entry.write(piece)
                h.update(piece)
                left -= len(piece)
                i += 1
        small = {
            f"{mod}/__init__.py": f'__version__ = "{version}"\n'.encode(),
            f"{dist_info}/METADATA": _metadata(name, version),
            f"{dist_info}/WHEEL": WHEEL_FILE,
        }
        for n, d in small.items():
            _entry(z, n, d, zipfile.ZIP_DEFLATED)
        digest = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
        record = f"{mod}/payload.bin,sha256={digest},{payload_size}\n"
        record += "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in small.items())
        record += f"{dist_info}/RECORD,,\n"
        _entry(z, f"{dist_info}/RECORD", record.encode(), zipfile.ZIP_DEFLATED)
    return path


def generate(root: Path, *, small: int, versions: int, upload_sets: int, uploads_per_set: int,
             proxied: int, big_mib: int, huge_mib: int, log=print) -> Fixtures:
    """Write (or reuse) the fixture set under `root`; returns the paths."""
    # The 2 GiB wheels are not in the stamp: they are generated when asked for and missing.
    shape = {"v": STAMP_VERSION, "small": small, "versions": versions, "upload_sets": upload_sets,
             "uploads_per_set": uploads_per_set, "proxied": proxied, "big_mib": big_mib}
    fx = Fixtures(root)
    dirs = {k: root / k for k in ("small", "many", "big", "uploads", "proxied")}
    stamp = root / "stamp.json"
    fresh = stamp.exists() and json.loads(stamp.read_text()) == shape
    if not fresh:
        log(f"generating fixtures in {root} ({small} small packages, {versions} versions, "
            f"{upload_sets}x{uploads_per_set} upload packages, {proxied}x{big_mib} MiB proxied"
            + (f", 2x{huge_mib} MiB huge" if huge_mib else "") + ")")
        for d in dirs.values():
            if d.exists():
                for f in d.rglob("*"):
                    if f.is_file():
                        f.unlink()
            d.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)

    def make(path_fn, *args) -> Path:
        # Generate only what is missing, so an interrupted generation resumes.
        folder, name, version = args[0], args[1], args[2]
        target = folder / wheel_name(name, version)
        return target if fresh and target.exists() else path_fn(*args)

    fx.small = [make(small_wheel, dirs["small"], f"bench-pkg-{i:03d}", "1.0.0") for i in range(small)]
    fx.many = [make(small_wheel, dirs["many"], "bench-many", f"1.{i // 100}.{i % 100}") for i in range(versions)]
    fx.big = make(big_wheel, dirs["big"], "bench-big", "1.0.0", big_mib << 20, 1)
    for r in range(upload_sets):
        folder = dirs["uploads"] / f"set{r}"
        folder.mkdir(parents=True, exist_ok=True)
        fx.uploads.append([make(small_wheel, folder, f"bench-up{r}-{i:03d}", "1.0.0") for i in range(uploads_per_set)])
    fx.proxied = [make(big_wheel, dirs["proxied"], "bench-proxy", f"{k + 1}.0.0", big_mib << 20, 100 + k)
                  for k in range(proxied)]
    if not fresh:
        stamp.write_text(json.dumps(shape))
    if huge_mib:
        folder = root / f"huge-{huge_mib}"
        folder.mkdir(exist_ok=True)
        for attr, name, seed in (("huge_upload", "bench-huge", 7), ("huge_proxied", "bench-huge-remote", 8)):
            path = folder / wheel_name(name, "1.0.0")
            if not path.exists():
                log(f"generating {path} ({huge_mib} MiB)")
                partial = folder / "partial"  # renamed when complete: an interrupted run leaves no half wheel
                partial.mkdir(exist_ok=True)
                big_wheel(partial, name, "1.0.0", huge_mib << 20, seed).rename(path)
            setattr(fx, attr, path)
    return fx

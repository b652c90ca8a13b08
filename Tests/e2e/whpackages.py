"""Sample distributions: real ones built with `python -m build`, and hand-made wheels."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

from whserver import clean_env


@dataclass
class Dist:
    project: str  # the name as written in pyproject.toml
    version: str
    wheel: Path
    sdist: Path

    @property
    def files(self) -> list[Path]:
        return [self.wheel, self.sdist]


# name, version, dependencies, import package
SAMPLES = [
    ("whalpha", "1.0", [], "whalpha"),
    ("whalpha", "1.1", [], "whalpha"),
    ("whbeta", "1.0", ["whalpha>=1.0"], "whbeta"),
    # A name that only matches its normalized form (PEP 503) after folding case and separators.
    ("Wh.Gamma_Pkg", "0.1", [], "wh_gamma_pkg"),
]


def build_sample(workdir: Path, name: str, version: str, deps: list[str], package: str) -> Dist:
    src = workdir / f"src-{package}-{version}"
    (src / package).mkdir(parents=True)
    (src / package / "__init__.py").write_text(f'__version__ = "{version}"\n')
    dep_list = ", ".join(f'"{d}"' for d in deps)
    (src / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "{version}"
        description = "Wheelhouse end-to-end sample {name} {version}"
        requires-python = ">=3.8"
        readme = "README.md"
        dependencies = [{dep_list}]

        [tool.setuptools]
        packages = ["{package}"]
        """))
    # A multi-line body, so METADATA carries a Description that must survive byte for byte.
    (src / "README.md").write_text(f"# {name}\n\nSample package {version} for the Wheelhouse end-to-end tests.\n\n"
                                   "* unicode: \u00e9\u00e8 \u2713\n", encoding="utf-8")
    out = workdir / "dist" / f"{package}-{version}"
    # --no-isolation: the venv already has setuptools and wheel, so no download per build.
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=300, env=clean_env(SOURCE_DATE_EPOCH="1700000000"),
    )
    assert proc.returncode == 0, f"python -m build failed:\n{proc.stdout}\n{proc.stderr}"
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return Dist(name, version, wheels[0], sdists[0])


def build_samples(workdir: Path) -> dict[tuple[str, str], Dist]:
    return {(n, v): build_sample(workdir, n, v, d, p) for n, v, d, p in SAMPLES}


# -- reading distributions ------------------------------------------------------

def wheel_metadata_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        assert len(names) == 1, names
        return z.read(names[0])


def sdist_pkg_info_bytes(sdist: Path) -> bytes:
    with tarfile.open(sdist) as t:
        member = next(m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        return t.extractfile(member).read()


def core_metadata(path: Path) -> bytes:
    return wheel_metadata_bytes(path) if path.name.endswith(".whl") else sdist_pkg_info_bytes(path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def upload_fields(path: Path, data: bytes | None = None) -> list[tuple[str, str]]:
    """The form fields twine sends: core metadata read from `path`, digests of `data` (default: the file)."""
    data = path.read_bytes() if data is None else data
    meta = BytesParser().parsebytes(core_metadata(path))
    is_wheel = path.name.endswith(".whl")
    fields = [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("metadata_version", meta.get("Metadata-Version", "2.1")),
        ("name", meta.get("Name", "")),
        ("version", meta.get("Version", "")),
        ("filetype", "bdist_wheel" if is_wheel else "sdist"),
        ("pyversion", path.name.split("-")[-3] if is_wheel else "source"),
        ("summary", meta.get("Summary", "")),
        ("sha256_digest", hashlib.sha256(data).hexdigest()),
        ("blake2_256_digest", hashlib.blake2b(data, digest_size=32).hexdigest()),
        ("md5_digest", hashlib.md5(data).hexdigest()),
    ]
    if meta.get("Requires-Python"):
        fields.append(("requires_python", meta["Requires-Python"]))
    for req in meta.get_all("Requires-Dist") or []:
        fields.append(("requires_dist", req))
    return fields


# -- hand-made wheels -----------------------------------------------------------

def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def metadata_text(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: hand-made test wheel\n"


def make_wheel(path: Path, name: str, version: str, *, with_metadata: bool = True,
               payload: bytes = b"", compress: int = zipfile.ZIP_DEFLATED) -> Path:
    """A small wheel written with zipfile; `with_metadata=False` leaves out METADATA."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"",
        f"{name}/payload.bin": payload,
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: wheelhouse-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if with_metadata:
        files[f"{dist_info}/METADATA"] = metadata_text(name, version).encode()
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in files.items()) + f"{dist_info}/RECORD,,\n"
    files[f"{dist_info}/RECORD"] = record.encode()
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        for n, d in files.items():
            z.writestr(n, d)
    return path


def make_big_wheel(path: Path, name: str, version: str, payload_size: int) -> Path:
    """A wheel whose first entry is `payload_size` zero bytes, stored (not compressed).

    Written in 8 MiB chunks, so the test process never holds the payload in memory;
    ZIP64 is forced because the entry passes 2 GiB. METADATA, WHEEL and RECORD come
    last, as in wheels built by the usual tools.
    """
    chunk = bytes(8 << 20)
    dist_info = f"{name}-{version}.dist-info"
    h = hashlib.sha256()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        info = zipfile.ZipInfo(f"{name}/zeros.bin", date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        with z.open(info, "w", force_zip64=True) as entry:
            left = payload_size
            while left:
                piece = chunk if left >= len(chunk) else chunk[:left]
                entry.write(piece)
                h.update(piece)
                left -= len(piece)
        small = {
            f"{name}/__init__.py": b"",
            f"{dist_info}/METADATA": metadata_text(name, version).encode(),
            f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: wheelhouse-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        }
        for n, d in small.items():
            z.writestr(n, d)
        digest = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
        record = f"{name}/zeros.bin,sha256={digest},{payload_size}\n"
        record += "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in small.items())
        record += f"{dist_info}/RECORD,,\n"
        z.writestr(f"{dist_info}/RECORD", record)
    return path


def with_zip_comment(src: Path, dest: Path, comment: bytes) -> Path:
    """The same wheel under the same name, but other bytes (a different zip comment)."""
    dest.write_bytes(src.read_bytes())
    with zipfile.ZipFile(dest, "a") as z:
        z.comment = comment
    return dest


def fresh_copy(src: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    dest.write_bytes(src.read_bytes())
    return dest


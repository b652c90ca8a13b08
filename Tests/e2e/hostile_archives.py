"""Hand-crafted hostile distribution archives: each one crashed, hung or exhausted the server before
issue 12's fixes. Written byte by byte (a tiny zip and tar writer), since the standard library's
writers refuse to produce most of them."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

from whpackages import metadata_text

U64_MAX = 2**64 - 1


def _zip(entries: list[tuple[str, bytes]], *, cd_extra: dict[str, bytes] | None = None,
         cd_offsets: dict[str, int] | None = None, zip64_eocd_offset: int | None = None) -> bytes:
    """Stored entries; `cd_extra` adds extra fields to central entries, `cd_offsets` replaces their
    32-bit local-header offset; `zip64_eocd_offset` adds a ZIP64 end record with that directory offset."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        crc = zlib.crc32(data)
        offset = len(out)
        raw = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(raw), 0) + raw + data
        extra = (cd_extra or {}).get(name, b"")
        local = (cd_offsets or {}).get(name, offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, len(data), len(data),
                               len(raw), len(extra), 0, 0, 0, 0, local) + raw + extra
    cd_offset = len(out)
    out += central
    if zip64_eocd_offset is not None:
        record_at = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries), len(central),
                           zip64_eocd_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, record_at, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def _wheel_entries(name: str, version: str) -> list[tuple[str, bytes]]:
    info = f"{name}-{version}.dist-info"
    return [
        (f"{name}/__init__.py", b""),
        (f"{info}/METADATA", metadata_text(name, version).encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]


def zip64_local_offset_wheel(dest: Path, name: str, version: str = "1.0") -> Path:
    """METADATA's central entry says its local header is at 2^64-1 (ZIP64 extra field)."""
    entries = _wheel_entries(name, version)
    meta = entries[1][0]
    dest.write_bytes(_zip(entries, cd_extra={meta: struct.pack("<HHQ", 1, 8, U64_MAX)},
                          cd_offsets={meta: 0xFFFFFFFF}))
    return dest


def zip64_sizes_wheel(dest: Path, name: str, version: str = "1.0") -> Path:
    """METADATA's ZIP64 extra field claims 2^64-1 bytes, compressed and uncompressed."""
    entries = _wheel_entries(name, version)
    data = _zip(entries, cd_extra={entries[1][0]: struct.pack("<HHQQ", 1, 16, U64_MAX, U64_MAX)})
    # Point the 32-bit size fields of that central entry at the ZIP64 values.
    raw = entries[1][0].encode()
    at = data.index(raw, data.index(raw) + len(raw)) - 46  # the central entry's fixed part precedes its name
    assert data[at:at + 4] == struct.pack("<I", 0x02014B50)
    patched = bytearray(data)
    patched[at + 20:at + 28] = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)
    dest.write_bytes(bytes(patched))
    return dest


def zip64_eocd_wheel(dest: Path, name: str, version: str = "1.0") -> Path:
    """A ZIP64 end-of-central-directory record whose directory offset is 2^64-1."""
    dest.write_bytes(_zip(_wheel_entries(name, version), zip64_eocd_offset=U64_MAX))
    return dest


def no_eocd_wheel(dest: Path, size: int = 48 << 20) -> Path:
    """Bytes with no end-of-central-directory record anywhere (a backwards scan reads all of them)."""
    block = bytes(range(256)) * 4096  # 1 MiB without the EOCD signature
    with open(dest, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
    return dest


def many_dist_info_wheel(dest: Path, name: str, version: str = "1.0", count: int = 30_000) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as z:
        for i in range(count):
            z.writestr(f"d{i}-{i}.dist-info/RECORD", b"")
        for entry, data in _wheel_entries(name, version):
            z.writestr(entry, data)
    return dest


def _tar_header(name: str, size_field: bytes, typeflag: bytes) -> bytes:
    header = bytearray(512)
    header[0:len(name)] = name.encode()
    header[100:108] = b"0000644\0"
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = size_field
    header[136:148] = b"00000000000\0"
    header[148:156] = b" " * 8
    header[156:157] = typeflag
    header[257:263] = b"ustar\0"
    header[263:265] = b"00"
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


def pax_size_sdist(dest: Path, name: str, version: str = "1.0") -> Path:
    """A pax header saying the next member has 2^63-1 bytes."""
    record = b" size=9223372036854775807\n"
    record = str(len(record) + 2).encode() + record
    tar = _tar_header("PaxHeader", b"%011o\0" % len(record), b"x") + _pad(record)
    pkg_info = metadata_text(name, version).encode()
    tar += _tar_header(f"{name}-{version}/PKG-INFO", b"%011o\0" % len(pkg_info), b"0") + _pad(pkg_info)
    dest.write_bytes(gzip.compress(tar + b"\0" * 1024))
    return dest


def base256_size_sdist(dest: Path, name: str, version: str = "1.0") -> Path:
    """A GNU base-256 size field just under 2^63: rounding it up to whole blocks overflows."""
    size = b"\x80\0\0\0" + (2**63 - 257).to_bytes(8, "big")
    tar = _tar_header(f"{name}-{version}/setup.py", size, b"0") + b"\0" * 512
    dest.write_bytes(gzip.compress(tar))
    return dest


def gzip_bomb_sdist(dest: Path, name: str, version: str = "1.0", inflated: int = 1 << 30) -> Path:
    """A tar.gz whose first member is `inflated` zero bytes (about 1 MiB compressed per GiB), PKG-INFO after it."""
    with open(dest, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo(f"{name}-{version}/zeros.bin")
        info.size = inflated
        tar.addfile(info, _Zeros(inflated))
        pkg_info = metadata_text(name, version).encode()
        info = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return dest


class _Zeros(io.RawIOBase):
    def __init__(self, size: int):
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)

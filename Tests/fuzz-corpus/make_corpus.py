#!/usr/bin/env python3
"""Writes the seed corpus of wheelhouse-fuzz and the crash inputs of issue 12 (deterministic).

Run from anywhere: python3 Tests/fuzz-corpus/make_corpus.py. The files are checked in; the Swift
tests in Tests/PythonPackagingTests read the crash-* ones, the fuzzer reads them all.
"""
import gzip
import io
import os
import struct
import tarfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
METADATA = (
    b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nSummary: A seed\n"
    b"Requires-Dist: bar (>=1.0); python_version >= \"3.8\"\nRequires-Python: >=3.8\n"
    b"Classifier: Programming Language :: Python :: 3\n\n# foo\n\nA description.\n"
)
PKG_INFO = b"Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nDynamic: Requires-Dist\n"
WHEEL = b"Wheel-Version: 1.0\nGenerator: seed\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
MODULE = b"def answer():\n    return 42\n" * 20


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as output:
        output.write(data)


# Real archives, made by Python's own zipfile and tarfile.

def wheel(compression, force_zip64=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in [
            ("foo/__init__.py", MODULE),
            ("foo-1.0.dist-info/METADATA", METADATA),
            ("foo-1.0.dist-info/WHEEL", WHEEL),
            ("foo-1.0.dist-info/RECORD", b""),
        ]:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = compression
            with archive.open(info, "w", force_zip64=force_zip64) as member:
                member.write(data)
    return buffer.getvalue()


def sdist_tar(format):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=format) as archive:
        for name, data in [
            ("foo-1.0/setup.py", b"from setuptools import setup\nsetup()\n"),
            ("foo-1.0/foo/__init__.py", MODULE),
            ("foo-1.0/PKG-INFO", PKG_INFO),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sdist_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("foo-1.0/setup.py", b"setup()\n"), ("foo-1.0/PKG-INFO", PKG_INFO)]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


# Hand-made zip records, for what zipfile refuses to write.

def local_header(name, method=0, flags=0, crc=0, csize=0, usize=0, extra=b""):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x5021, crc, csize, usize, len(name), len(extra)) + name + extra


def central_record(name, offset, method=0, flags=0, crc=0, csize=0, usize=0, extra=b""):
    return struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, flags, method, 0, 0x5021, crc, csize, usize,
        len(name), len(extra), 0, 0, 0, 0o100644 << 16, offset,
    ) + name + extra


def end_record(count, size, offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, offset, 0)


def zip_of(entries, zip64_locator=None):
    """entries: (name, data, method, stored bytes, central overrides) → a zip file."""
    body, directory = b"", b""
    for name, data, method, stored, overrides in entries:
        crc = zlib.crc32(data)
        fields = dict(method=method, crc=crc, csize=len(stored), usize=len(data))
        offset = len(body)
        body += local_header(name, **fields) + stored
        fields.update(overrides)
        directory += central_record(name, fields.pop("offset", offset), **fields)
    tail = b""
    if zip64_locator is not None:
        tail = struct.pack("<IIQI", 0x07064B50, 0, zip64_locator, 1)
    return body + directory + tail + end_record(len(entries), len(directory), len(body))


def zip64_extra(*values):
    return struct.pack("<HH", 1, 8 * len(values)) + b"".join(struct.pack("<Q", value) for value in values)


def raw_deflate(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


META = b"foo-1.0.dist-info/METADATA"
MAX64 = 2**64 - 1


# Hand-made tar headers.

def tar_header(name, size_field, type=b"0"):
    header = bytearray(512)
    header[0:len(name)] = name
    header[100:108] = b"0000644\0"
    header[108:116] = b"0000000\0"
    header[116:124] = b"0000000\0"
    header[124:136] = size_field
    header[136:148] = b"00000000000\0"
    header[156:157] = type
    header[257:265] = b"ustar\x0000"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def octal_size(size):
    return b"%011o\0" % size


def pax(records):
    data = b""
    for key, value in records:
        record = b" %s=%s\n" % (key, value)
        length = len(record) + 1
        while len(str(length)) + len(record) != length:
            length = len(str(length)) + len(record)
        data += str(length).encode() + record
    return data


def padded(data):
    return data + b"\0" * (-len(data) % 512)


def tar_member(name, data):
    return tar_header(name, octal_size(len(data))) + padded(data)


def main():
    write("wheel", "foo-1.0-deflated.whl", wheel(zipfile.ZIP_DEFLATED))
    write("wheel", "foo-1.0-stored.whl", wheel(zipfile.ZIP_STORED))
    write("wheel", "foo-1.0-zip64.whl", wheel(zipfile.ZIP_DEFLATED, force_zip64=True))
    write("sdist", "foo-1.0-gnu.tar.gz", gz(sdist_tar(tarfile.GNU_FORMAT)))
    write("sdist", "foo-1.0-pax.tar.gz", gz(sdist_tar(tarfile.PAX_FORMAT)))
    write("sdist", "foo-1.0-ustar.tar", sdist_tar(tarfile.USTAR_FORMAT))
    write("sdist", "foo-1.0.zip", sdist_zip())

    # Issue 12, section 1: each of these trapped the server before.
    write("wheel", "crash-zip64-local-offset.whl", zip_of([
        (META, METADATA, 0, METADATA, dict(offset=0xFFFFFFFF, extra=zip64_extra(MAX64))),
    ]))
    write("wheel", "crash-zip64-end-offset.whl", zip_of([(META, METADATA, 0, METADATA, {})], zip64_locator=MAX64))
    write("wheel", "crash-data-descriptor-size.whl", zip_of([
        (META, METADATA, 0, METADATA + struct.pack("<IIQQ", 0x08074B50, zlib.crc32(METADATA), MAX64, MAX64),
         dict(flags=8, csize=0xFFFFFFFF, usize=0xFFFFFFFF, extra=zip64_extra(MAX64, 2**63 + 1))),
    ]))
    # Bounds: a ZIP64 end record claiming 2^40 entries, and a central directory past the end.
    valid = zip_of([(META, METADATA, 0, METADATA, {})])
    directory_end = len(valid) - 22
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 2**40, 2**40, 0, 0)
    write("wheel", "hostile-zip64-entry-count.whl", valid[:directory_end] + record
          + struct.pack("<IIQI", 0x07064B50, 0, directory_end, 1) + end_record(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
    write("wheel", "hostile-directory-past-end.whl", valid[:directory_end] + end_record(1, 0x100, 0xFFFFFF00))
    # Section 4: a deflate entry that inflates past the size it declares.
    write("wheel", "crash-inflates-past-declared.whl", zip_of([
        (META, METADATA * 20, 8, raw_deflate(METADATA * 20), dict(usize=len(METADATA))),
    ]))
    big = tar_member(b"foo-1.0/setup.py", b"setup()\n")
    pkg = tar_member(b"foo-1.0/PKG-INFO", PKG_INFO)
    pax_size = pax([(b"size", b"9223372036854775807")])
    pax_tar = tar_header(b"././@PaxHeader", octal_size(len(pax_size)), b"x") + padded(pax_size) + big + pkg
    base256 = b"\x80\x00\x00\x00" + (2**63 - 257).to_bytes(8, "big")  # + 511 to round up: past 2^63
    base256_tar = tar_header(b"foo-1.0/big.bin", base256) + pkg
    # A record whose length, added to the offset of the record before it, overflows.
    length_record = pax([(b"comment", b"x")]) + b"9223372036854775807 path=foo-1.0/PKG-INFO\n"
    length_tar = tar_header(b"././@PaxHeader", octal_size(len(length_record)), b"x") + padded(length_record) + pkg
    for name, data in [("pax-size", pax_tar), ("base256-size", base256_tar), ("pax-record-length", length_tar)]:
        data += b"\0" * 1024
        write("sdist", "crash-%s.tar" % name, data)
        write("sdist", "crash-%s.tar.gz" % name, gz(data))

    write("metadata", "metadata-2.1.txt", METADATA)
    write("metadata", "pkg-info-2.2.txt", PKG_INFO)
    write("metadata", "metadata-folded.txt", (
        b"Metadata-Version: 1.2\r\nName: Foo.Bar\r\nVersion: 2.0rc1\r\nAuthor: A\r\n  continued\r\n"
        b"Project-URL: Home, https://example.invalid/\r\nKeywords: a,b\r\nDescription: line one\r\n"
        b"        |line two\r\n"
    ))
    write("multipart", "upload.bin", multipart([
        (b":action", None, b"file_upload"), (b"protocol_version", None, b"1"), (b"name", None, b"foo"),
        (b"version", None, b"1.0"), (b"filetype", None, b"bdist_wheel"), (b"pyversion", None, b"py3"),
        (b"metadata_version", None, b"2.1"), (b"sha256_digest", None, b"0" * 64),
        (b"classifiers", None, b"Programming Language :: Python :: 3"),
        (b"content", b"foo-1.0-py3-none-any.whl", wheel(zipfile.ZIP_STORED)[:600]),
    ]))
    write("multipart", "small.bin", multipart([(b"name", None, b"foo"), (b"content", b"x.whl", b"\r\n--not-it\r\n")]))


BOUNDARY = b"wheelhouse-fuzz-boundary"


def multipart(parts):
    body = b""
    for name, filename, data in parts:
        body += b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"" + name + b"\""
        if filename is not None:
            body += b"; filename=\"" + filename + b"\"\r\nContent-Type: application/octet-stream"
        body += b"\r\n\r\n" + data + b"\r\n"
    return body + b"--" + BOUNDARY + b"--\r\n"


if __name__ == "__main__":
    main()

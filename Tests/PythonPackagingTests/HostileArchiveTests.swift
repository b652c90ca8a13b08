import Foundation
import Testing
@testable import PythonPackaging

/// The hostile archives of issue 12. Each crashed the process before (an arithmetic trap in the
/// tar reader or in ZIPFoundation), took seconds, or inflated without bound; each must now end
/// in a ``PackagingError``. The small ones are checked in under `Tests/fuzz-corpus` (written by
/// its `make_corpus.py`), where the fuzzer uses them as seeds too; the large ones are made here.
@Suite("Hostile archives")
struct HostileArchiveTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz-corpus")

    static func corpusFile(_ folder: String, _ name: String) -> String {
        corpus.appendingPathComponent(folder).appendingPathComponent(name).path
    }

    private func expectError(
        _ code: PackagingError.Code,
        containing text: String,
        _ body: () throws -> [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try body()
            Issue.record("expected a \(code) error", sourceLocation: sourceLocation)
        } catch let error as PackagingError {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    private func wheel(_ path: String) throws -> [UInt8] {
        try DistributionArchive.coreMetadata(atPath: path, filename: DistributionFilename("foo-1.0-py3-none-any.whl"))
    }

    private func sdist(_ path: String, _ name: String) throws -> [UInt8] {
        try DistributionArchive.coreMetadata(atPath: path, filename: DistributionFilename(name))
    }

    // MARK: Section 1: traps

    @Test("zip records whose offsets or sizes overflow are refused", arguments: [
        ("crash-zip64-local-offset.whl", "points outside the archive"),
        ("crash-zip64-end-offset.whl", "ZIP64 end-of-central-directory record lies outside"),
        ("crash-data-descriptor-size.whl", "points outside the archive"),
        ("hostile-zip64-entry-count.whl", "more than 200000 entries"),
        ("hostile-directory-past-end.whl", "central directory lies outside"),
    ])
    func zipOverflow(name: String, message: String) {
        expectError(.invalidArchive, containing: message) { try wheel(Self.corpusFile("wheel", name)) }
    }

    @Test("tar sizes near 2^63 (pax size=, GNU base-256) are refused", arguments: [
        "crash-pax-size.tar", "crash-pax-size.tar.gz", "crash-base256-size.tar", "crash-base256-size.tar.gz",
    ])
    func tarSizeOverflow(name: String) {
        let filename = name.hasSuffix(".gz") ? "foo-1.0.tar.gz" : "foo-1.0.tar"
        expectError(.invalidArchive, containing: "invalid size") { try sdist(Self.corpusFile("sdist", name), filename) }
    }

    @Test("a pax record length near 2^63 ends the pax header instead of trapping", arguments: [
        "crash-pax-record-length.tar", "crash-pax-record-length.tar.gz",
    ])
    func paxRecordLengthOverflow(name: String) throws {
        let filename = name.hasSuffix(".gz") ? "foo-1.0.tar.gz" : "foo-1.0.tar"
        let metadata = try sdist(Self.corpusFile("sdist", name), filename)
        #expect(metadata.starts(with: Array("Metadata-Version: 2.2".utf8)))
    }

    // MARK: Section 4: unbounded work

    @Test("a 48 MiB file without an end-of-central-directory record is refused after reading 64 KiB")
    func noEndRecord() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.write("foo-1.0-py3-none-any.whl", ArchiveFixtures.noise(count: 4096))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 48 << 20)  // sparse: 48 MiB of zeros after the noise
        try handle.close()
        expectError(.invalidArchive, containing: "no end-of-central-directory record") { try wheel(path) }
    }

    @Test("30,000 .dist-info directories with dash-laden names are checked in linear time")
    func manyDistInfoDirectories() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.python("foo-1.0-py3-none-any.whl", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as archive:
                for index in range(30000):
                    archive.writestr("foo-" + "x-" * 100 + "%d.dist-info/RECORD" % index, b"")
            """)
        expectError(.missingMetadata, containing: "and 29990 more") { try wheel(path) }
    }

    @Test("the sdist scan bound grows with the file (large hatchling sdists end with PKG-INFO), without overflow")
    func sdistScanLimit() {
        #expect(DistributionArchive.sdistScanLimit(fileSize: 1 << 20) == 256 << 20)
        #expect(DistributionArchive.sdistScanLimit(fileSize: 100 << 20) == 3200 << 20)
        #expect(DistributionArchive.sdistScanLimit(fileSize: Int.max) == Int.max)
        #expect(DistributionArchive.sdistScanLimit(fileSize: -1) == 256 << 20)
    }

    @Test("a tar.gz that inflates past 256 MiB without a PKG-INFO is refused at the bound")
    func gzipBomb() throws {
        let fixtures = try ArchiveFixtures()
        // One gzip member: a tar header announcing 1 GiB, then the same fully flushed deflate
        // block of 1 MiB of zeros 300 times (the trailer is never reached).
        let path = try fixtures.python("foo-1.0.tar.gz", """
            import sys, tarfile, zlib
            info = tarfile.TarInfo("foo-1.0/zeros.bin")
            info.size = 1 << 30
            compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
            head = compressor.compress(info.tobuf(format=tarfile.GNU_FORMAT)) + compressor.flush(zlib.Z_FULL_FLUSH)
            block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
            with open(sys.argv[1], "wb") as output:
                output.write(head + block * 300)
            """)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 < 1 << 20)
        expectError(.invalidArchive, containing: "256 MiB") { try sdist(path, "foo-1.0.tar.gz") }
    }

    @Test("a deflate entry that inflates past its declared size is refused")
    func inflatesPastDeclaredSize() {
        expectError(.invalidArchive, containing: "more bytes than it declares") {
            try wheel(Self.corpusFile("wheel", "crash-inflates-past-declared.whl"))
        }
    }

    @Test("a stored entry whose bytes do not match its CRC-32 is refused")
    func crcMismatch() throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.corpusFile("wheel", "foo-1.0-stored.whl"))))
        let summary = Array("A seed".utf8)
        let index = try #require(bytes.indices.first { bytes[$0...].starts(with: summary) })
        bytes[index] = UInt8(ascii: "B")
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.write("foo-1.0-py3-none-any.whl", bytes)
        expectError(.invalidArchive, containing: "CRC-32") { try wheel(path) }
    }

    // MARK: The seeds are real archives

    @Test("the seed wheels and sdists are read", arguments: [
        ("wheel/foo-1.0-deflated.whl", "foo-1.0-py3-none-any.whl"),
        ("wheel/foo-1.0-stored.whl", "foo-1.0-py3-none-any.whl"),
        ("wheel/foo-1.0-zip64.whl", "foo-1.0-py3-none-any.whl"),
        ("sdist/foo-1.0-gnu.tar.gz", "foo-1.0.tar.gz"),
        ("sdist/foo-1.0-pax.tar.gz", "foo-1.0.tar.gz"),
        ("sdist/foo-1.0-ustar.tar", "foo-1.0.tar"),
        ("sdist/foo-1.0.zip", "foo-1.0.zip"),
    ])
    func seeds(file: String, name: String) throws {
        let path = Self.corpus.appendingPathComponent(file).path
        let metadata = try DistributionArchive.coreMetadata(atPath: path, filename: DistributionFilename(name))
        #expect(metadata.starts(with: Array("Metadata-Version: ".utf8)))
    }
}

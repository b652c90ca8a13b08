import Testing
@testable import PythonPackaging

@Suite("DistributionArchive")
struct DistributionArchiveTests {
    /// Metadata with CRLF, non-ASCII text and a trailing body, to check bytes come back untouched.
    static let metadata: [UInt8] = Array("Metadata-Version: 2.1\r\nName: foo-bar\r\nVersion: 1.0\r\nSummary: Ünïcödé ✓\r\n\r\n# Readme\r\n".utf8)
    static let pkgInfo: [UInt8] = Array("Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nDynamic: Requires-Dist\n".utf8)
    static let decoy: [UInt8] = Array("Metadata-Version: 1.0\nName: decoy\n".utf8)
    static let noise = ArchiveFixtures.noise(count: 300_000)

    private func expectError(_ code: PackagingError.Code, containing text: String? = nil, _ body: () throws -> [UInt8]) {
        do {
            _ = try body()
            Issue.record("expected a \(code) error")
        } catch let error as PackagingError {
            #expect(error.code == code, "\(error.message)")
            if let text {
                #expect(error.message.contains(text), "\(error.message)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    // MARK: Wheels

    @Test("reads METADATA from the matching .dist-info directory of a wheel")
    func wheel() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo_bar-1.0-py3-none-any.whl", [
            ("foo_bar/__init__.py", Self.noise),
            ("foo_bar/METADATA", Self.decoy),
            ("foo_bar-1.0.dist-info/WHEEL", Array("Wheel-Version: 1.0\n".utf8)),
            ("foo_bar-1.0.dist-info/METADATA", Self.metadata),
            ("foo_bar-1.0.dist-info/RECORD", []),
        ])
        let filename = try DistributionFilename("foo_bar-1.0-py3-none-any.whl")
        #expect(try DistributionArchive.coreMetadata(atPath: path, filename: filename) == Self.metadata)
    }

    @Test("matches the .dist-info directory after normalizing name and version")
    func wheelNormalizedDistInfo() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("Foo.Bar-1.0-py3-none-any.whl", [
            ("other-1.0.dist-info/METADATA", Self.decoy),
            ("foo_bar-1.0.0.dist-info/METADATA", Self.metadata),
        ])
        let filename = try DistributionFilename("Foo.Bar-1.0-py3-none-any.whl")
        #expect(try DistributionArchive.coreMetadata(atPath: path, filename: filename) == Self.metadata)
    }

    @Test("a wheel without METADATA is missing metadata")
    func wheelWithoutMetadata() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0-py3-none-any.whl", [
            ("foo/__init__.py", []),
            ("foo-1.0.dist-info/WHEEL", Array("Wheel-Version: 1.0\n".utf8)),
            ("foo-1.0.dist-info/nested/METADATA", Self.decoy),
        ])
        let filename = try DistributionFilename("foo-1.0-py3-none-any.whl")
        expectError(.missingMetadata, containing: "foo-1.0.dist-info/METADATA") {
            try DistributionArchive.coreMetadata(atPath: path, filename: filename)
        }
    }

    @Test("a wheel without a matching .dist-info directory is missing metadata")
    func wheelWithoutDistInfo() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0-py3-none-any.whl", [
            ("foo/__init__.py", []),
            ("bar-1.0.dist-info/METADATA", Self.decoy),
            ("foo-2.0.dist-info/METADATA", Self.decoy),
        ])
        let filename = try DistributionFilename("foo-1.0-py3-none-any.whl")
        expectError(.missingMetadata, containing: "no .dist-info directory") {
            try DistributionArchive.coreMetadata(atPath: path, filename: filename)
        }
    }

    @Test("two matching .dist-info directories are ambiguous")
    func wheelAmbiguous() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0-py3-none-any.whl", [
            ("foo-1.0.dist-info/METADATA", Self.metadata),
            ("Foo-1.0.0.dist-info/METADATA", Self.decoy),
        ])
        let filename = try DistributionFilename("foo-1.0-py3-none-any.whl")
        expectError(.invalidArchive, containing: "several") {
            try DistributionArchive.coreMetadata(atPath: path, filename: filename)
        }
    }

    @Test("a file that is not a zip is not a valid wheel")
    func notAZip() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.write("foo-1.0-py3-none-any.whl", Array("this is not a zip file at all".utf8))
        let filename = try DistributionFilename("foo-1.0-py3-none-any.whl")
        expectError(.invalidArchive, containing: "not a valid wheel (zip) archive") {
            try DistributionArchive.coreMetadata(atPath: path, filename: filename)
        }
    }

    @Test("a METADATA file over 16 MiB is refused")
    func wheelMetadataTooLarge() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0-py3-none-any.whl", [
            ("foo-1.0.dist-info/METADATA", [UInt8](repeating: 0x41, count: DistributionArchive.maximumMetadataSize + 1)),
        ])
        let filename = try DistributionFilename("foo-1.0-py3-none-any.whl")
        expectError(.invalidArchive, containing: "16 MiB") {
            try DistributionArchive.coreMetadata(atPath: path, filename: filename)
        }
    }

    @Test("a missing archive file is reported, not crashed on", arguments: ["foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"])
    func missingFile(name: String) throws {
        let fixtures = try ArchiveFixtures()
        let filename = try DistributionFilename(name)
        expectError(.invalidArchive, containing: "does not exist") {
            try DistributionArchive.coreMetadata(atPath: fixtures.path(name), filename: filename)
        }
    }
}

/// A METADATA larger than one 64 KiB inflate chunk whose deflate stream ends inside a long match
/// that crosses the chunk boundary: zlib has read all the input but still holds output.
@Suite("DistributionArchive large METADATA")
struct LargeMetadataTests {
    @Test func inflatesToTheEndWhateverTheAlignment() throws {
        let fixtures = try ArchiveFixtures()
        let filename = try DistributionFilename("big-1.0-py3-none-any.whl")
        let head = Array("Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n".utf8)
        let hex = ArchiveFixtures.noise(count: 40_000).flatMap { Array(String($0, radix: 16).utf8) }
        for total in stride(from: 65_536 - 260, through: 65_536 + 260, by: 13) {
            let body = Array(hex.prefix(total - head.count - 258))
            let metadata = head + body + [UInt8](repeating: UInt8(ascii: "="), count: 258)
            let path = try fixtures.zip("m\(total)/big-1.0-py3-none-any.whl", [("big-1.0.dist-info/METADATA", metadata)])
            #expect(try DistributionArchive.coreMetadata(atPath: path, filename: filename) == metadata, "METADATA of \(total) bytes")
        }
    }
}

import Testing
@testable import PythonPackaging

@Suite("DistributionArchive (sdists and eggs)")
struct DistributionArchiveSdistTests {
    typealias Shared = DistributionArchiveTests

    private func metadata(_ path: String, _ name: String) throws -> [UInt8] {
        try DistributionArchive.coreMetadata(atPath: path, filename: DistributionFilename(name))
    }

    private func expectError(_ code: PackagingError.Code, containing text: String, _ body: () throws -> [UInt8]) {
        do {
            _ = try body()
            Issue.record("expected a \(code) error")
        } catch let error as PackagingError {
            #expect(error.code == code, "\(error.message)")
            #expect(error.message.contains(text), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// Noise first (several 64 KiB chunks), then a PKG-INFO too deep to count, then the real one.
    static let members: [(String, [UInt8])] = [
        ("foo-1.0/src/big.bin", Shared.noise),
        ("foo-1.0/foo.egg-info/PKG-INFO", Shared.decoy),
        ("foo-1.0/PKG-INFO", Shared.pkgInfo),
        ("foo-1.0/setup.py", Array("from setuptools import setup\nsetup()\n".utf8)),
    ]

    @Test("streams PKG-INFO out of a .tar.gz sdist", arguments: ["gnu", "pax", "ustar"])
    func tarGz(format: String) throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.tar("foo-1.0.tar.gz", format: format, Self.members)
        #expect(try metadata(path, "foo-1.0.tar.gz") == Shared.pkgInfo)
    }

    @Test("reads .tgz, uncompressed .tar and concatenated gzip members")
    func otherTarForms() throws {
        let fixtures = try ArchiveFixtures()
        #expect(try metadata(fixtures.tar("foo-1.0.tgz", Self.members), "foo-1.0.tgz") == Shared.pkgInfo)
        #expect(try metadata(fixtures.tar("foo-1.0.tar", compression: "none", Self.members), "foo-1.0.tar") == Shared.pkgInfo)
        let split = try fixtures.tar("split/foo-1.0.tar.gz", compression: "gz-two-members", Self.members)
        #expect(try metadata(split, "foo-1.0.tar.gz") == Shared.pkgInfo)
    }

    @Test("follows long paths: GNU ././@LongLink, pax path= and the ustar prefix", arguments: ["gnu", "pax", "ustar"])
    func longPath(format: String) throws {
        let fixtures = try ArchiveFixtures()
        let top = "foo-1.0-" + String(repeating: "d", count: format == "ustar" ? 140 : 220)
        let path = try fixtures.tar("foo-1.0.tar.gz", format: format, [
            ("\(top)/" + String(repeating: "x", count: format == "ustar" ? 90 : 120) + ".txt", Shared.noise),
            ("\(top)/PKG-INFO", Shared.pkgInfo),
        ])
        #expect(try metadata(path, "foo-1.0.tar.gz") == Shared.pkgInfo)
    }

    @Test("an sdist without PKG-INFO at depth one is missing metadata")
    func tarWithoutPKGInfo() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.tar("foo-1.0.tar.gz", [
            ("foo-1.0/setup.py", []),
            ("foo-1.0/foo.egg-info/PKG-INFO", Shared.decoy),
            ("PKG-INFO", Shared.decoy),
        ])
        expectError(.missingMetadata, containing: "PKG-INFO") { try metadata(path, "foo-1.0.tar.gz") }
    }

    @Test("a file that is not gzip is not a valid sdist")
    func notGzip() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.write("foo-1.0.tar.gz", Array("definitely not gzip".utf8))
        expectError(.invalidArchive, containing: "not a valid sdist (tar.gz) archive") { try metadata(path, "foo-1.0.tar.gz") }
    }

    @Test("data that is not a tar is not a valid sdist")
    func notTar() throws {
        let fixtures = try ArchiveFixtures()
        let text = Array(String(repeating: "hello world\n", count: 100).utf8)
        expectError(.invalidArchive, containing: "not a valid sdist (tar) archive") {
            try metadata(fixtures.write("foo-1.0.tar", text), "foo-1.0.tar")
        }
    }

    @Test("a truncated .tar.gz is not a valid sdist")
    func truncated() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.tar("foo-1.0.tar.gz", compression: "gz-truncated", [
            ("foo-1.0/src/big.bin", Shared.noise),
            ("foo-1.0/PKG-INFO", Shared.pkgInfo),
        ])
        expectError(.invalidArchive, containing: "not a valid sdist (tar.gz) archive") { try metadata(path, "foo-1.0.tar.gz") }
    }

    @Test("a PKG-INFO over 16 MiB is refused without being read")
    func tooLarge() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.tar("foo-1.0.tar.gz", [
            ("foo-1.0/PKG-INFO", [UInt8](repeating: 0x41, count: DistributionArchive.maximumMetadataSize + 1)),
        ])
        expectError(.invalidArchive, containing: "16 MiB") { try metadata(path, "foo-1.0.tar.gz") }
    }

    @Test("reads PKG-INFO from a .zip sdist")
    func zipSdist() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0.zip", Self.members)
        #expect(try metadata(path, "foo-1.0.zip") == Shared.pkgInfo)
        let empty = try fixtures.zip("empty/foo-1.0.zip", [("foo-1.0/setup.py", [])])
        expectError(.missingMetadata, containing: "PKG-INFO") { try metadata(empty, "foo-1.0.zip") }
    }

    @Test("reads EGG-INFO/PKG-INFO from an egg")
    func egg() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.zip("foo-1.0-py3.11.egg", [("foo/__init__.py", []), ("EGG-INFO/PKG-INFO", Shared.pkgInfo)])
        #expect(try metadata(path, "foo-1.0-py3.11.egg") == Shared.pkgInfo)
    }

    @Test("formats metadata cannot be read from are refused")
    func unsupported() throws {
        let fixtures = try ArchiveFixtures()
        let path = try fixtures.write("foo-1.0.tar.bz2", [0x42, 0x5A, 0x68])
        expectError(.invalidArchive, containing: "not supported") { try metadata(path, "foo-1.0.tar.bz2") }
    }
}

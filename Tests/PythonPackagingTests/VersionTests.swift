import Testing
@testable import PythonPackaging

/// Expected values were produced by Python's `packaging` 26.2 and pasted here.
enum VersionTable {
    static let normalization: [(input: String, normalized: String)] = [
        ("1.0", "1.0"),
        ("1.0.0", "1.0.0"),
        ("v1.0", "1.0"),
        ("V1.0", "1.0"),
        (" 1.0 ", "1.0"),
        ("\t1.0\n", "1.0"),
        ("1.0-1", "1.0.post1"),
        ("1.0-post1", "1.0.post1"),
        ("1.0.post", "1.0.post0"),
        ("1.0post1", "1.0.post1"),
        ("1.0.POST1", "1.0.post1"),
        ("1.0_post_1", "1.0.post1"),
        ("1.0r", "1.0.post0"),
        ("1.0rev2", "1.0.post2"),
        ("1.0-r3", "1.0.post3"),
        ("1.0a", "1.0a0"),
        ("1.0alpha", "1.0a0"),
        ("1.0ALPHA2", "1.0a2"),
        ("1.0-a.1", "1.0a1"),
        ("1.0_a_1", "1.0a1"),
        ("1.0b1", "1.0b1"),
        ("1.0beta2", "1.0b2"),
        ("1.0c3", "1.0rc3"),
        ("1.0pre4", "1.0rc4"),
        ("1.0preview5", "1.0rc5"),
        ("1.0rc", "1.0rc0"),
        ("1.0RC1", "1.0rc1"),
        ("1.0-rc.1", "1.0rc1"),
        ("1.0.dev", "1.0.dev0"),
        ("1.0dev", "1.0.dev0"),
        ("1.0-dev3", "1.0.dev3"),
        ("1.0_DEV4", "1.0.dev4"),
        ("1.0a1.dev2", "1.0a1.dev2"),
        ("1.0a1-post2-dev3", "1.0a1.post2.dev3"),
        ("1.0.post1.dev2", "1.0.post1.dev2"),
        ("1!2.0", "1!2.0"),
        ("01!02.03", "1!2.3"),
        ("1.0+ubuntu.1", "1.0+ubuntu.1"),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+ubuntu_1", "1.0+ubuntu.1"),
        ("1.0+01", "1.0+1"),
        ("1.0+abc.007", "1.0+abc.7"),
        ("2019.04.01", "2019.4.1"),
        ("0", "0"),
        ("00", "0"),
        ("0.0.0", "0.0.0"),
        ("1.2.3.4.5.6", "1.2.3.4.5.6"),
        ("1.0a1.post2.dev3+local.7", "1.0a1.post2.dev3+local.7"),
        ("v1!1.0RC2-5", "1!1.0rc2.post5"),
        ("1.0.a1", "1.0a1"),
        ("1.0-1.dev2", "1.0.post1.dev2"),
        ("1.0a.dev", "1.0a0.dev0"),
        ("1.0.r", "1.0.post0"),
    ]
    static let invalid: [String] = [
        "", " ", "1.0-", "1.0.", ".1.0", "1..0", "1.0+", "1.0+.a", "1.0+a..b", "1.0++a", "a1.0", "1.0x", "1.0 a1", "1,0", "1.0.dev1.dev2", "1.0a1a2", "1.0.post1.post2", "1!", "!1.0", "1!2!3", "vv1.0", "1.0+abc-", "1.0_", "1.0\u{200b}", "1.0\u{661}", "\u{661}.0", "1.0+\u{e9}", "1.0-1-1", "french toast",
    ]
    /// (version, isPrerelease, isPostRelease, isDevelopmentRelease, public, base)
    static let properties: [(String, Bool, Bool, Bool, String, String)] = [
        ("1.0", false, false, false, "1.0", "1.0"),
        ("1.0a1", true, false, false, "1.0a1", "1.0"),
        ("1.0.dev1", true, false, true, "1.0.dev1", "1.0"),
        ("1.0.post1", false, true, false, "1.0.post1", "1.0"),
        ("1.0.post1.dev1", true, true, true, "1.0.post1.dev1", "1.0"),
        ("1!2.0rc1.post3.dev4+ubuntu.1", true, true, true, "1!2.0rc1.post3.dev4", "1!2.0"),
        ("1.0+abc", false, false, false, "1.0", "1.0"),
        ("2.0b1+x", true, false, false, "2.0b1", "2.0"),
    ]
}

@Suite("Version parsing")
struct VersionTests {
    @Test("normalizes every PEP 440 spelling like packaging", arguments: VersionTable.normalization)
    func normalizes(input: String, normalized: String) throws {
        #expect(try Version(input).description == normalized)
    }

    @Test("rejects what packaging rejects", arguments: VersionTable.invalid)
    func rejects(input: String) {
        #expect(throws: PackagingError.self) { try Version(input) }
    }

    @Test("invalid versions throw invalidVersion with a message naming the input")
    func errorShape() {
        do {
            _ = try Version("1.0-")
            Issue.record("expected an error")
        } catch let error as PackagingError {
            #expect(error.code == .invalidVersion)
            #expect(error.message.contains("'1.0-'"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("exposes the flags and derived versions packaging does", arguments: VersionTable.properties)
    func properties(row: (String, Bool, Bool, Bool, String, String)) throws {
        let version = try Version(row.0)
        #expect(version.isPrerelease == row.1)
        #expect(version.isPostRelease == row.2)
        #expect(version.isDevelopmentRelease == row.3)
        #expect(version.publicVersion.description == row.4)
        #expect(version.baseVersion.description == row.5)
    }

    @Test("exposes the parsed components")
    func components() throws {
        let version = try Version("1!2.0.3RC4.post5.dev6+Ubuntu-007.b")
        #expect(version.epoch == 1)
        #expect(version.release == [2, 0, 3])
        #expect(version.pre == Version.PreRelease(kind: .releaseCandidate, number: 4))
        #expect(version.post == 5)
        #expect(version.dev == 6)
        #expect(version.local == [.string("ubuntu"), .number(7), .string("b")])
        #expect(version.localLabel == "ubuntu.7.b")
        #expect(try Version("1.0").local == nil)
        #expect(try Version("1.0-3").post == 3)
    }

    @Test("the memberwise initializer builds the same value as parsing")
    func memberwise() throws {
        let built = Version(epoch: 0, release: [1, 0], pre: .init(kind: .beta, number: 2), post: nil, dev: 1, local: [.string("x")])
        #expect(built == (try Version("1.0b2.dev1+x")))
        #expect(built.description == "1.0b2.dev1+x")
    }

    @Test("numbers that do not fit in Int are rejected rather than wrapped")
    func overflow() throws {
        #expect(throws: PackagingError.self) { try Version("99999999999999999999") }
        #expect(try Version("9223372036854775807").release == [Int.max])
    }
}

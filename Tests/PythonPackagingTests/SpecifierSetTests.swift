import Testing
@testable import PythonPackaging

/// Expected values were produced by Python's `packaging` 26.2 (`SpecifierSet`) and pasted here.
enum SpecifierSetTable {
    /// (specifier set, candidate string, prereleases, expected)
    static let contains: [(String, String, Bool?, Bool)] = [
        ("", "1.0", nil, true),
        ("", "1.0", true, true),
        ("", "1.0", false, true),
        ("", "1.0a1", nil, true),
        ("", "1.0a1", true, true),
        ("", "1.0a1", false, false),
        ("", "lolwat", nil, true),
        ("", "lolwat", true, true),
        ("", "lolwat", false, true),
        (">=1.0", "2.0a1", nil, true),
        (">=1.0", "2.0a1", true, true),
        (">=1.0", "2.0a1", false, false),
        (">=1.0", "2.0", nil, true),
        (">=1.0", "2.0", true, true),
        (">=1.0", "2.0", false, true),
        (">=1.0a1", "2.0a1", nil, true),
        (">=1.0a1", "2.0a1", true, true),
        (">=1.0a1", "2.0a1", false, false),
        (">=1.0,<2.0", "1.5", nil, true),
        (">=1.0,<2.0", "1.5", true, true),
        (">=1.0,<2.0", "1.5", false, true),
        (">=1.0,<2.0", "2.0", nil, false),
        (">=1.0,<2.0", "2.0", true, false),
        (">=1.0,<2.0", "2.0", false, false),
        (">=1.0,<2.0", "2.0a1", nil, false),
        (">=1.0,<2.0", "2.0a1", true, false),
        (">=1.0,<2.0", "2.0a1", false, false),
        (">=1.0,<2.0", "1.5a1", nil, true),
        (">=1.0,<2.0", "1.5a1", true, true),
        (">=1.0,<2.0", "1.5a1", false, false),
        (">=1.0, !=1.5.*, <2", "1.5.3", nil, false),
        (">=1.0, !=1.5.*, <2", "1.5.3", true, false),
        (">=1.0, !=1.5.*, <2", "1.5.3", false, false),
        (">=1.0, !=1.5.*, <2", "1.6", nil, true),
        (">=1.0, !=1.5.*, <2", "1.6", true, true),
        (">=1.0, !=1.5.*, <2", "1.6", false, true),
        ("~=3.8", "3.12.1", nil, true),
        ("~=3.8", "3.12.1", true, true),
        ("~=3.8", "3.12.1", false, true),
        ("~=3.8", "4.0", nil, false),
        ("~=3.8", "4.0", true, false),
        ("~=3.8", "4.0", false, false),
        (">=3.9,<4", "3.12.1", nil, true),
        (">=3.9,<4", "3.12.1", true, true),
        (">=3.9,<4", "3.12.1", false, true),
        (">=3.9,<4", "3.8.18", nil, false),
        (">=3.9,<4", "3.8.18", true, false),
        (">=3.9,<4", "3.8.18", false, false),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.1.4", nil, false),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.1.4", true, false),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.1.4", false, false),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.6", nil, true),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.6", true, true),
        ("!=3.0.*,!=3.1.*,>=2.7", "3.6", false, true),
        ("<2.0,>=1.0a1", "1.5b1", nil, true),
        ("<2.0,>=1.0a1", "1.5b1", true, true),
        ("<2.0,>=1.0a1", "1.5b1", false, false),
        ("===lolwat", "lolwat", nil, true),
        ("===lolwat", "lolwat", true, true),
        ("===lolwat", "lolwat", false, true),
        ("===lolwat", "LOLWAT", nil, true),
        ("===lolwat", "LOLWAT", true, true),
        ("===lolwat", "LOLWAT", false, true),
        ("===lolwat", "lolwat2", nil, false),
        ("===lolwat", "lolwat2", true, false),
        ("===lolwat", "lolwat2", false, false),
        ("===1.0", "1.0", nil, true),
        ("===1.0", "1.0", true, true),
        ("===1.0", "1.0", false, true),
        ("===1.0", "1.0.0", nil, false),
        ("===1.0", "1.0.0", true, false),
        ("===1.0", "1.0.0", false, false),
        ("===1.0,>=0.5", "1.0", nil, true),
        ("===1.0,>=0.5", "1.0", true, true),
        ("===1.0,>=0.5", "1.0", false, true),
        ("===1.0,===1.0", "1.0", nil, true),
        ("===1.0,===1.0", "1.0", true, true),
        ("===1.0,===1.0", "1.0", false, true),
        ("===1.0a1", "1.0a1", nil, true),
        ("===1.0a1", "1.0a1", true, true),
        ("===1.0a1", "1.0a1", false, false),
        ("===v1.0", "v1.0", nil, true),
        ("===v1.0", "v1.0", true, true),
        ("===v1.0", "v1.0", false, true),
        ("===v1.0", "1.0", nil, false),
        ("===v1.0", "1.0", true, false),
        ("===v1.0", "1.0", false, false),
        ("==1.0", "v1.0", nil, true),
        ("==1.0", "v1.0", true, true),
        ("==1.0", "v1.0", false, true),
        ("===foo,>=1.0", "foo", nil, false),
        ("===foo,>=1.0", "foo", true, false),
        ("===foo,>=1.0", "foo", false, false),
        (">=1.0", "lolwat", nil, false),
        (">=1.0", "lolwat", true, false),
        (">=1.0", "lolwat", false, false),
        ("==1.0.*", "1.0.5+local", nil, true),
        ("==1.0.*", "1.0.5+local", true, true),
        ("==1.0.*", "1.0.5+local", false, true),
        ("<=2.0", "2.0+local", nil, true),
        ("<=2.0", "2.0+local", true, true),
        ("<=2.0", "2.0+local", false, true),
        (">2.0", "2.0.post1", nil, false),
        (">2.0", "2.0.post1", true, false),
        (">2.0", "2.0.post1", false, false),
        ("<2.0", "2.0rc1", nil, false),
        ("<2.0", "2.0rc1", true, false),
        ("<2.0", "2.0rc1", false, false),
        ("<2.0rc2", "2.0rc1", nil, true),
        ("<2.0rc2", "2.0rc1", true, true),
        ("<2.0rc2", "2.0rc1", false, false),
        (">=1.0.dev0", "1.0.dev3", nil, true),
        (">=1.0.dev0", "1.0.dev3", true, true),
        (">=1.0.dev0", "1.0.dev3", false, false),
        ("!=1.0", "1.0a1", nil, true),
        ("!=1.0", "1.0a1", true, true),
        ("!=1.0", "1.0a1", false, false),
        (" , >=1.0 ,, ", "1.0", nil, true),
        (" , >=1.0 ,, ", "1.0", true, true),
        (" , >=1.0 ,, ", "1.0", false, true),
        (">=1.0,<1.0", "1.0", nil, false),
        (">=1.0,<1.0", "1.0", true, false),
        (">=1.0,<1.0", "1.0", false, false),
        ("==1.0+local", "1.0+LOCAL", nil, true),
        ("==1.0+local", "1.0+LOCAL", true, true),
        ("==1.0+local", "1.0+LOCAL", false, true),
        ("==1.0", "1.0+anything", nil, true),
        ("==1.0", "1.0+anything", true, true),
        ("==1.0", "1.0+anything", false, true),
    ]
    /// (specifier set, description as packaging prints it)
    static let descriptions: [(String, String)] = [
        ("", ""),
        (">=1.0", ">=1.0"),
        (">=1.0,<2", "<2,>=1.0"),
        ("<2, >=1.0", "<2,>=1.0"),
        ("  >= 1.0 ,  != 1.5  ", "!=1.5,>=1.0"),
        (">=1.0,>=1.0.0", ">=1.0"),
        ("==1.0,==1.0.0,==1", "==1"),
        ("~=1.0,~=1.0.0", "~=1.0,~=1.0.0"),
        ("!=2.0,>=1.0,!=1.5", "!=1.5,!=2.0,>=1.0"),
        ("===foo,==1.0", "==1.0,===foo"),
    ]
    static let equality: [(String, String, Bool)] = [
        (">=1.0,<2", "<2,>=1.0", true),
        (">=1.0,<2", "<2.0,>=1.0.0", true),
        (">=1.0", ">=1.0,>=1.0", true),
        ("", "", true),
        ("", ">=0", false),
        ("~=1.0", "~=1.0.0", false),
        (">=1.0,!=1.5", ">=1.0", false),
    ]
    /// (specifier set, candidates, prereleases, expected filter result)
    static let filter: [(String, [String], Bool?, [String])] = [
        (">=1.0", ["1.0", "1.5a1", "2.0"], nil, ["1.0", "2.0"]),
        (">=1.0", ["1.0", "1.5a1", "2.0"], true, ["1.0", "1.5a1", "2.0"]),
        (">=1.0", ["1.0", "1.5a1", "2.0"], false, ["1.0", "2.0"]),
        (">=1.0", ["1.5a1", "2.0b1"], nil, ["1.5a1", "2.0b1"]),
        (">=1.0", ["1.5a1", "2.0b1"], true, ["1.5a1", "2.0b1"]),
        (">=1.0", ["1.5a1", "2.0b1"], false, []),
        (">=1.0a1", ["1.0", "1.5a1", "2.0"], nil, ["1.0", "1.5a1", "2.0"]),
        (">=1.0a1", ["1.0", "1.5a1", "2.0"], true, ["1.0", "1.5a1", "2.0"]),
        (">=1.0a1", ["1.0", "1.5a1", "2.0"], false, ["1.0", "2.0"]),
        ("", ["1.0", "1.5a1"], nil, ["1.0"]),
        ("", ["1.0", "1.5a1"], true, ["1.0", "1.5a1"]),
        ("", ["1.0", "1.5a1"], false, ["1.0"]),
        ("", ["1.5a1"], nil, ["1.5a1"]),
        ("", ["1.5a1"], true, ["1.5a1"]),
        ("", ["1.5a1"], false, []),
        ("<2", ["1.0", "2.0a1", "1.9.dev1"], nil, ["1.0"]),
        ("<2", ["1.0", "2.0a1", "1.9.dev1"], true, ["1.0", "1.9.dev1"]),
        ("<2", ["1.0", "2.0a1", "1.9.dev1"], false, ["1.0"]),
        (">=1.0,!=1.5", ["0.9", "1.0", "1.5", "1.6rc1"], nil, ["1.0"]),
        (">=1.0,!=1.5", ["0.9", "1.0", "1.5", "1.6rc1"], true, ["1.0", "1.6rc1"]),
        (">=1.0,!=1.5", ["0.9", "1.0", "1.5", "1.6rc1"], false, ["1.0"]),
        ("==1.6rc1", ["1.6rc1", "1.6"], nil, ["1.6rc1"]),
        ("==1.6rc1", ["1.6rc1", "1.6"], true, ["1.6rc1"]),
        ("==1.6rc1", ["1.6rc1", "1.6"], false, []),
    ]
    static let invalid: [String] = [
        ">=1.0,lolwat", "1.0", ">=1.0;python_version<'3'", ">=1.0 <2.0", "~=1", ">=1.0,,==*",
    ]
}

@Suite("SpecifierSet")
struct SpecifierSetTests {
    @Test("contains strings like packaging", arguments: SpecifierSetTable.contains)
    func containsString(row: (String, String, Bool?, Bool)) throws {
        let set = try SpecifierSet(row.0)
        #expect(set.contains(row.1, prereleases: row.2) == row.3, "'\(row.0)' contains \(row.1) (prereleases: \(String(describing: row.2)))")
    }

    @Test("contains versions like packaging (=== compares the normalized form)", arguments: SpecifierSetTable.contains)
    func containsVersion(row: (String, String, Bool?, Bool)) throws {
        guard let version = try? Version(row.1), !row.0.contains("===") else { return }
        #expect(try SpecifierSet(row.0).contains(version, prereleases: row.2) == row.3)
    }

    @Test("prints like packaging", arguments: SpecifierSetTable.descriptions)
    func description(row: (String, String)) throws {
        #expect(try SpecifierSet(row.0).description == row.1)
    }

    @Test("compares like packaging", arguments: SpecifierSetTable.equality)
    func equality(row: (String, String, Bool)) throws {
        let (left, right) = (try SpecifierSet(row.0), try SpecifierSet(row.1))
        #expect((left == right) == row.2)
        if row.2 {
            #expect(left.hashValue == right.hashValue)
        }
    }

    @Test("filters like packaging", arguments: SpecifierSetTable.filter)
    func filter(row: (String, [String], Bool?, [String])) throws {
        let versions = try row.1.map { try Version($0) }
        #expect(try SpecifierSet(row.0).filter(versions, prereleases: row.2).map(\.description) == row.3)
    }

    @Test("rejects invalid clauses, naming the set", arguments: SpecifierSetTable.invalid)
    func rejects(input: String) {
        do {
            _ = try SpecifierSet(input)
            Issue.record("expected '\(input)' to be rejected")
        } catch let error as PackagingError {
            #expect(error.code == .invalidSpecifier)
            #expect(error.message.contains(input))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("the empty set and the implied pre-release policy")
    func emptyAndPolicy() throws {
        let any = try SpecifierSet("")
        #expect(any.isEmpty)
        #expect(any.prereleases == nil)
        #expect(try SpecifierSet(">=1.0b1,<2").prereleases == true)
        #expect(try SpecifierSet(">=1.0,<2").prereleases == nil)
        // The pre-26 behaviour, spelled explicitly.
        let set = try SpecifierSet(">=1.0")
        #expect(!set.contains(try Version("2.0a1"), prereleases: set.prereleases ?? false))
        #expect(set.specifiers.map(\.description) == [">=1.0"])
    }
}

import Testing
@testable import PythonPackaging

/// Expected values were produced by Python's `packaging` 26.2 and pasted here.
enum VersionOrderingTable {
    /// Sorted by Python's packaging; entries that compare equal are adjacent.
    static let sorted: [String] = [
        "0.dev0",
        "0",
        "0.0.1",
        "0.9",
        "0.10",
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0b2-346",
        "1.0c1.dev456",
        "1.0c1",
        "1.0rc2",
        "1.0c3",
        "1.0",
        "1.0+a-b",
        "1.0+a.b.c",
        "1.0+a.1",
        "1.0+1.0.a",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.1.dev1",
        "1.2+123abc",
        "1.2+123abc456",
        "1.2+abc",
        "1.2+abc123",
        "1.2+abc123def",
        "1.2+1234.abc",
        "1.2+123456",
        "1.2.r32+123456",
        "1.2.rev33+123456",
        "2.0.0.0.1",
        "2013.10.20",
        "1!1.0b2.post345.dev456",
        "1!1.0",
        "1!1.0.post456",
        "1!1.2.rev33+123456",
    ]
    /// (a, b, expected sign of a compared with b) from Python's packaging.
    static let pairs: [(String, String, Int)] = [
        ("1.0", "1.0.0", 0),
        ("1.0", "1", 0),
        ("1.0.0.0", "1", 0),
        ("0", "0.0", 0),
        ("1.0a1", "1.0alpha1", 0),
        ("1.0rc1", "1.0c1", 0),
        ("1.0rc1", "1.0pre1", 0),
        ("1.0rc1", "1.0preview1", 0),
        ("1.0.post1", "1.0-1", 0),
        ("1.0.post1", "1.0r1", 0),
        ("1.0.post1", "1.0rev1", 0),
        ("1.0+ABC", "1.0+abc", 0),
        ("1.0+a-b", "1.0+a.b", 0),
        ("1.0+01", "1.0+1", 0),
        ("1.0+1", "1.0+01.0", -1),
        ("1.0", "1.0+local", -1),
        ("1.0+local", "1.0.post1", -1),
        ("1.0.dev1", "1.0a1", -1),
        ("1.0a1.dev1", "1.0a1", -1),
        ("1.0.post1.dev1", "1.0.post1", -1),
        ("1.0.post1.dev1", "1.0", 1),
        ("1.0.dev1", "1.0.dev2", -1),
        ("1.0.dev10", "1.0.dev9", 1),
        ("1.0a10", "1.0a9", 1),
        ("1.0b1", "1.0a99", 1),
        ("1.0rc1", "1.0b99", 1),
        ("1.0", "1.0rc99", 1),
        ("1.0.post0", "1.0", 1),
        ("1.0.1", "1.0.post99", 1),
        ("1.0.1.dev1", "1.0.post99", 1),
        ("1.10", "1.9", 1),
        ("1.01", "1.1", 0),
        ("1!0.1", "2.0", 1),
        ("0!2.0", "2.0", 0),
        ("1.0+abc", "1.0+1", -1),
        ("1.0+abc.1", "1.0+abc", 1),
        ("1.0+abc.1", "1.0+abc.a", 1),
        ("1.0+1.1", "1.0+1.a", 1),
        ("1.0+z", "1.0+a9", 1),
        ("1.0a1.post1", "1.0a1", 1),
        ("1.0a1.post1", "1.0a2.dev1", -1),
        ("1.0a1.post1.dev1", "1.0a1.post1", -1),
        ("1.0rc1.post1", "1.0", -1),
        ("2.0.dev0", "1.99", 1),
        ("1.0.0.1", "1.0", 1),
        ("1.0.dev0", "1.0.dev", 0),
        ("1.0.0a0", "1.0a", 0),
        ("1.0.post0", "1.0.post", 0),
        ("1.0.post0.dev0", "1.0.dev0", 1),
        ("1.0a1.dev0", "1.0.dev0", 1),
        ("1.0a0", "1.0.dev0", 1),
        ("v1.0", "1.0", 0),
        ("1.0b2.post345.dev456", "1.0b2.post345", -1),
        ("1.0+0", "1.0+00", 0),
        ("1.0+0", "1.0+a", 1),
        ("2013.10.20", "2013.9.30", 1),
        ("1.0rc1+local", "1.0rc1", 1),
        ("1.0rc1+local", "1.0", -1),
        ("1.0.dev1+local", "1.0.dev1", 1),
        ("1.0.dev1+local", "1.0.dev2", -1),
        ("1.2.3", "1.2.3.0.0.0.0", 0),
        ("3.0", "3.0.0.0.1", -1),
    ]
}

@Suite("Version ordering")
struct VersionOrderingTests {
    @Test("compares like packaging", arguments: VersionOrderingTable.pairs)
    func pair(row: (String, String, Int)) throws {
        let (left, right) = (try Version(row.0), try Version(row.1))
        #expect((left < right) == (row.2 < 0), "\(row.0) < \(row.1)")
        #expect((left == right) == (row.2 == 0), "\(row.0) == \(row.1)")
        #expect((left > right) == (row.2 > 0), "\(row.0) > \(row.1)")
        if row.2 == 0 {
            #expect(left.hashValue == right.hashValue, "equal versions \(row.0) and \(row.1) must hash alike")
            #expect(Set([left, right]).count == 1)
        }
    }

    @Test("sorts the PEP 440 example list into packaging's order")
    func sortsList() throws {
        let versions = try VersionOrderingTable.sorted.map { try Version($0) }
        #expect(versions.shuffled().sorted() == versions)
        #expect(versions.reversed().sorted().map(\.description) == versions.map(\.description))
    }

    @Test("every pair of the sorted list is ordered by position", arguments: 0..<VersionOrderingTable.sorted.count)
    func allPairs(index: Int) throws {
        let versions = try VersionOrderingTable.sorted.map { try Version($0) }
        for other in versions.indices {
            #expect((versions[index] < versions[other]) == (index < other), "\(versions[index]) vs \(versions[other])")
            #expect((versions[index] == versions[other]) == (index == other))
        }
    }
}

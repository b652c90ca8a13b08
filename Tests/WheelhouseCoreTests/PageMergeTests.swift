import Testing
@testable import WheelhouseCore

@Suite struct PageMergeTests {
    func file(_ name: String, sha: String, yanked: String? = nil, meta: String? = nil) -> IndexFile {
        IndexFile(filename: name, url: "u/\(name)", hashes: ["sha256": sha], yanked: yanked, coreMetadata: meta.map { ["sha256": $0] }, size: 1, uploadTime: "t")
    }

    @Test func firstMemberWinsPerFilename() throws {
        let local = ProjectPage(name: "Demo", files: [file("demo-1.0.tar.gz", sha: "a", yanked: "bad")], versions: ["1.0"])
        let remote = ProjectPage(name: "demo", files: [file("demo-1.0.tar.gz", sha: "b"), file("demo-2.0.tar.gz", sha: "c", meta: "m")], versions: ["2.0", "1.0"])
        let merged = try #require(PageMerge.merge([local, remote]))
        #expect(merged.name == "Demo")
        #expect(merged.files.map(\.sha256) == ["a", "c"])
        #expect(merged.files[0].yanked == "bad")
        #expect(merged.files[1].coreMetadata == ["sha256": "m"])
        #expect(merged.versions == ["1.0", "2.0"])
    }

    @Test func versionsArePEP440Sorted() throws {
        let a = ProjectPage(name: "x", files: [], versions: ["1.10", "1.9"])
        let b = ProjectPage(name: "x", files: [], versions: ["1.0rc1", "1.0", "1.9"])
        #expect(try #require(PageMerge.merge([a, b])).versions == ["1.0rc1", "1.0", "1.9", "1.10"])
    }

    @Test func emptyMergeIsNil() {
        #expect(PageMerge.merge([]) == nil)
    }

    @Test(arguments: [
        (false, [String](), true),
        (true, [], false),
        (true, ["requests"], true),
        (true, ["req*"], true),
        (true, ["other", "numpy"], false),
        (true, ["*"], true),
    ])
    func guardRule(localHasIt: Bool, allow: [String], expected: Bool) {
        #expect(PageMerge.remoteAllowed(project: "requests", localHasIt: localHasIt, allowRemote: allow) == expected)
    }
}

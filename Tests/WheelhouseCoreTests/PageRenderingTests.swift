import Foundation
import Testing
@testable import WheelhouseCore

@Suite struct PageRenderingTests {
    func row(_ version: String, _ filename: String, yanked: Bool = false, reason: String? = nil, meta: String? = "ab") -> DistributionRecord {
        DistributionRecord(
            repositoryID: 1, project: "demo", version: version, filename: filename, packageType: "bdist_wheel", size: 10,
            sha256: String(repeating: "0", count: 64), requiresPython: ">=3.8", metadataSHA256: meta, yanked: yanked,
            yankedReason: reason, uploadTime: Date(timeIntervalSince1970: 1_700_000_000.25))
    }

    @Test func versionsAreSortedByPEP440AndDeduplicated() {
        let page = ProjectPageBuilder.page(displayName: "Demo", rows: [
            row("1.10", "demo-1.10-py3-none-any.whl"),
            row("1.9", "demo-1.9-py3-none-any.whl"),
            row("1.10", "demo-1.10.tar.gz"),
            row("1.0rc1", "demo-1.0rc1-py3-none-any.whl"),
            row("1.0", "demo-1.0-py3-none-any.whl"),
            row("1.0.post1", "demo-1.0.post1-py3-none-any.whl"),
        ])
        #expect(page.versions == ["1.0rc1", "1.0", "1.0.post1", "1.9", "1.10"])
        #expect(page.files.map(\.filename).first == "demo-1.0rc1-py3-none-any.whl")
        #expect(page.files.map(\.filename).suffix(2) == ["demo-1.10-py3-none-any.whl", "demo-1.10.tar.gz"])
    }

    @Test func jsonCarriesEveryAttribute() throws {
        let page = ProjectPageBuilder.page(displayName: "Demo", rows: [
            row("1.0", "demo-1.0-py3-none-any.whl", yanked: true, reason: "broken \"quote\""),
            row("1.1", "demo-1.1-py3-none-any.whl", yanked: true, reason: nil, meta: nil),
        ])
        let json = try JSONSerialization.jsonObject(with: Data(page.renderJSON())) as! [String: Any]
        #expect((json["meta"] as? [String: Any])?["api-version"] as? String == SimpleAPI.version)
        #expect(json["name"] as? String == "demo")
        #expect(json["versions"] as? [String] == ["1.0", "1.1"])
        let files = json["files"] as! [[String: Any]]
        #expect(files[0]["yanked"] as? String == "broken \"quote\"")
        #expect(files[1]["yanked"] as? Bool == true)
        #expect((files[0]["core-metadata"] as? [String: String])?["sha256"] == "ab")
        #expect(files[1]["core-metadata"] == nil)
        #expect(files[0]["requires-python"] as? String == ">=3.8")
        #expect(files[0]["size"] as? Int == 10)
        #expect(files[0]["upload-time"] as? String == "2023-11-14T22:13:20.250000Z")
        #expect(files[0]["url"] as? String == "../../files/\(String(repeating: "0", count: 64))/demo-1.0-py3-none-any.whl")
    }

    @Test func htmlEscapesAndAdvertises() {
        let page = ProjectPageBuilder.page(displayName: "Demo", rows: [row("1.0", "demo-1.0-py3-none-any.whl", yanked: true, reason: "<bad>")])
        let html = String(decoding: page.renderHTML(), as: UTF8.self)
        #expect(html.contains("data-requires-python=\"&gt;=3.8\""))
        #expect(html.contains("data-core-metadata=\"sha256=ab\""))
        #expect(html.contains("data-dist-info-metadata=\"sha256=ab\""))
        #expect(html.contains("data-yanked=\"&lt;bad&gt;\""))
        #expect(html.contains("#sha256=\(String(repeating: "0", count: 64))\""))
        #expect(html.contains("<meta name=\"pypi:repository-version\" content=\"\(SimpleAPI.version)\">"))
    }

    @Test func etagChangesWithContent() {
        let a = ProjectPageBuilder.page(displayName: "Demo", rows: [row("1.0", "demo-1.0-py3-none-any.whl")]).render()
        let b = ProjectPageBuilder.page(displayName: "Demo", rows: [row("1.0", "demo-1.0-py3-none-any.whl", yanked: true)]).render()
        #expect(a.etag != b.etag)
        #expect(a.etag(for: .json) != a.etag(for: .html))
    }

    @Test func fileURLsArePercentEncoded() {
        #expect(ProjectPageBuilder.fileURL(sha256: "ab", filename: "a b+c.whl") == "../../files/ab/a%20b+c.whl")
    }
}

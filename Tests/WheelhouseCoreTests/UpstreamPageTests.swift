import Testing
@testable import WheelhouseCore

@Suite struct UpstreamPageTests {
    @Test func parsesHTMLWithEveryAttribute() throws {
        let html = """
            <!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1">
            <meta name="pypi:project-status" content="deprecated"></head><body>
            <!-- a comment with <a href="nope"> inside -->
            <a href="../../packages/ab/demo-1.0-py3-none-any.whl#sha256=ABCDEF" data-requires-python="&gt;=3.8"
               data-core-metadata="sha256=1234" data-yanked="broken &amp; bad">demo-1.0-py3-none-any.whl</a><br/>
            <a href='https://files.example.test/demo-1.1.tar.gz' data-dist-info-metadata="true">demo-1.1.tar.gz</a>
            <A HREF=demo-0.9.zip>demo-0.9.zip</A>
            </body></html>
            """
        let page = UpstreamPage.parseHTML(Array(html.utf8), pageURL: "https://mirror.example.test/simple/demo/", project: "demo")
        #expect(page.status == "deprecated")
        #expect(page.files.count == 3)
        let f = page.files[0]
        #expect(f.url == "https://mirror.example.test/packages/ab/demo-1.0-py3-none-any.whl")
        #expect(f.hashes == ["sha256": "abcdef"])
        #expect(f.requiresPython == ">=3.8")
        #expect(f.coreMetadata == ["sha256": "1234"])
        #expect(f.yanked == "broken & bad")
        #expect(page.files[1].coreMetadata == [:])
        #expect(page.files[1].yanked == nil)
        #expect(page.files[2].url == "https://mirror.example.test/simple/demo/demo-0.9.zip")
    }

    @Test func parsesJSONAndKeepsAttributes() throws {
        let json = """
            {"meta":{"api-version":"1.3"},"name":"demo","versions":["1.0","0.9"],"project-status":{"status":"archived","reason":"gone"},
             "files":[{"filename":"demo-1.0-py3-none-any.whl","url":"/files/demo-1.0-py3-none-any.whl","hashes":{"sha256":"AA"},
               "requires-python":">=3.9","core-metadata":{"sha256":"bb"},"yanked":"old","size":12,"upload-time":"2024-01-01T00:00:00Z",
               "provenance":"https://p.example.test/x"},
              {"filename":"demo-0.9.tar.gz","url":"demo-0.9.tar.gz","hashes":{},"dist-info-metadata":false,"yanked":true}]}
            """
        let page = try UpstreamPage.parse(Array(json.utf8), contentType: "application/vnd.pypi.simple.v1+json", pageURL: "https://m.example.test/simple/demo/", project: "demo")
        #expect(page.status == "archived")
        #expect(page.statusReason == "gone")
        #expect(page.versions == ["1.0", "0.9"])
        #expect(page.files[0].url == "https://m.example.test/files/demo-1.0-py3-none-any.whl")
        #expect(page.files[0].hashes == ["sha256": "aa"])
        #expect(page.files[0].coreMetadata == ["sha256": "bb"])
        #expect(page.files[0].yanked == "old")
        #expect(page.files[0].size == 12)
        #expect(page.files[0].uploadTime == "2024-01-01T00:00:00Z")
        #expect(page.files[1].coreMetadata == nil)
        #expect(page.files[1].yanked == "")
        #expect(page.files[1].url == "https://m.example.test/simple/demo/demo-0.9.tar.gz")
    }

    @Test func sniffsWithoutContentTypeAndRejectsBadJSON() throws {
        let page = try UpstreamPage.parse(Array(" {\"name\":\"x\",\"files\":[]}".utf8), contentType: nil, pageURL: "https://m.example.test/simple/x/", project: "x")
        #expect(page.files.isEmpty)
        #expect(throws: WheelhouseError.self) {
            try UpstreamPage.parse(Array("{nope".utf8), contentType: "application/json", pageURL: "", project: "x")
        }
    }

    @Test func remoteRenderingRewritesURLsAndAddsWhatWasLearned() {
        let upstream = ProjectPage(name: "demo", files: [
            IndexFile(filename: "demo-1.0-py3-none-any.whl", url: "https://m.example.test/demo-1.0-py3-none-any.whl", hashes: [:], size: nil),
            IndexFile(filename: "demo-1.10.tar.gz", url: "https://m.example.test/demo-1.10.tar.gz", hashes: ["sha256": "cc"], yanked: "x"),
        ], versions: [])
        let cached = DistributionRecord(
            repositoryID: 1, project: "demo", version: "1.0", filename: "demo-1.0-py3-none-any.whl", packageType: "bdist_wheel",
            size: 7, sha256: "dd", metadataSHA256: "ee", uploadTime: .init())
        let page = RemotePage.render(upstream: upstream, cached: [cached])
        #expect(page.files[0].url == "../../files/dd/demo-1.0-py3-none-any.whl")
        #expect(page.files[0].coreMetadata == ["sha256": "ee"])
        #expect(page.files[0].size == 7)
        #expect(page.files[1].url == "../../files/cc/demo-1.10.tar.gz")
        #expect(page.files[1].yanked == "x")
        #expect(page.versions == ["1.0", "1.10"])
        let uncached = RemotePage.render(upstream: upstream, cached: [])
        #expect(uncached.files[0].url == "../../files/-/demo-1.0-py3-none-any.whl")
    }
}

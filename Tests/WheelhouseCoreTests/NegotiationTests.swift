import Testing
@testable import WheelhouseCore

@Suite struct NegotiationTests {
    static let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
    static let uv = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

    @Test(arguments: [
        (pip, SimpleFormat.json),
        (uv, .json),
        ("*/*", .legacyHTML),
        ("", .legacyHTML),
        ("text/html", .legacyHTML),
        ("application/vnd.pypi.simple.v1+html", .html),
        ("application/vnd.pypi.simple.latest+json", .json),
        ("application/vnd.pypi.simple.latest+html", .html),
        // q-values decide, not order
        ("text/html, application/vnd.pypi.simple.v1+json;q=0.5", .legacyHTML),
        // a tie is HTML (PROTOCOL.md: JSON only when ranked strictly above every HTML type)
        ("application/vnd.pypi.simple.v1+html;q=0.9, application/vnd.pypi.simple.v1+json;q=0.9", .html),
        ("*/*, application/vnd.pypi.simple.v1+json", .legacyHTML),
        ("*/*;q=0.5, application/vnd.pypi.simple.v1+json", .json),
        ("text/html;q=0.5, application/vnd.pypi.simple.v1+html;q=0.6", .html),
        ("application/*", .html),
        ("text/*", .legacyHTML),
        ("TEXT/HTML", .legacyHTML),
        ("application/vnd.pypi.simple.v1+json;q=0, text/html", .legacyHTML),
    ])
    func negotiates(accept: String, expected: SimpleFormat) {
        #expect(SimpleFormat.negotiate(accept: accept) == expected)
    }

    @Test func missingHeaderMeansHTML() {
        #expect(SimpleFormat.negotiate(accept: nil) == .legacyHTML)
    }

    @Test(arguments: ["application/json", "image/png", "application/vnd.pypi.simple.v1+json;q=0", "application/vnd.pypi.simple.v2+json"])
    func notAcceptable(accept: String) {
        #expect(SimpleFormat.negotiate(accept: accept) == nil)
    }

    @Test func formatQueryOverridesHeader() {
        #expect(SimpleFormat.negotiate(accept: Self.pip, format: "text/html") == .legacyHTML)
        #expect(SimpleFormat.negotiate(accept: "text/html", format: "application/vnd.pypi.simple.v1+json") == .json)
        #expect(SimpleFormat.negotiate(accept: "text/html", format: "application/json") == nil)
    }

    @Test func contentTypes() {
        #expect(SimpleFormat.json.contentType == "application/vnd.pypi.simple.v1+json")
        #expect(SimpleFormat.html.contentType == "application/vnd.pypi.simple.v1+html")
        #expect(SimpleFormat.legacyHTML.contentType.hasPrefix("text/html"))
    }
}

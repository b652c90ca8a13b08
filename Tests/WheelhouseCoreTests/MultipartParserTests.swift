import NIOCore
import Testing

@testable import WheelhouseCore

/// The body urllib3 2.7 (`encode_multipart_formdata`, which requests and
/// requests-toolbelt, and so twine, use) produced for a small upload:
///
///     encode_multipart_formdata([(":action", "file_upload"), ("protocol_version", "1"),
///         ("name", "demo"), ("version", "1.0"), ("classifiers", "A :: B"), ("classifiers", "C :: D"),
///         ("content", ("demo-1.0-py3-none-any.whl", b"PK\x03\x04zip\r\n--bytes", "application/octet-stream"))],
///         boundary="d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f")
private let urllib3Boundary = "d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f"
private let urllib3Body = Array(
    ("--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"protocol_version\"\r\n\r\n1\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ndemo\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n1.0\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"classifiers\"\r\n\r\nA :: B\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"classifiers\"\r\n\r\nC :: D\r\n"
        + "--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f\r\nContent-Disposition: form-data; name=\"content\"; "
        + "filename=\"demo-1.0-py3-none-any.whl\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        + "PK\u{03}\u{04}zip\r\n--bytes\r\n--d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f--\r\n").utf8)

private let urllib3Parts: [Part] = [
    Part(name: ":action", body: "file_upload"),
    Part(name: "protocol_version", body: "1"),
    Part(name: "name", body: "demo"),
    Part(name: "version", body: "1.0"),
    Part(name: "classifiers", body: "A :: B"),
    Part(name: "classifiers", body: "C :: D"),
    Part(
        name: "content", filename: "demo-1.0-py3-none-any.whl", contentType: "application/octet-stream",
        body: Array("PK\u{03}\u{04}zip\r\n--bytes".utf8)),
]

/// A part as the tests compare it: its interesting headers and its reassembled body.
private struct Part: Equatable, CustomStringConvertible {
    var name: String
    var filename: String?
    var contentType: String?
    var body: [UInt8]

    init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.body = body
    }

    init(name: String, filename: String? = nil, contentType: String? = nil, body: String) {
        self.init(name: name, filename: filename, contentType: contentType, body: Array(body.utf8))
    }

    var description: String {
        "Part(\(self.name), \(self.filename ?? "-"), \(self.contentType ?? "-"), \(self.body.count) bytes: \(String(decoding: self.body.prefix(40), as: UTF8.self).debugDescription))"
    }
}

/// Builds a body the way urllib3 does: `--boundary CRLF headers CRLF CRLF value CRLF ... --boundary-- CRLF`.
private func buildBody(_ parts: [Part], boundary: String, preamble: String = "", epilogue: String = "") -> [UInt8] {
    var body = Array(preamble.utf8)
    for part in parts {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8)
        if let filename = part.filename {
            body += Array("; filename=\"\(filename)\"".utf8)
        }
        if let contentType = part.contentType {
            body += Array("\r\nContent-Type: \(contentType)".utf8)
        }
        body += Array("\r\n\r\n".utf8) + part.body + Array("\r\n".utf8)
    }
    body += Array("--\(boundary)--\r\n\(epilogue)".utf8)
    return body
}

/// A small deterministic generator, so failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `body` cut at `cuts` and reassembles the parts, checking the event order on the way.
///
/// Every other chunk starts at a non-zero reader index, as NIO's do.
private func parse(
    _ body: [UInt8],
    boundary: String,
    cuts: [Int] = [],
    limits: MultipartParser.Limits = .init()
) throws(MultipartError) -> [Part] {
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var parts: [Part] = []
    var inPart = false
    var ended = false
    var start = 0
    for (index, end) in (cuts + [body.count]).enumerated() {
        var chunk = ByteBuffer(bytes: index % 2 == 0 ? [] : [0xEE, 0xEE, 0xEE])
        chunk.moveReaderIndex(forwardBy: chunk.readableBytes)
        chunk.writeBytes(body[start..<end])
        start = end
        for event in try parser.feed(chunk) {
            #expect(!ended, "event after .end")
            switch event {
            case .partStart(let headers):
                #expect(!inPart)
                inPart = true
                parts.append(Part(name: headers.name, filename: headers.filename, contentType: headers.contentType, body: []))
            case .body(let bytes):
                #expect(inPart)
                #expect(bytes.readableBytes > 0, "empty body event")
                parts[parts.count - 1].body += bytes.readableBytesView
            case .partEnd:
                #expect(inPart)
                inPart = false
            case .end:
                #expect(!inPart)
                ended = true
            }
        }
    }
    try parser.finish()
    #expect(ended)
    return parts
}

/// Parses `body` whole, split at every offset, in single bytes, and at random sizes; all must agree with `expected`.
private func expectEveryChunking(
    _ body: [UInt8],
    boundary: String,
    _ expected: [Part],
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(try parse(body, boundary: boundary) == expected, sourceLocation: sourceLocation)
    for cut in 0...body.count {
        let parts = try parse(body, boundary: boundary, cuts: [cut])
        #expect(parts == expected, "split at \(cut)", sourceLocation: sourceLocation)
        if parts != expected { return }
    }
    #expect(try parse(body, boundary: boundary, cuts: Array(0..<body.count)) == expected, sourceLocation: sourceLocation)
    var random = SplitMix64(state: 42)
    for _ in 0..<50 {
        var cuts: [Int] = []
        var position = 0
        while true {
            position += Int.random(in: 0...(boundary.utf8.count + 6), using: &random)
            guard position < body.count else { break }
            cuts.append(position)
        }
        #expect(try parse(body, boundary: boundary, cuts: cuts) == expected, "cuts \(cuts)", sourceLocation: sourceLocation)
    }
}

private func expectError(
    _ code: MultipartError.Code,
    _ body: String,
    boundary: String = "b0undary",
    limits: MultipartParser.Limits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let bytes = Array(body.utf8)
    // Whole, and in single bytes: the error must not depend on chunking.
    for cuts in [[], Array(0..<bytes.count)] {
        let error = #expect(throws: MultipartError.self, sourceLocation: sourceLocation) {
            _ = try parse(bytes, boundary: boundary, cuts: cuts, limits: limits)
        }
        #expect(error?.code == code, "\(error?.message ?? "")", sourceLocation: sourceLocation)
    }
}

@Suite("MultipartParser")
struct MultipartParserTests {
    @Test("a body encoded by urllib3, as twine sends it, in every chunking")
    func urllib3Fixture() throws {
        try expectEveryChunking(urllib3Body, boundary: urllib3Boundary, urllib3Parts)
        #expect(buildBody(urllib3Parts, boundary: urllib3Boundary) == urllib3Body)
    }

    @Test("content that resembles the delimiter is content")
    func nearDelimiters() throws {
        let boundary = "XyZ-boundary-7"
        let tricky: [String] = [
            "\r\n--XyZ-boundary",  // CRLF-- and a prefix of the boundary
            "\r\n--XyZ-boundary-",
            "\r\n--XyZ",
            "\r\n-",
            "\r\n",
            "\r",
            "--XyZ-boundary-7",  // the boundary without the leading CRLF
            "a--XyZ-boundary-7\r\n",
            "\n--XyZ-boundary-7",
            "\r--XyZ-boundary-7",
            "\r\r\n--XyZ-boundary-",
            "\r\n\r\n--XyZ-boundary-\r\n--XyZ-boundary-\r\n",
            "ends with CR\r",
            "ends with CRLF-\r\n-",
        ]
        for content in tricky {
            let parts = [
                Part(name: "before", body: content),
                Part(name: "content", filename: "x.whl", contentType: "application/octet-stream", body: content + content),
                Part(name: "after", body: "z"),
            ]
            try expectEveryChunking(buildBody(parts, boundary: boundary), boundary: boundary, parts)
        }
    }

    @Test("empty parts, empty file, part with only a filename")
    func emptyParts() throws {
        let parts = [
            Part(name: "comment", body: ""),
            Part(name: "content", filename: "", contentType: "application/octet-stream", body: ""),
            Part(name: "gpg_signature", filename: "a.asc", body: ""),
            Part(name: "x", body: ""),
        ]
        try expectEveryChunking(buildBody(parts, boundary: "bb"), boundary: "bb", parts)
    }

    @Test("a body with no parts at all")
    func noParts() throws {
        try expectEveryChunking(Array("--b--\r\n".utf8), boundary: "b", [])
        try expectEveryChunking(Array("--b--".utf8), boundary: "b", [])
    }

    @Test("preamble, epilogue, transport padding, a CRLF before the first boundary")
    func preambleAndPadding() throws {
        let body = "This is the preamble.\r\n--b0 \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            + "--b0  \r\ncontent-disposition: form-data; name=\"b\"\r\n\r\n2\r\n--b0-- trailing\r\nepilogue --b0\r\n"
        try expectEveryChunking(Array(body.utf8), boundary: "b0", [Part(name: "a", body: "1"), Part(name: "b", body: "2")])
        let leadingCRLF = "\r\n--b0\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b0--"
        try expectEveryChunking(Array(leadingCRLF.utf8), boundary: "b0", [Part(name: "a", body: "1")])
    }

    @Test("headers: any case, folding, escapes, filename*, and the raw list")
    func headers() throws {
        let body = "--b\r\n"
            + "CONTENT-DISPOSITION: Form-Data; NAME=\"we\\\"ird;name\"; filename=\"a\\\\b \\\"c\\\".whl\"\r\n"
            + "content-type:application/zip\r\n"
            + "X-Folded: one\r\n  two\r\n"
            + "\r\n"
            + "data\r\n"
            + "--b\r\nContent-Disposition: form-data; name=plain; filename*=UTF-8''na%C3%AFve.whl; filename=\"naive.whl\"\r\n\r\n"
            + "\r\n--b\r\nContent-Disposition: form-data; name=\"latin\"; filename*=iso-8859-1'en'%E9t%E9.tar.gz\r\n\r\n"
            + "\r\n--b\r\nContent-Disposition: form-data; name=\"bad-star\"; filename*=koi8-r''x; filename=\"fallback.zip\"\r\n\r\n"
            + "\r\n--b--\r\n"
        try expectEveryChunking(
            Array(body.utf8), boundary: "b",
            [
                Part(name: "we\"ird;name", filename: "a\\b \"c\".whl", contentType: "application/zip", body: "data"),
                Part(name: "plain", filename: "naïve.whl", body: ""),
                Part(name: "latin", filename: "été.tar.gz", body: ""),
                Part(name: "bad-star", filename: "fallback.zip", body: ""),
            ])

        var parser = MultipartParser(boundary: "b")
        let events = try parser.feed(ByteBuffer(string: body))
        guard case .partStart(let headers) = events.first else {
            Issue.record("expected a part, got \(events)")
            return
        }
        #expect(headers.raw.map(\.name) == ["CONTENT-DISPOSITION", "content-type", "X-Folded"])
        #expect(headers[header: "x-folded"] == "one two")
        #expect(headers[header: "Content-Type"] == "application/zip")
        #expect(headers[header: "missing"] == nil)
    }

    @Test("a non-ASCII filename as urllib3 sends it: raw UTF-8, quotes as %22")
    func urllib3Filename() throws {
        // encode_multipart_formdata([("content", ("na\u00efve \"q\".whl", b"x", "application/octet-stream"))], boundary="b")
        let body = "--b\r\nContent-Disposition: form-data; name=\"content\"; filename=\"na\u{EF}ve %22q%22.whl\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\nx\r\n--b--\r\n"
        // Kept as sent: a literal "%22" would be ambiguous, and no valid distribution filename has either.
        #expect(
            try parse(Array(body.utf8), boundary: "b")
                == [Part(name: "content", filename: "naïve %22q%22.whl", contentType: "application/octet-stream", body: "x")])
    }

    @Test("random content over a small alphabet of delimiter bytes, at random chunk sizes")
    func adversarialContent() throws {
        let boundary = "xyz"
        let delimiter = Array("\r\n--xyz".utf8)
        let alphabet = Array("\r\n-xyz".utf8)
        var random = SplitMix64(state: 7)
        var content = (0..<200_000).map { _ in alphabet.randomElement(using: &random)! }
        // Content must not contain the delimiter; break every occurrence.
        var index = 0
        while index + delimiter.count <= content.count {
            if Array(content[index..<index + delimiter.count]) == delimiter {
                content[index + delimiter.count - 1] = UInt8(ascii: "y")
                index = max(0, index - delimiter.count)
            } else {
                index += 1
            }
        }
        let parts = [
            Part(name: "comment", body: Array(content.prefix(1000))),
            Part(name: "content", filename: "f.whl", contentType: "application/octet-stream", body: content),
        ]
        let body = buildBody(parts, boundary: boundary)
        for seed in 0..<20 {
            var cutter = SplitMix64(state: UInt64(seed))
            var cuts: [Int] = []
            var position = 0
            while true {
                position += Int.random(in: 1...(seed < 10 ? 12 : 70_000), using: &cutter)
                guard position < body.count else { break }
                cuts.append(position)
            }
            #expect(try parse(body, boundary: boundary, cuts: cuts) == parts, "seed \(seed)")
        }
    }

    @Test("body bytes are slices of the input, and at most a delimiter's length is held back")
    func slicesAndHoldBack() throws {
        let boundary = "0123456789abcdef"
        let content = [UInt8](repeating: 0x41, count: 10_000) + Array("\r\n--0123456789abcde".utf8)
        let prefix = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n".utf8)
        var parser = MultipartParser(boundary: boundary)
        let chunk = ByteBuffer(bytes: prefix + content)
        let events = try parser.feed(chunk)
        #expect(events.count == 2)
        guard events.count == 2, case .body(let bytes) = events[1] else { return }
        // Everything but the possible delimiter start is delivered, pointing into the chunk's memory.
        #expect(bytes.readableBytes == 10_000)
        let chunkStart = chunk.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let sliceStart = bytes.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(sliceStart == chunkStart + UInt(prefix.count))

        // The next chunk shows the held bytes were content after all.
        let more = try parser.feed(ByteBuffer(string: "X\r\n--\(boundary)--"))
        #expect(more.count == 4)
        #expect(more.first == .body(ByteBuffer(string: "\r\n--0123456789abcde")))
        #expect(more.dropFirst().first == .body(ByteBuffer(string: "X")))
        #expect(Array(more.suffix(2)) == [.partEnd, .end])
        try parser.finish()
    }

    @Test("a large part arrives as several body events without being buffered")
    func streaming() throws {
        var parser = MultipartParser(boundary: "b")
        var events = try parser.feed(ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n"))
        #expect(events.count == 1)
        for _ in 0..<10 {
            events = try parser.feed(ByteBuffer(repeating: 0x30, count: 65_536))
            #expect(events == [.body(ByteBuffer(repeating: 0x30, count: 65_536))])
        }
        #expect(throws: MultipartError.self) { try parser.finish() }
        #expect(try parser.feed(ByteBuffer(string: "\r\n--b--\r\n")) == [.partEnd, .end])
        try parser.finish()
        #expect(try parser.feed(ByteBuffer(string: "ignored epilogue")) == [])
    }

    @Test("malformed bodies")
    func malformed() {
        expectError(.malformed, "--b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\nContent-Type: text/plain\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\nContent-Disposition form-data\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\n continuation first\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\n: no name\r\n\r\nx\r\n--b0undary--")
        // Junk after a boundary, which is also what content containing CRLF--boundary looks like.
        expectError(.malformed, "--b0undaryX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary2\r\n")
        expectError(.malformed, "--b0undary\rContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary--")
        expectError(.malformed, "--b0undary-\r\n")
        expectError(.malformed, "--b0undary" + String(repeating: " ", count: 100) + "\r\n")
    }

    @Test("truncated bodies")
    func truncated() {
        expectError(.truncated, "")
        expectError(.truncated, "no boundary here at all")
        expectError(.truncated, "--b0undary")
        expectError(.truncated, "--b0undary\r\n")
        expectError(.truncated, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n")
        expectError(.truncated, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhalf a file")
        expectError(.truncated, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary")
        expectError(.truncated, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary-")
        expectError(.truncated, "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b0undary\r\n")
    }

    @Test("limits on header size and part count")
    func limits() {
        let limits = MultipartParser.Limits(maxHeaderBytes: 100, maxParts: 2)
        let big = "--b0undary\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 100))\"\r\n\r\nx\r\n--b0undary--"
        expectError(.headerTooLarge, big, limits: limits)
        expectError(.headerTooLarge, "--b0undary\r\n" + String(repeating: "x", count: 10_000), limits: limits)
        let justFits = "--b0undary\r\nContent-Disposition: form-data; name=\"\(String(repeating: "n", count: 58))\"\r\n\r\nx\r\n--b0undary--"
        #expect(throws: Never.self) { _ = try parse(Array(justFits.utf8), boundary: "b0undary", limits: limits) }
        let three = String(repeating: "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n", count: 3) + "--b0undary--"
        expectError(.tooManyParts, three, limits: limits)
        let two = String(repeating: "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n", count: 2) + "--b0undary--"
        #expect(throws: Never.self) { _ = try parse(Array(two.utf8), boundary: "b0undary", limits: limits) }
    }

    @Test("an error sticks: later calls throw it again")
    func errorSticks() throws {
        var parser = MultipartParser(boundary: "b")
        #expect(throws: MultipartError.self) { try parser.feed(ByteBuffer(string: "--bX")) }
        let again = #expect(throws: MultipartError.self) { try parser.feed(ByteBuffer(string: "\r\n--b--\r\n")) }
        #expect(again?.code == .malformed)
        #expect(throws: MultipartError.self) { try parser.finish() }
    }

    @Test("an invalid boundary fails on the first feed")
    func invalidBoundary() {
        for boundary in ["", "a\r\nb", String(repeating: "x", count: 300)] {
            var parser = MultipartParser(boundary: boundary)
            let error = #expect(throws: MultipartError.self) { try parser.feed(ByteBuffer(string: "--x")) }
            #expect(error?.code == .malformed)
        }
    }

    @Test(
        "boundary from Content-Type",
        arguments: [
            ("multipart/form-data; boundary=d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f", "d2a6c5a1f3b44b1c9e0f7a8b6c5d4e3f"),
            ("multipart/form-data; boundary=\"quoted boundary\"", "quoted boundary"),
            ("Multipart/Form-Data;BOUNDARY=abc", "abc"),
            ("multipart/form-data; charset=utf-8; boundary = abc ", "abc"),
            ("multipart/form-data; boundary=\"a;b=c\"; charset=utf-8", "a;b=c"),
            ("multipart/form-data; boundary=\"esc\\\"aped\"", "esc\"aped"),
            ("  multipart/form-data ; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ])
    func boundaryFromContentType(header: String, expected: String) {
        #expect(MultipartParser.boundary(fromContentType: header) == expected)
    }

    @Test(
        "no boundary from Content-Type",
        arguments: [
            "application/octet-stream",
            "multipart/mixed; boundary=abc",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\"",
            "multipart/form-data; boundarx=abc",
            "multipart/form-data; boundary=\(String(repeating: "x", count: 257))",
            "multipart/form-data; boundary=\"caf\u{E9}\"",
            "",
        ])
    func noBoundaryFromContentType(header: String) {
        #expect(MultipartParser.boundary(fromContentType: header) == nil)
    }

    @Test("the delimiter search on its own")
    func search() {
        let delimiter = Array("\r\n--ab".utf8)
        func find(_ haystack: String, from start: Int = 0) -> MultipartParser.DelimiterSearch {
            let bytes = Array(haystack.utf8)
            return delimiter.withUnsafeBytes { needle in
                bytes.withUnsafeBytes { MultipartParser.findDelimiter(needle, in: $0, from: start) }
            }
        }
        #expect(find("") == .none)
        #expect(find("xxxx") == .none)
        #expect(find("x\r\n--abx") == .found(at: 1))
        #expect(find("\r\n--ab\r\n--ab", from: 1) == .found(at: 6))
        #expect(find("\r\r\n--ab") == .found(at: 1))
        #expect(find("x\r\n--a") == .partial(at: 1))
        #expect(find("x\r\r") == .partial(at: 2))
        #expect(find("x\r\n--b") == .none)
        #expect(find("\r\n--a\r\n") == .partial(at: 5))
        #expect(find("--ab") == .none)
    }
}

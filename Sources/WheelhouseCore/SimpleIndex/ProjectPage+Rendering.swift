import Crypto
import NIOCore
import PythonPackaging

/// A project page rendered once, at write time, in both representations.
///
/// The bytes are kept as `ByteBuffer`s so every response shares them without a copy (a
/// 300-version page is ~160 KB of HTML: copying it per request cost 14% of the page route's CPU).
public struct RenderedPage: Sendable, Equatable {
    public let htmlBuffer: ByteBuffer
    public let jsonBuffer: ByteBuffer
    /// Strong validator shared by both representations' ETags (`"<etag>-j"`, `"<etag>-h"`).
    public var etag: String

    public init(html: [UInt8], json: [UInt8], etag: String) {
        self.htmlBuffer = ByteBuffer(bytes: html)
        self.jsonBuffer = ByteBuffer(bytes: json)
        self.etag = etag
    }

    public var html: [UInt8] { Array(htmlBuffer.readableBytesView) }
    public var json: [UInt8] { Array(jsonBuffer.readableBytesView) }

    public func body(for format: SimpleFormat) -> ByteBuffer { format == .json ? jsonBuffer : htmlBuffer }

    public func etag(for format: SimpleFormat) -> String {
        "\"\(etag)-\(format == .json ? "j" : "h")\""
    }
}

extension ProjectPage {
    public func render() -> RenderedPage {
        let json = renderJSON()
        let html = renderHTML()
        return RenderedPage(html: html, json: json, etag: Self.validator(json))
    }

    static func validator(_ bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes)
        return digest.prefix(12).map { String($0, radix: 16).leftPad2 }.joined()
    }

    /// PEP 503 HTML with the PEP 592/658/714/700 attributes.
    public func renderHTML() -> [UInt8] {
        var w = ByteWriter(capacity: 256 + files.count * 300)
        w.raw("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"")
        w.raw(SimpleAPI.version)
        w.raw("\">\n")
        if let status {
            w.raw("    <meta name=\"pypi:project-status\" content=\"")
            w.html(status)
            w.raw("\">\n")
            if let statusReason {
                w.raw("    <meta name=\"pypi:project-status-reason\" content=\"")
                w.html(statusReason)
                w.raw("\">\n")
            }
        }
        w.raw("    <title>Links for ")
        w.html(name)
        w.raw("</title>\n  </head>\n  <body>\n    <h1>Links for ")
        w.html(name)
        w.raw("</h1>\n")
        for file in files {
            w.raw("    <a href=\"")
            w.html(file.url)
            if let sha = file.hashes["sha256"] {
                w.raw("#sha256=")
                w.html(sha)
            } else if let (alg, value) = file.hashes.min(by: { $0.key < $1.key }) {
                w.raw("#")
                w.html(alg)
                w.raw("=")
                w.html(value)
            }
            w.raw("\"")
            if let rp = file.requiresPython {
                w.raw(" data-requires-python=\"")
                w.html(rp)
                w.raw("\"")
            }
            if let meta = file.coreMetadata {
                let value = meta["sha256"].map { "sha256=\($0)" } ?? "true"
                // data-dist-info-metadata is the PEP 658 spelling older pip versions read.
                w.raw(" data-dist-info-metadata=\"")
                w.html(value)
                w.raw("\" data-core-metadata=\"")
                w.html(value)
                w.raw("\"")
            }
            if let yanked = file.yanked {
                w.raw(" data-yanked=\"")
                w.html(yanked)
                w.raw("\"")
            }
            if let provenance = file.provenance {
                w.raw(" data-provenance=\"")
                w.html(provenance)
                w.raw("\"")
            }
            w.raw(">")
            w.html(file.filename)
            w.raw("</a><br />\n")
        }
        w.raw("  </body>\n</html>\n")
        return w.bytes
    }

    /// PEP 691 JSON with PEP 700 `versions`, `size`, `upload-time`.
    public func renderJSON() -> [UInt8] {
        var w = ByteWriter(capacity: 256 + files.count * 400)
        w.raw("{\"meta\":{\"api-version\":")
        w.json(SimpleAPI.version)
        // PEP 691: the JSON project page carries the normalized name; HTML shows the display name.
        w.raw("},\"name\":")
        w.json(ProjectName.normalize(name))
        if let status {
            w.raw(",\"project-status\":{\"status\":")
            w.json(status)
            if let statusReason {
                w.raw(",\"reason\":")
                w.json(statusReason)
            }
            w.raw("}")
        }
        w.raw(",\"versions\":[")
        for (i, v) in versions.enumerated() {
            if i > 0 { w.raw(",") }
            w.json(v)
        }
        w.raw("],\"files\":[")
        for (i, file) in files.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"filename\":")
            w.json(file.filename)
            w.raw(",\"url\":")
            w.json(file.url)
            w.raw(",\"hashes\":")
            w.jsonHashes(file.hashes)
            if let rp = file.requiresPython {
                w.raw(",\"requires-python\":")
                w.json(rp)
            }
            if let meta = file.coreMetadata {
                if meta.isEmpty {
                    w.raw(",\"core-metadata\":true,\"dist-info-metadata\":true")
                } else {
                    w.raw(",\"core-metadata\":")
                    w.jsonHashes(meta)
                    w.raw(",\"dist-info-metadata\":")
                    w.jsonHashes(meta)
                }
            }
            if let yanked = file.yanked {
                w.raw(",\"yanked\":")
                if yanked.isEmpty { w.raw("true") } else { w.json(yanked) }
            }
            if let size = file.size {
                w.raw(",\"size\":")
                w.raw(String(size))
            }
            if let t = file.uploadTime {
                w.raw(",\"upload-time\":")
                w.json(t)
            }
            if let provenance = file.provenance {
                w.raw(",\"provenance\":")
                w.json(provenance)
            }
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }
}

extension String {
    var leftPad2: String { count < 2 ? "0" + self : self }
}

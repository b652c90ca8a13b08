/// A request path split into decoded segments, with the information routing needs.
struct RequestPath {
    /// Percent-decoded, non-empty segments.
    var segments: [String]
    var trailingSlash: Bool

    init?(_ raw: String) {
        var segs: [String] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(part).removingPercentEncodingStrict else { return nil }
            segs.append(decoded)
        }
        segments = segs
        trailingSlash = raw.hasSuffix("/")
    }
}

/// Where a repository's URLs live: `/{repo}`, `/artifactory/api/pypi/{repo}` or `/repository/{repo}`.
/// Redirects keep the alias the client used, so a migrated pip.conf keeps working.
struct RepositoryRoute {
    var prefix: String
    var repository: String
    var rest: [String]
    var trailingSlash: Bool

    /// A path on this server under the repository's alias, ending in `/`, for a `Location` header.
    /// Every segment is percent-encoded (a decoded `/` stays `%2F`), so the result always starts
    /// with exactly one `/` and cannot be read as `//host/...` (scheme-relative) or `scheme:...`.
    func location(_ segments: [String], query: String?) -> String {
        var path = prefix
        for segment in [repository] + segments {
            path += "/" + segment.percentEncodedSegment
        }
        path += "/"
        if let query, !query.isEmpty { path += "?" + query }
        return path
    }

    init?(_ path: RequestPath) {
        let s = path.segments
        trailingSlash = path.trailingSlash
        if s.count >= 4, s[0] == "artifactory", s[1] == "api", s[2] == "pypi" {
            prefix = "/artifactory/api/pypi"
            repository = s[3]
            rest = Array(s.dropFirst(4))
        } else if s.count >= 2, s[0] == "repository" {
            prefix = "/repository"
            repository = s[1]
            rest = Array(s.dropFirst(2))
        } else if let first = s.first {
            prefix = ""
            repository = first
            rest = Array(s.dropFirst())
        } else {
            return nil
        }
    }
}

extension String {
    /// The string as one path segment: unreserved characters (RFC 3986) as they are, every other
    /// byte of its UTF-8 percent-encoded.
    var percentEncodedSegment: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for b in utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Percent-decoding that rejects malformed escapes instead of passing them through.
    var removingPercentEncodingStrict: String? {
        guard utf8.contains(UInt8(ascii: "%")) else { return self }   // not `contains("%")`: Foundation's slow path
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var it = utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = Self.hexValue(h), let lv = Self.hexValue(l) else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x37
        case 0x61...0x66: c - 0x57
        default: nil
        }
    }
}

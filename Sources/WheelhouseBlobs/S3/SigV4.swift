import Crypto
import Foundation

/// AWS Signature Version 4 for requests signed in the `Authorization` header.
///
/// Written here because no maintained Swift S3 client is available to this project. It is checked
/// against the examples AWS publishes (`SigV4Tests`): a mistake here never fails loudly, every request
/// just comes back `403 SignatureDoesNotMatch`, so those vectors pin each step.
///
/// The path is URI-encoded once and not normalized, which is what S3 expects (other AWS services
/// encode twice; this signer is for S3 only).
///
/// ```swift
/// let signer = SigV4(credentials: .init(accessKey: "AKID…", secretKey: "…"), region: "us-east-1")
/// var request = SigV4.Request(method: "GET", path: "/bucket/key", headers: [("host", "127.0.0.1:7480")])
/// let headers = signer.sign(request, payloadHash: SigV4.emptyPayloadHash, date: Date())
/// ```
public struct SigV4: Sendable {
    /// An access key pair, plus the session token of temporary credentials.
    public struct Credentials: Sendable, CustomStringConvertible {
        public var accessKey: String
        public var secretKey: String
        public var sessionToken: String?

        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }

        /// Never prints the secret: configurations end up in logs and error messages.
        public var description: String { "access key \(accessKey), secret key <redacted>" }
    }

    /// A request as it goes on the wire, before signing.
    public struct Request: Sendable {
        public var method: String
        /// The path, not yet encoded, starting with `/` (`/bucket/sha256/ab/cd/…` in path style).
        public var path: String
        /// Query parameters, not yet encoded; a parameter without value (`?uploads`) has value `""`.
        public var query: [(name: String, value: String)]
        /// Headers to sign: at least `host`; add `range` and any `x-amz-*` the request sends.
        public var headers: [(name: String, value: String)]

        public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }

        /// The path as sent and signed; `/` stays, everything outside RFC 3986's unreserved set is escaped.
        public var encodedPath: String { SigV4.uriEncode(path, keepSlash: true) }

        /// The query as sent and signed: encoded, sorted by name then value, `name=value` joined by `&`.
        public var encodedQuery: String {
            let encoded: [(name: String, value: String)] = query.map {
                (SigV4.uriEncode($0.name, keepSlash: false), SigV4.uriEncode($0.value, keepSlash: false))
            }
            let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
            return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        }
    }

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The sha256 of no bytes: the payload hash of GET, HEAD and DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs an S3 request: returns the request's headers plus `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` (temporary credentials only) and `authorization`, all to be sent as given.
    /// - Parameters:
    ///   - payloadHash: hex sha256 of the body, or `UNSIGNED-PAYLOAD`; S3 rejects a body that does not match it.
    ///   - date: the signing time; S3 refuses requests more than 15 minutes off its clock.
    public func sign(_ request: Request, payloadHash: String, date: Date) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(date)
        var signed = request
        signed.headers.append(("x-amz-date", amzDate))
        signed.headers.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken { signed.headers.append(("x-amz-security-token", token)) }
        let auth = authorization(for: signed, payloadHash: payloadHash, amzDate: amzDate)
        return signed.headers + [("authorization", auth)]
    }

    /// The `Authorization` header for a request whose headers (including `x-amz-date`) are already complete.
    public func authorization(for request: Request, payloadHash: String, amzDate: String) -> String {
        let (canonical, signedHeaders) = canonicalRequest(request, payloadHash: payloadHash)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical, amzDate: amzDate), amzDate: amzDate)
        return "\(Self.algorithm) Credential=\(credentials.accessKey)/\(scope(amzDate)), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// Task 1: method, path, query, headers, signed header names and payload hash, one per line.
    public func canonicalRequest(_ request: Request, payloadHash: String) -> (request: String, signedHeaders: String) {
        // Same-named headers are joined with commas in the order given; values are trimmed and
        // inner runs of spaces collapsed, as the specification asks.
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed.trimmingCharacters(in: .whitespaces))
        }
        let names = merged.keys.sorted()
        let headerLines = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonical = [request.method, request.encodedPath, request.encodedQuery, headerLines, signedHeaders, payloadHash]
            .joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// Task 2: the algorithm, the time, the scope and the hash of the canonical request.
    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        let hash = Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))
        return [Self.algorithm, amzDate, scope(amzDate), hash].joined(separator: "\n")
    }

    /// Tasks 3 and 4: derive the day's signing key from the secret, then HMAC the string to sign with it.
    public func signature(stringToSign: String, amzDate: String) -> String {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretKey)".utf8))
        for part in [String(amzDate.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    func scope(_ amzDate: String) -> String { "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request" }

    /// `20130524T000000Z`: ISO 8601 basic format, UTC.
    public static func amzDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ",
            parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// RFC 3986 percent-encoding of everything but `A–Z a–z 0–9 - . _ ~` (and `/` in paths), upper-case hex.
    public static func uriEncode(_ string: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// Lower-case hex of a digest or MAC.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

import Crypto
import NIOCore

/// The digests of a distribution file, as lower-case hex: what the simple
/// index advertises (`sha256`) and what upload clients send to be checked.
public struct DistributionDigests: Sendable, Equatable {
    public var sha256: String
    public var blake2b256: String
    public var md5: String

    public init(sha256: String, blake2b256: String, md5: String) {
        self.sha256 = sha256
        self.blake2b256 = blake2b256
        self.md5 = md5
    }
}

/// Computes SHA-256, BLAKE2b-256 and MD5 of a file while it streams past, so
/// an upload is read once, not once per digest.
///
/// ```swift
/// var accumulator = DigestAccumulator()
/// for event in try parser.feed(chunk) { if case .body(let bytes) = event { accumulator.update(bytes) } }
/// let digests = accumulator.finalize()
/// ```
public struct DigestAccumulator: Sendable {
    private var sha256 = SHA256()
    private var blake2b256 = BLAKE2b(digestLength: 32)
    // MD5 only because older clients still send md5_digest to be checked.
    private var md5 = Insecure.MD5()

    /// The number of bytes hashed so far.
    public private(set) var byteCount: Int64 = 0

    public init() {}

    /// Hashes the readable bytes of `buffer`, without moving its reader index.
    public mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.update($0) }
    }

    /// Hashes `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        self.sha256.update(bufferPointer: bytes)
        self.blake2b256.update(bytes)
        self.md5.update(bufferPointer: bytes)
        self.byteCount += Int64(bytes.count)
    }

    /// The digests of everything hashed so far; the accumulator is unchanged.
    public func finalize() -> DistributionDigests {
        DistributionDigests(
            sha256: Hex.encode(self.sha256.finalize()),
            blake2b256: Hex.encode(self.blake2b256.finalize()),
            md5: Hex.encode(self.md5.finalize())
        )
    }
}

/// Compares a digest a client sent in the upload form with ours.
public enum DigestComparison {
    /// Whether a hex digest sent by the client (`sha256_digest`,
    /// `blake2_256_digest`) matches ours, ignoring case and surrounding whitespace.
    ///
    /// - Parameters:
    ///   - sent: The form field's value.
    ///   - actualHex: Our digest, lower-case hex.
    public static func hexMatches(sent: String, actualHex: String) -> Bool {
        let trimmed = self.trimmed(sent)
        return !trimmed.isEmpty && trimmed.lowercased() == actualHex.lowercased()
    }

    /// Whether an `md5_digest` sent by the client matches ours.
    ///
    /// Accepts hex (what twine and distutils' `upload` send) and, to be
    /// lenient with other clients, base64 in either alphabet, padded or not.
    ///
    /// - Parameters:
    ///   - sent: The form field's value.
    ///   - actualHex: Our MD5 digest, lower-case hex.
    public static func md5Matches(sent: String, actualHex: String) -> Bool {
        let trimmed = self.trimmed(sent)
        if trimmed.utf8.count == 32 {
            return self.hexMatches(sent: String(trimmed), actualHex: actualHex)
        }
        guard let sentBytes = Base64.decode(trimmed), let actualBytes = Hex.decode(actualHex) else {
            return false
        }
        return sentBytes == actualBytes
    }

    private static func trimmed(_ string: String) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = string.firstIndex(where: { !isSpace($0) }),
              let last = string.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return string[first...last]
    }
}

/// Lower-case hexadecimal, the form digests take in URLs, the index and the database.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lower-case hex.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(self.digits[Int(byte >> 4)])
            output.append(self.digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes hex in either case; `nil` if `hex` is not an even number of hex digits.
    static func decode(_ hex: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = self.value(utf8[index]), let low = self.value(utf8[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Base64 decoding for digests clients send: standard or URL-safe alphabet, padding optional.
enum Base64 {
    static func decode(_ string: some StringProtocol) -> [UInt8]? {
        var utf8 = Array(string.utf8)
        while utf8.last == UInt8(ascii: "=") {
            utf8.removeLast()
        }
        guard utf8.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in utf8 {
            guard let value = self.value(character) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero: one digest has one canonical encoding.
        guard accumulator & (1 << UInt32(bits) - 1) == 0 else { return nil }
        return output
    }

    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }
}

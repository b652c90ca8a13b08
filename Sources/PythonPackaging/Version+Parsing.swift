extension Version {
    /// Parses any PEP 440 spelling of a version.
    ///
    /// Accepts what Python's `packaging.version.Version` accepts: a leading `v`, surrounding
    /// whitespace, any letter case, the alternative spellings `alpha`, `beta`, `c`, `pre`,
    /// `preview`, `rev`, `r`, the implicit post-release `1.0-1`, implicit numbers (`1.0.dev`),
    /// and `.`, `-` or `_` separators.
    ///
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidVersion``. Numbers that
    ///   do not fit in an `Int` are rejected too (Python accepts them; no real version uses them).
    public init(_ string: String) throws {
        guard let version = VersionParser.parse(string) else {
            throw PackagingError(.invalidVersion, "invalid version '\(string)': not a valid PEP 440 version")
        }
        self = version
    }
}

/// A hand-written equivalent of `packaging`'s `VERSION_PATTERN` regular expression (with the
/// possessive quantifiers CPython 3.11.5+ uses): the first alternative that matches wins and
/// optional groups never give back what they consumed.
struct VersionParser {
    private let bytes: [UInt8]
    private var position = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func parse(_ string: String) -> Version? {
        let trimmed = PythonText.strip(string)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var parser = VersionParser(bytes: Array(trimmed.utf8))
        return parser.parseVersion()
    }

    private mutating func parseVersion() -> Version? {
        _ = consume("v")
        var epoch = 0
        let start = position
        if let digits = digits(), consume("!") {
            epoch = digits
        } else {
            position = start
        }
        guard let first = digits() else { return nil }
        var release = [first]
        while peek() == UInt8(ascii: "."), isDigit(peek(offset: 1)) {
            position += 1
            guard let number = digits() else { return nil }
            release.append(number)
        }
        guard let pre = preRelease(), let post = postRelease(), let dev = devRelease(), let local = localLabel() else {
            return nil
        }
        guard position == bytes.count else { return nil }
        return Version(epoch: epoch, release: release, pre: pre.value, post: post.value, dev: dev.value, local: local.value)
    }

    /// A parsed optional segment: `.some(nil)` when absent, `nil` on a numeric overflow.
    private struct Segment<Value> {
        var value: Value?
    }

    private static let preLetters: [(String, Version.PreRelease.Kind)] = [
        ("alpha", .alpha), ("a", .alpha), ("beta", .beta), ("b", .beta),
        ("preview", .releaseCandidate), ("pre", .releaseCandidate), ("c", .releaseCandidate), ("rc", .releaseCandidate),
    ]

    private mutating func preRelease() -> Segment<Version.PreRelease>? {
        let start = position
        consumeSeparator()
        guard let kind = Self.preLetters.first(where: { consumeWord($0.0) })?.1 else {
            position = start
            return Segment(value: nil)
        }
        consumeSeparator()
        guard let number = optionalDigits() else { return nil }
        return Segment(value: Version.PreRelease(kind: kind, number: number ?? 0))
    }

    private mutating func postRelease() -> Segment<Int>? {
        let start = position
        if consume("-"), isDigit(peek()) {
            guard let number = digits() else { return nil }
            return Segment(value: number)
        }
        position = start
        consumeSeparator()
        guard ["post", "rev", "r"].contains(where: { consumeWord($0) }) else {
            position = start
            return Segment(value: nil)
        }
        consumeSeparator()
        guard let number = optionalDigits() else { return nil }
        return Segment(value: number ?? 0)
    }

    private mutating func devRelease() -> Segment<Int>? {
        let start = position
        consumeSeparator()
        guard consumeWord("dev") else {
            position = start
            return Segment(value: nil)
        }
        consumeSeparator()
        guard let number = optionalDigits() else { return nil }
        return Segment(value: number ?? 0)
    }

    private mutating func localLabel() -> Segment<[Version.LocalSegment]>? {
        guard consume("+") else { return Segment(value: nil) }
        var segments: [Version.LocalSegment] = []
        guard let first = alphanumerics() else { return nil }
        segments.append(first)
        while isSeparator(peek()), isAlphanumeric(peek(offset: 1)) {
            position += 1
            guard let segment = alphanumerics() else { return nil }
            segments.append(segment)
        }
        return Segment(value: segments)
    }

    // MARK: Scanning

    private func peek(offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func consume(_ character: Unicode.Scalar) -> Bool {
        guard let byte = peek(), lowercased(byte) == UInt8(character.value) else { return false }
        position += 1
        return true
    }

    private mutating func consumeSeparator() {
        if isSeparator(peek()) {
            position += 1
        }
    }

    /// Consumes `word` (lower-case ASCII) case-insensitively.
    private mutating func consumeWord(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count else { return false }
        for (offset, byte) in utf8.enumerated() where lowercased(bytes[position + offset]) != byte {
            return false
        }
        position += utf8.count
        return true
    }

    /// One or more digits; `nil` if there are none or the number overflows.
    private mutating func digits() -> Int? {
        guard isDigit(peek()) else { return nil }
        var value = 0
        var overflow = false
        while let byte = peek(), isDigit(byte) {
            let digit = Int(byte - UInt8(ascii: "0"))
            let (multiplied, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (added, overflowB) = multiplied.addingReportingOverflow(digit)
            overflow = overflow || overflowA || overflowB
            value = added
            position += 1
        }
        return overflow ? nil : value
    }

    /// Zero or more digits: `.some(nil)` for none, `nil` on overflow.
    private mutating func optionalDigits() -> Int?? {
        guard isDigit(peek()) else { return .some(nil) }
        guard let value = digits() else { return nil }
        return .some(value)
    }

    private mutating func alphanumerics() -> Version.LocalSegment? {
        let start = position
        while let byte = peek(), isAlphanumeric(byte) {
            position += 1
        }
        guard position > start else { return nil }
        let text = String(decoding: bytes[start..<position].map(lowercased), as: UTF8.self)
        if text.utf8.allSatisfy({ isDigit($0) }) {
            // Python's int() takes any length; an Int overflow is rejected as invalid instead.
            guard let number = Int(text) else { return nil }
            return .number(number)
        }
        return .string(text)
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func isAlphanumeric(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        let lower = lowercased(byte)
        return isDigit(byte) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
    }

    private func isSeparator(_ byte: UInt8?) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

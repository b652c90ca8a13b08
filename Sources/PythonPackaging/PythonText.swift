/// Small text helpers that mirror Python's string semantics where `packaging` relies on them.
enum PythonText {
    /// Python's `str.isspace()` (equivalently, `\s` in a Unicode regular expression).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// Python's `str.strip()` with no arguments.
    static func strip(_ text: some StringProtocol) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isWhitespace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isWhitespace($0) })!
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start...end])
        return String(result)
    }

    /// Python's `str.lower()` for comparisons (full Unicode lower-casing).
    static func lower(_ text: String) -> String {
        text.lowercased()
    }

    /// Whether `text` contains any Python whitespace.
    static func containsWhitespace(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains(where: isWhitespace)
    }

    /// Whether every character of `text` is an ASCII digit (and there is at least one).
    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// UTF-8 text, or, when the bytes are not valid UTF-8, each byte as one Latin-1 character
    /// (so that every byte string reads as some text, as names in old tar and zip archives must).
    static func utf8OrLatin1(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// Python's ordering of strings: by Unicode code point.
    static func codePointLess(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars)
    }
}

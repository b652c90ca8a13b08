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

    /// Python's ordering of strings: by Unicode code point.
    static func codePointLess(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.lexicographicallyPrecedes(rhs.unicodeScalars)
    }
}

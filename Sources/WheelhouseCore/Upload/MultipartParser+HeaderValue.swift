/// A header value of the form `value; name=token; name="quoted \"string\""`,
/// as used by `Content-Type` and `Content-Disposition` (RFC 9110, RFC 6266).
///
/// Parsing is forgiving: parameters without `=` are skipped and an unclosed
/// quoted string runs to the end of the value, because rejecting them would
/// only lock out odd clients without protecting anything.
struct HeaderValue {
    /// The part before the first `;`, trimmed (for example `form-data`).
    var value: String
    /// Parameters in order of appearance; names are lower-cased.
    var parameters: [(name: String, value: String)]

    init(_ header: String) {
        let bytes = Array(header.utf8)
        var index = 0
        let valueStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
            index += 1
        }
        self.value = Self.string(trimming: bytes[valueStart..<index])
        self.parameters = []

        while index < bytes.count {
            // Here bytes[index] is ";".
            index += 1
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") {
                index += 1
            }
            let name = Self.string(trimming: bytes[nameStart..<index]).lowercased()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < bytes.count, Self.isWhitespace(bytes[index]) {
                index += 1
            }
            let value: String
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                var unescaped: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                    }
                    unescaped.append(bytes[index])
                    index += 1
                }
                value = String(decoding: unescaped, as: UTF8.self)
                // Skip the closing quote and anything up to the next parameter.
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
                    index += 1
                }
            } else {
                let valueStart = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") {
                    index += 1
                }
                value = Self.string(trimming: bytes[valueStart..<index])
            }
            if !name.isEmpty {
                self.parameters.append((name, value))
            }
        }
    }

    /// The first parameter called `name` (lower-case).
    func parameter(_ name: String) -> String? {
        self.parameters.first { $0.name == name }?.value
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    static func string(trimming bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, self.isWhitespace(first) {
            slice.removeFirst()
        }
        while let last = slice.last, self.isWhitespace(last) {
            slice.removeLast()
        }
        return String(decoding: slice, as: UTF8.self)
    }

    /// Decodes an RFC 8187 (formerly RFC 5987) extended value such as
    /// `utf-8''na%C3%AFve.whl`, as in `filename*=`.
    ///
    /// - Returns: The decoded string, or `nil` for an unknown charset or bad
    ///   encoding, so the caller can fall back to the plain parameter.
    static func decodeExtendedValue(_ extended: String) -> String? {
        let pieces = extended.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else { return nil }
        let charset = pieces[0].lowercased()
        var decoded: [UInt8] = []
        var bytes = pieces[2].utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = bytes.next().flatMap(Self.hexValue),
                      let low = bytes.next().flatMap(Self.hexValue)
                else { return nil }
                decoded.append(high << 4 | low)
            } else {
                decoded.append(byte)
            }
        }
        switch charset {
        case "utf-8", "us-ascii":
            return String(validating: decoded, as: UTF8.self)
        case "iso-8859-1":
            return String(String.UnicodeScalarView(decoded.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

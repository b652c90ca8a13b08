/// Project names (PEP 503 normalization, PEP 508 validity).
///
/// Projects are compared by their normalized name: `Foo.Bar__baz` and `foo-bar-baz` are one project.
public enum ProjectName {
    /// The PEP 503 normalized form of a name: lower-cased, with every run of `-`, `_` and `.`
    /// replaced by a single `-`.
    ///
    /// ```swift
    /// ProjectName.normalize("Foo.Bar__baz")   // "foo-bar-baz"
    /// ```
    public static func normalize(_ name: String) -> String {
        var result = ""
        result.reserveCapacity(name.utf8.count)
        var inSeparatorRun = false
        for scalar in name.unicodeScalars {
            if scalar == "-" || scalar == "_" || scalar == "." {
                if !inSeparatorRun {
                    result.unicodeScalars.append("-")
                    inSeparatorRun = true
                }
            } else {
                inSeparatorRun = false
                if scalar.isASCII {
                    result.unicodeScalars.append(asciiLowercased(scalar))
                } else {
                    result += String(scalar).lowercased()
                }
            }
        }
        return result
    }

    /// Whether `name` is a valid distribution name (PEP 508 and the core metadata `Name` field):
    /// ASCII letters and digits, with `.`, `_` and `-` allowed inside but not at either end.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        guard isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Whether `name` is already in its normalized form.
    public static func isNormalized(_ name: String) -> Bool {
        isValid(name) && normalize(name) == name
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard scalar >= "A" && scalar <= "Z" else { return scalar }
        return Unicode.Scalar(scalar.value + 32)!
    }
}

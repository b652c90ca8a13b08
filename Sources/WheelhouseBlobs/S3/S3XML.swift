/// Just enough XML for S3's responses: flat elements with text content, in repeated blocks.
///
/// S3 answers a handful of fixed shapes (`InitiateMultipartUploadResult`, `ListBucketResult`, `Error`)
/// whose values never nest markup, so a scanner beats pulling in libxml2 through FoundationXML.
enum S3XML {
    /// The text of every `<tag>…</tag>` in `xml`, entities decoded, in document order.
    static func values(of tag: String, in xml: Substring) -> [String] {
        blocks(of: tag, in: xml).map { decode($0) }
    }

    static func value(of tag: String, in xml: Substring) -> String? {
        values(of: tag, in: xml).first
    }

    static func value(of tag: String, in xml: String) -> String? {
        value(of: tag, in: xml[...])
    }

    /// The raw inner text of every `<tag>…</tag>` (also `<tag attr="…">`), for scanning repeated blocks such as `Contents`.
    static func blocks(of tag: String, in xml: Substring) -> [Substring] {
        var found: [Substring] = []
        var rest = xml
        let close = "</\(tag)>"
        while let open = rest.range(of: "<\(tag)") {
            // Only `<tag>` and `<tag attr…>`, not `<tagSomethingElse>`.
            guard let end = rest[open.upperBound...].firstIndex(of: ">") else { break }
            let between = rest[open.upperBound..<end]
            guard between.isEmpty || between.first == " " || between == "/" else {
                rest = rest[end...]
                continue
            }
            if rest[rest.index(before: end)] == "/" {  // `<tag/>`: empty
                found.append(rest[end..<end])
                rest = rest[rest.index(after: end)...]
                continue
            }
            let contentStart = rest.index(after: end)
            guard let closing = rest[contentStart...].range(of: close) else { break }
            found.append(rest[contentStart..<closing.lowerBound])
            rest = rest[closing.upperBound...]
        }
        return found
    }

    /// Decodes the five predefined entities and numeric references (keys and ETags carry `&quot;`).
    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { return out + rest[amp...] }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                if let number, let scalar = Unicode.Scalar(number) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += rest[amp...semi]
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// Escapes text for an element's content (the ETags in `CompleteMultipartUpload` carry quotes).
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

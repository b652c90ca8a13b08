/// A tolerant scanner for the little HTML that simple pages contain: start tags with attributes,
/// and the text of `<a>` elements. Not a general HTML parser, and not meant to be.
struct HTMLScanner {
    struct Tag {
        var name: String
        var attributes: [String: String]
    }

    let bytes: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next start tag; comments, end tags, doctype and other markup are skipped.
    mutating func nextTag() -> Tag? {
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "<") else { i += 1; continue }
            if starts(with: "<!--") {
                if let end = find("-->", from: i + 4) { i = end + 3 } else { i = bytes.count }
                continue
            }
            i += 1
            guard i < bytes.count, isNameByte(bytes[i]) else { continue }
            let nameStart = i
            while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self).lowercased()
            var attributes: [String: String] = [:]
            while i < bytes.count {
                skipSpace()
                guard i < bytes.count else { break }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                if bytes[i] == UInt8(ascii: "/") { i += 1; continue }
                let attrStart = i
                while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "="), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
                let attrName = String(decoding: bytes[attrStart..<i], as: UTF8.self).lowercased()
                skipSpace()
                var value = ""
                if i < bytes.count, bytes[i] == UInt8(ascii: "=") {
                    i += 1
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                        let quote = bytes[i]
                        i += 1
                        let vStart = i
                        while i < bytes.count, bytes[i] != quote { i += 1 }
                        value = String(decoding: bytes[vStart..<min(i, bytes.count)], as: UTF8.self)
                        i += 1
                    } else {
                        let vStart = i
                        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">") { i += 1 }
                        value = String(decoding: bytes[vStart..<i], as: UTF8.self)
                    }
                }
                if !attrName.isEmpty { attributes[attrName] = HTMLEntities.decode(value) }
            }
            return Tag(name: name, attributes: attributes)
        }
        return nil
    }

    /// Text up to `</name>`, tags inside stripped, entities decoded.
    mutating func textUntilClosing(_ name: String) -> String {
        var text: [UInt8] = []
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") {
                if let end = find(">", from: i) {
                    let tag = String(decoding: bytes[i..<end], as: UTF8.self).lowercased()
                    i = end + 1
                    if tag.hasPrefix("</\(name)") { break }
                    continue
                }
                break
            }
            text.append(bytes[i])
            i += 1
        }
        return HTMLEntities.decode(String(decoding: text, as: UTF8.self))
    }

    func starts(with s: String) -> Bool {
        let u = Array(s.utf8)
        return i + u.count <= bytes.count && Array(bytes[i..<i + u.count]) == u
    }

    func find(_ s: String, from: Int) -> Int? {
        let u = Array(s.utf8)
        var j = from
        while j + u.count <= bytes.count {
            if bytes[j] == u[0], Array(bytes[j..<j + u.count]) == u { return j }
            j += 1
        }
        return nil
    }

    mutating func skipSpace() { while i < bytes.count, isSpace(bytes[i]) { i += 1 } }
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C }
    func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-")
    }
}

enum HTMLEntities {
    static func decode(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: semi) <= 10 else {
                out += "&"
                rest = after
                continue
            }
            let entity = after[..<semi]
            var replacement: String?
            switch entity {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let v = UInt32(entity.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) {
                    replacement = String(Character(u))
                } else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()), let u = Unicode.Scalar(v) {
                    replacement = String(Character(u))
                }
            }
            if let replacement {
                out += replacement
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        out += rest
        return out
    }
}

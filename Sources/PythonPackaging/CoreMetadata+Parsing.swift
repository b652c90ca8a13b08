extension CoreMetadata {
    /// Parses a `METADATA` / `PKG-INFO` file.
    ///
    /// - Text is UTF-8 (a byte-order mark is skipped); a file that is not valid UTF-8 is read as Latin-1.
    /// - Lines end in `\n`, `\r\n` or `\r`.
    /// - A line starting with a space or a tab continues the previous field; the pieces are joined
    ///   with `\n`. For `Description` and `License` the continuation prefix the specification uses
    ///   (eight spaces, or seven spaces and `|`) is removed and deeper indentation kept; other fields
    ///   lose all leading whitespace on continuation lines.
    /// - Values lose leading whitespace, and, except `Description`, trailing whitespace.
    /// - Headers end at the first blank line (or, as in Python's email parser, at the first line
    ///   that is not a field); the rest is the ``body``.
    ///
    /// - Throws: ``PackagingError`` with code ``PackagingError/Code/invalidMetadata`` when the
    ///   data does not start with a `Name: value` field.
    public init(parsing bytes: [UInt8]) throws {
        let text = Self.decode(bytes)
        let (allLines, endsWithNewline) = Self.lines(text)
        var lines = allLines[...]
        // The body keeps its text exactly, but with `\n` line endings.
        func bodyText(_ bodyLines: ArraySlice<Substring>) -> String {
            bodyLines.joined(separator: "\n") + (endsWithNewline && !bodyLines.isEmpty ? "\n" : "")
        }
        var fields: [(name: String, lines: [Substring])] = []
        var body: String?

        while let line = lines.popFirst() {
            if line.isEmpty {
                body = bodyText(lines)
                break
            }
            if line.first == " " || line.first == "\t" {
                guard !fields.isEmpty else {
                    throw PackagingError(.invalidMetadata, "invalid core metadata: the first line is a continuation line, not a 'Name: value' field")
                }
                fields[fields.count - 1].lines.append(line)
                continue
            }
            guard let colon = Self.fieldNameEnd(line) else {
                guard !fields.isEmpty else {
                    throw PackagingError(.invalidMetadata, "invalid core metadata: the first line is not a 'Name: value' field")
                }
                // Python's email parser: a non-field line starts the body even without a blank line.
                body = bodyText([line] + lines)
                break
            }
            fields.append((String(line[..<colon]), [line[line.index(after: colon)...]]))
        }
        self.init(fields: fields.map { Field(name: $0.name, value: Self.unfold($0.name, $0.lines)) }, body: body)
    }

    private static func decode(_ bytes: [UInt8]) -> String {
        var content = bytes[...]
        if content.starts(with: [0xEF, 0xBB, 0xBF]) {
            content = content.dropFirst(3)
        }
        if let text = String(validating: content, as: UTF8.self) {
            return text
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// Splits on `\r\n`, `\r` and `\n` (a final line ending does not start another line).
    private static func lines(_ text: String) -> (lines: [Substring], endsWithNewline: Bool) {
        var result: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                result.append(text[start..<index])
                var next = utf8.index(after: index)
                if byte == UInt8(ascii: "\r"), next != utf8.endIndex, utf8[next] == UInt8(ascii: "\n") {
                    next = utf8.index(after: next)
                }
                start = next
                index = next
            } else {
                index = utf8.index(after: index)
            }
        }
        if start != utf8.endIndex {
            result.append(text[start...])
            return (result, false)
        }
        return (result, !result.isEmpty)
    }

    /// The index of the `:` ending a field name of printable ASCII (no spaces), if `line` is a field.
    private static func fieldNameEnd(_ line: Substring) -> Substring.Index? {
        guard let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex else { return nil }
        let nameIsValid = line.utf8[..<colon].allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
        return nameIsValid ? colon : nil
    }

    private static func unfold(_ name: String, _ lines: [Substring]) -> String {
        let keepsIndentation = ["description", "license"].contains(name.lowercased())
        var pieces = [dropLeadingWhitespace(lines[0])]
        for line in lines.dropFirst() {
            if keepsIndentation {
                if line.hasPrefix("       |") || line.hasPrefix("        ") {
                    pieces.append(line.dropFirst(8))
                } else {
                    pieces.append(dropLeadingWhitespace(line))
                }
            } else {
                pieces.append(dropLeadingWhitespace(line))
            }
        }
        let value = pieces.joined(separator: "\n")
        if name.lowercased() == "description" {
            return value
        }
        return String(value.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\n" }.reversed())
    }

    private static func dropLeadingWhitespace(_ text: Substring) -> Substring {
        text.drop { $0 == " " || $0 == "\t" }
    }
}

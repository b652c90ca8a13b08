extension MultipartParser {
    /// The headers of one part, with the fields the upload endpoint needs already extracted.
    public struct PartHeaders: Sendable, Equatable {
        /// One header line as received; `name` keeps the client's spelling.
        public struct Field: Sendable, Equatable {
            public let name: String
            public let value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        /// The form field name (`name` parameter of `Content-Disposition`).
        public let name: String
        /// The file name, if the part is a file (`filename*` preferred over `filename`, as RFC 6266 says).
        public let filename: String?
        /// The part's `Content-Type`, if sent.
        public let contentType: String?
        /// Every header line of the part, in order.
        public let raw: [Field]

        public init(name: String, filename: String?, contentType: String?, raw: [Field]) {
            self.name = name
            self.filename = filename
            self.contentType = contentType
            self.raw = raw
        }

        /// The first header called `name`, compared case-insensitively.
        public subscript(header name: String) -> String? {
            let lowered = name.lowercased()
            return self.raw.first { $0.name.lowercased() == lowered }?.value
        }

        /// Parses a header block: the bytes between the boundary line's CRLF
        /// and the blank line, without either.
        static func parse(_ block: ArraySlice<UInt8>) throws(MultipartError) -> PartHeaders {
            var fields: [Field] = []
            var lineStart = block.startIndex
            while lineStart < block.endIndex {
                var lineEnd = lineStart
                while lineEnd < block.endIndex,
                      !(block[lineEnd] == UInt8(ascii: "\r") && lineEnd + 1 < block.endIndex
                          && block[lineEnd + 1] == UInt8(ascii: "\n"))
                {
                    lineEnd += 1
                }
                let line = block[lineStart..<lineEnd]
                lineStart = min(lineEnd + 2, block.endIndex)

                if let first = line.first, HeaderValue.isWhitespace(first) {
                    // Obsolete line folding (RFC 5322): continue the previous field.
                    guard let previous = fields.popLast() else {
                        throw .malformed("a part's header block starts with a continuation line")
                    }
                    let continuation = HeaderValue.string(trimming: line)
                    fields.append(Field(name: previous.name, value: previous.value + " " + continuation))
                    continue
                }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                    throw .malformed("a part has a header line without a colon")
                }
                let name = HeaderValue.string(trimming: line[line.startIndex..<colon])
                guard !name.isEmpty else {
                    throw .malformed("a part has a header line without a name")
                }
                fields.append(Field(name: name, value: HeaderValue.string(trimming: line[(colon + 1)...])))
            }

            guard let disposition = fields.first(where: { $0.name.lowercased() == "content-disposition" }) else {
                throw .malformed("a part has no Content-Disposition header")
            }
            let parsed = HeaderValue(disposition.value)
            guard parsed.value.lowercased() == "form-data" else {
                throw .malformed("a part's Content-Disposition is not form-data")
            }
            guard let name = parsed.parameter("name") else {
                throw .malformed("a part's Content-Disposition has no name")
            }
            let filename = parsed.parameter("filename*").flatMap(HeaderValue.decodeExtendedValue)
                ?? parsed.parameter("filename")
            let contentType = fields.first { $0.name.lowercased() == "content-type" }?.value
            return PartHeaders(name: name, filename: filename, contentType: contentType, raw: fields)
        }
    }
}

import NIOCore

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// One function per state: each consumes bytes of `chunk` from `offset` and
// returns the offset where the next state takes over.
extension MultipartParser {
    /// In the preamble or a body: looks for the next delimiter, delivering
    /// (in a body) or discarding (in the preamble) the bytes before it.
    mutating func scanForDelimiter(_ chunk: ByteBuffer, from offset: Int, _ onEvent: (Event) -> Void) -> Int {
        let inBody: Bool
        if case .body = self.state { inBody = true } else { inBody = false }
        let count = chunk.readableBytes

        if let held = self.pending {
            // The last chunk ended in a prefix of the delimiter; see whether this one completes it.
            let heldCount = held.readableBytes
            let needed = self.delimiter.count - heldCount
            let compared = min(needed, count - offset)
            let continues = chunk.withUnsafeReadableBytes { bytes in
                self.delimiter.withUnsafeBytes { delimiter in
                    memcmp(bytes.baseAddress! + offset, delimiter.baseAddress! + heldCount, compared) == 0
                }
            }
            if continues, compared == needed {
                self.pending = nil
                self.delimiterFound(onEvent)
                return offset + needed
            }
            if continues {
                // Still undecided (tiny chunks): keep collecting; this copies at most a delimiter's length.
                var extended = held
                extended.writeImmutableBuffer(chunk.getSlice(at: chunk.readerIndex + offset, length: compared)!)
                self.pending = extended
                return count
            }
            // Not a delimiter. No later byte of `held` can start one, because
            // the delimiter's only CR is its first byte.
            self.pending = nil
            if inBody {
                onEvent(.body(held))
            }
        }

        let search = chunk.withUnsafeReadableBytes { bytes in
            self.delimiter.withUnsafeBytes { delimiter in
                Self.findDelimiter(delimiter, in: bytes, from: offset)
            }
        }
        switch search {
        case .found(let start):
            if inBody, start > offset {
                onEvent(.body(chunk.getSlice(at: chunk.readerIndex + offset, length: start - offset)!))
            }
            self.delimiterFound(onEvent)
            return start + self.delimiter.count
        case .partial(let start):
            if inBody, start > offset {
                onEvent(.body(chunk.getSlice(at: chunk.readerIndex + offset, length: start - offset)!))
            }
            self.pending = chunk.getSlice(at: chunk.readerIndex + start, length: count - start)!
            return count
        case .none:
            if inBody {
                onEvent(.body(chunk.getSlice(at: chunk.readerIndex + offset, length: count - offset)!))
            }
            return count
        }
    }

    private mutating func delimiterFound(_ onEvent: (Event) -> Void) {
        if case .body = self.state {
            onEvent(.partEnd)
        }
        self.state = .boundaryLine(.start)
    }

    /// After a delimiter: `--` closes the body; otherwise optional padding and
    /// CRLF lead to the next part's headers.
    mutating func readBoundaryLine(
        _ line: BoundaryLine,
        _ chunk: ByteBuffer,
        from offset: Int,
        _ onEvent: (Event) -> Void
    ) throws(MultipartError) -> Int {
        var line = line
        let count = chunk.readableBytes
        var index = offset
        while index < count {
            let byte = chunk.getInteger(at: chunk.readerIndex + index, as: UInt8.self)!
            index += 1
            switch line {
            case .start:
                if byte == UInt8(ascii: "-") {
                    line = .closingDash
                } else if byte == UInt8(ascii: "\r") {
                    line = .lineFeed
                } else if HeaderValue.isWhitespace(byte) {
                    line = .padding(1)
                } else {
                    // Also what content containing CRLF--boundary followed by other bytes looks like.
                    throw .malformed("a boundary is followed by something other than CRLF or '--'")
                }
            case .closingDash:
                guard byte == UInt8(ascii: "-") else {
                    throw .malformed("a boundary is followed by something other than CRLF or '--'")
                }
                self.state = .epilogue
                onEvent(.end)
                return count
            case .padding(let length):
                if byte == UInt8(ascii: "\r") {
                    line = .lineFeed
                } else if HeaderValue.isWhitespace(byte), length < Self.maxPadding {
                    line = .padding(length + 1)
                } else {
                    throw .malformed("a boundary is followed by something other than CRLF or '--'")
                }
            case .lineFeed:
                guard byte == UInt8(ascii: "\n") else {
                    throw .malformed("a boundary line does not end in CRLF")
                }
                self.state = .headers
                self.headerBytes.removeAll(keepingCapacity: true)
                // The CRLF just read counts towards the blank line if the part has no headers.
                self.headerBytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
                self.headerTerminatorMatched = 2
                return index
            }
        }
        self.state = .boundaryLine(line)
        return count
    }

    /// Collects a part's header block up to the blank line, then starts the part.
    mutating func readHeaders(
        _ chunk: ByteBuffer,
        from offset: Int,
        _ onEvent: (Event) -> Void
    ) throws(MultipartError) -> Int {
        // headerBytes holds the boundary line's CRLF plus the block plus up to CRLFCRLF.
        let allowed = self.limits.maxHeaderBytes + 6 - self.headerBytes.count
        let end = min(chunk.readableBytes, offset + max(allowed, 0))
        var matched = self.headerTerminatorMatched
        let stop = chunk.withUnsafeReadableBytes { bytes in
            var index = offset
            while index < end {
                let byte = bytes[index]
                index += 1
                if byte == (matched & 1 == 0 ? UInt8(ascii: "\r") : UInt8(ascii: "\n")) {
                    matched += 1
                    if matched == 4 { break }
                } else {
                    matched = byte == UInt8(ascii: "\r") ? 1 : 0
                }
            }
            self.headerBytes.append(contentsOf: bytes[offset..<index])
            return index
        }
        self.headerTerminatorMatched = matched
        guard matched == 4 else {
            if stop < chunk.readableBytes || allowed <= 0 {
                throw MultipartError(
                    code: .headerTooLarge,
                    message: "a part's headers are larger than \(self.limits.maxHeaderBytes) bytes"
                )
            }
            return stop
        }

        let blockEnd = self.headerBytes.count - 4
        let block = blockEnd > 2 ? self.headerBytes[2..<blockEnd] : []
        let headers = try PartHeaders.parse(block)
        self.partCount += 1
        guard self.partCount <= self.limits.maxParts else {
            throw MultipartError(code: .tooManyParts, message: "the body has more than \(self.limits.maxParts) parts")
        }
        self.state = .body
        onEvent(.partStart(headers))
        return stop
    }
}

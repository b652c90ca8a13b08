import NIOCore

/// A streaming multipart/form-data parser (RFC 7578) for the legacy upload API.
///
/// twine, uv, poetry, hatch and flit upload a distribution as the `content`
/// part of a multipart/form-data POST; it may be several gigabytes, so the
/// parser never holds a part's body: it hands back slices of the chunks it is
/// fed, and holds back at most one delimiter's length of bytes when a chunk
/// ends in what may be the start of a boundary.
///
/// It is a pure value: the I/O layer feeds it chunks and acts on the events.
///
/// ```swift
/// guard let boundary = MultipartParser.boundary(fromContentType: contentType) else { ... }
/// var parser = MultipartParser(boundary: boundary)
/// for try await chunk in request.body {
///     for event in try parser.feed(chunk) {
///         switch event {
///         case .partStart(let headers): ...
///         case .body(let bytes): ...
///         case .partEnd: ...
///         case .end: ...
///         }
///     }
/// }
/// try parser.finish()
/// ```
public struct MultipartParser: Sendable {
    /// Bounds on what a client can make the parser hold or produce.
    public struct Limits: Sendable {
        /// The largest header block of one part, in bytes.
        public var maxHeaderBytes: Int
        /// The most parts in one body. twine sends one part per metadata
        /// field, a few dozen to a few hundred with long classifier lists.
        public var maxParts: Int

        public init(maxHeaderBytes: Int = 16 * 1024, maxParts: Int = 1_000) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxParts = maxParts
        }
    }

    /// What the parser found in the bytes fed to it, in order.
    public enum Event: Sendable, Equatable {
        /// A part begins; its body follows in zero or more ``body(_:)`` events.
        case partStart(PartHeaders)
        /// Some of the current part's body: a slice of a chunk that was fed, not a copy.
        case body(ByteBuffer)
        /// The current part is complete.
        case partEnd
        /// The closing boundary was seen; anything after it is ignored.
        case end
    }

    enum State: Sendable {
        /// Discarding bytes until the first delimiter.
        case preamble
        /// After a delimiter, reading `--` or optional padding and CRLF.
        case boundaryLine(BoundaryLine)
        /// Collecting a part's header block into `headerBytes`.
        case headers
        /// Inside a part's body.
        case body
        /// After the closing delimiter.
        case epilogue
        /// An error was thrown; every later call throws it again.
        case failed(MultipartError)
    }

    enum BoundaryLine: Sendable {
        case start
        case closingDash
        case padding(Int)
        case lineFeed
    }

    /// The most transport padding (RFC 2046 `LWSP`) tolerated after a boundary.
    static let maxPadding = 64

    /// `CRLF--boundary`.
    let delimiter: [UInt8]
    let limits: Limits
    var state: State
    /// The end of the last chunk, when it is a proper prefix of the delimiter.
    var pending: ByteBuffer?
    /// The header block being collected, starting with the boundary line's CRLF.
    var headerBytes: [UInt8] = []
    /// How many bytes of CRLFCRLF end `headerBytes`.
    var headerTerminatorMatched = 0
    var partCount = 0

    /// Creates a parser for a body whose parts are separated by `boundary`.
    ///
    /// - Parameters:
    ///   - boundary: The boundary from the request's `Content-Type`, as
    ///     returned by ``boundary(fromContentType:)``. An invalid boundary
    ///     makes the first ``feed(_:)`` throw.
    ///   - limits: Bounds on header size and part count.
    public init(boundary: String, limits: Limits = .init()) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        self.limits = limits
        if Self.isValidBoundary(boundary) {
            self.state = .preamble
            // The first delimiter may open the body without a CRLF before it;
            // pretending the body starts with CRLF lets one search handle both.
            self.pending = ByteBuffer(bytes: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        } else {
            self.state = .failed(.malformed("the multipart boundary is empty, too long or contains invalid characters"))
        }
    }

    /// Feeds the next chunk of the body.
    ///
    /// Bodies come back as slices of `chunk`, possibly in several
    /// ``Event/body(_:)`` events per part. Bytes at the end of `chunk` that
    /// may start a boundary are held back until the next chunk decides.
    ///
    /// - Parameter chunk: The next bytes of the request body, any size.
    /// - Returns: The events these bytes complete, in order.
    /// - Throws: ``MultipartError``; after an error every call throws it again.
    public mutating func feed(_ chunk: ByteBuffer) throws(MultipartError) -> [Event] {
        var events: [Event] = []
        try self.feed(chunk) { events.append($0) }
        return events
    }

    /// Feeds the next chunk of the body, calling `onEvent` for each event in order.
    mutating func feed(_ chunk: ByteBuffer, _ onEvent: (Event) -> Void) throws(MultipartError) {
        do throws(MultipartError) {
            var offset = 0
            while offset < chunk.readableBytes {
                switch self.state {
                case .preamble, .body:
                    offset = self.scanForDelimiter(chunk, from: offset, onEvent)
                case .boundaryLine(let line):
                    offset = try self.readBoundaryLine(line, chunk, from: offset, onEvent)
                case .headers:
                    offset = try self.readHeaders(chunk, from: offset, onEvent)
                case .epilogue:
                    return
                case .failed(let error):
                    throw error
                }
            }
        } catch {
            self.state = .failed(error)
            throw error
        }
    }

    /// Checks, once the request body has ended, that the body was complete.
    ///
    /// - Throws: ``MultipartError`` with code ``MultipartError/Code/truncated``
    ///   if the closing boundary was not seen, or the error ``feed(_:)`` threw.
    public func finish() throws(MultipartError) {
        switch self.state {
        case .epilogue:
            return
        case .failed(let error):
            throw error
        case .preamble:
            throw MultipartError(code: .truncated, message: "the body does not contain the boundary given in Content-Type")
        case .boundaryLine, .headers, .body:
            throw MultipartError(code: .truncated, message: "the body ended before the closing boundary")
        }
    }
}

import Hummingbird
import NIOCore
import WheelhouseCore
import WheelhouseRemote
import WheelhouseVirtual

/// Distribution files and their core-metadata files: immutable, content-addressed, streamed.
struct FileRoutes {
    let services: WheelhouseServices
    static let metadataSuffix = ".metadata"

    /// - Parameter members: for a virtual, its leaf members and which of them the reader may read.
    func file(_ request: Request, repository: Repository, sha256: String, filename: String, members: VirtualMembers? = nil) async throws -> Response {
        let isMetadata = filename.hasSuffix(Self.metadataSuffix)
        let distFilename = isMetadata ? String(filename.dropLast(Self.metadataSuffix.count)) : filename
        switch repository.kind {
        case .remote:
            return try await remoteFile(request, repository: repository, sha256: sha256, filename: distFilename, isMetadata: isMetadata)
        case .virtual:
            // The first readable member that has the file (or whose upstream lists it) serves it, as on the page.
            for member in members?.served ?? [] {
                do {
                    return try await file(request, repository: member, sha256: sha256, filename: filename)
                } catch let error as WheelhouseError where error.code == .notFound {
                    continue
                }
            }
            throw WheelhouseError.notFound("file '\(filename)' not found in '\(repository.name)'")
        case .local:
            break
        }
        guard let key = BlobKey(sha256: sha256) else { throw WheelhouseError.notFound("file not found") }
        guard let dist = try await services.metadata.distribution(repository: repository.id, filename: distFilename),
            dist.sha256 == key.sha256
        else {
            throw WheelhouseError.notFound("file '\(filename)' not found in '\(repository.name)'")
        }
        if isMetadata {
            guard let metadataSHA = dist.metadataSHA256, let metadataKey = BlobKey(sha256: metadataSHA) else {
                throw WheelhouseError.notFound("no core metadata for '\(distFilename)'")
            }
            return try await serveBlob(request, key: metadataKey, contentType: "text/plain; charset=utf-8")
        }
        // The row's size was checked against the bytes when they were stored: no stat needed.
        return try await serveBlob(request, key: key, contentType: "application/octet-stream", size: dist.size)
    }

    func remoteFile(_ request: Request, repository: Repository, sha256: String, filename: String, isMetadata: Bool) async throws -> Response {
        let remote = services.remote
        if isMetadata {
            let key = try await remote.metadataFile(repository: repository, sha256: sha256, filename: filename)
            return try await serveBlob(request, key: key, contentType: "text/plain; charset=utf-8")
        }
        if request.method == .head, try await services.metadata.distribution(repository: repository.id, filename: filename) == nil {
            // HEAD of an uncached file must not download it: the size comes from the page or an upstream HEAD.
            var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes"]
            if let size = try await remote.upstreamSize(repository: repository, filename: filename) {
                headers[.contentLength] = String(size)
            }
            return Response(status: .ok, headers: headers, body: .init())
        }
        switch try await remote.file(repository: repository, sha256: sha256, filename: filename) {
        case .blob(let key):
            return try await serveBlob(request, key: key, contentType: "application/octet-stream")
        case .filling(let download, let length):
            return fillingResponse(request, download: download, length: length, repository: repository, filename: filename)
        }
    }

    /// Streams a file while it downloads; every attached client gets the same bytes and the same
    /// `Content-Length`, and a failed download ends each response before that length.
    func fillingResponse(_ request: Request, download: InflightDownload, length: Int64?, repository: Repository, filename: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes"]
        var status = HTTPResponse.Status.ok
        var range: Range<Int64>? = nil
        if let length {
            if case .partial(let r) = ByteRange.resolve(header: request.headers[.range], size: length) {
                range = r
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(length)"
            }
            headers[.contentLength] = String(range.map { $0.upperBound - $0.lowerBound } ?? length)
        }
        let metadata = services.metadata
        let blobs = services.blobs
        let readRange = range
        let contentLength = range.map { Int($0.upperBound - $0.lowerBound) } ?? length.map(Int.init)
        let body = ResponseBody(contentLength: contentLength) { writer in
            let streamed = try await download.stream(range: readRange) { chunk in
                try await writer.write(chunk)
            }
            if !streamed {
                // Committed before we could read the staging file: serve the blob.
                guard let row = try await metadata.distribution(repository: repository.id, filename: filename),
                    let key = BlobKey(sha256: row.sha256)
                else { throw WheelhouseError(.internalError, "'\(filename)' vanished after its download") }
                try await blobs.read(key, range: readRange) { chunk in
                    try await writer.write(chunk)
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Streams a blob with `ETag`, immutable caching, `Range` and `HEAD`.
    ///
    /// Every caller found a row naming the blob, so missing bytes are a broken store: a logged 500
    /// before any byte is sent, never a 200 whose body stops short.
    func serveBlob(_ request: Request, key: BlobKey, contentType: String, size knownSize: Int64? = nil) async throws -> Response {
        var size = knownSize
        if size == nil { size = try await services.blobs.size(of: key) }
        guard let size else { throw missingBlob(key, "absent") }
        let etag = "\"\(key.sha256)\""
        var headers: HTTPFields = [
            .contentType: contentType,
            .eTag: etag,
            .acceptRanges: "bytes",
            .cacheControl: "public, max-age=31536000, immutable",
        ]
        if let inm = request.headers[.ifNoneMatch], SimpleRoutes.matches(ifNoneMatch: inm, etag: etag) {
            return Responses.empty(.notModified, headers: headers)
        }
        var status = HTTPResponse.Status.ok
        var range: Range<Int64>? = nil
        // If-Range with our strong validator: honour Range only if it still names this file (it always does).
        switch ByteRange.resolve(header: request.headers[.range], size: size) {
        case .full:
            break
        case .partial(let r):
            range = r
            status = .partialContent
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Responses.empty(.rangeNotSatisfiable, headers: headers)
        }
        let length = range.map { $0.upperBound - $0.lowerBound } ?? size
        headers[.contentLength] = String(length)
        if request.method == .head {
            return Response(status: status, headers: headers, body: .init())
        }
        if length <= Self.readFirstLimit {
            // Read whole before the head is sent: the same one thread-pool job (or cache hit) the
            // stream did for a small blob, and a missing blob is an error response, not a cut.
            let bytes = try await readWhole(key, range: range)
            guard bytes.readableBytes == length else { throw missingBlob(key, "\(bytes.readableBytes) bytes instead of \(length)") }
            return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
        }
        if knownSize != nil {
            // Large: one stat (cheap next to the transfer) so the answer is not a 200 with no bytes.
            guard let stored = try await services.blobs.size(of: key) else { throw missingBlob(key, "absent") }
            guard stored == size else { throw missingBlob(key, "\(stored) bytes instead of \(size)") }
        }
        let blobs = services.blobs
        let readRange = range
        let body = ResponseBody(contentLength: Int(length)) { writer in
            try await blobs.read(key, range: readRange) { chunk in
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Blobs up to this size are read before the response head (the filesystem store's single-job read).
    static let readFirstLimit: Int64 = 256 << 10

    func readWhole(_ key: BlobKey, range: Range<Int64>?) async throws -> ByteBuffer {
        var whole: ByteBuffer? = nil
        do {
            try await services.blobs.read(key, range: range) { chunk in
                if whole == nil { whole = chunk } else { whole!.writeImmutableBuffer(chunk) }
            }
        } catch let error as WheelhouseError where error.code == .notFound {
            throw missingBlob(key, "absent")
        } catch {
            services.logger.error("blob unreadable", metadata: ["wh.blob": "\(key.sha256)", "wh.error": "\(error)"])
            services.telemetry.blobStoreError("read")
            throw WheelhouseError(.internalError, "the stored bytes of this file cannot be read")
        }
        return whole ?? ByteBuffer()
    }

    /// A row names bytes the blob store does not have (or not all of them): logged, counted, 500.
    func missingBlob(_ key: BlobKey, _ what: String) -> WheelhouseError {
        services.logger.error("blob missing under an existing row", metadata: ["wh.blob": "\(key.sha256)", "wh.problem": "\(what)"])
        services.telemetry.blobStoreError("missing")
        return WheelhouseError(.internalError, "the stored bytes of this file are missing")
    }
}

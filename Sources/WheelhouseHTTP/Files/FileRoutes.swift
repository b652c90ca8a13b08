import Hummingbird
import WheelhouseCore

/// Distribution files and their core-metadata files: immutable, content-addressed, streamed.
struct FileRoutes {
    let services: WheelhouseServices
    static let metadataSuffix = ".metadata"

    func file(_ request: Request, repository: Repository, sha256: String, filename: String) async throws -> Response {
        guard let key = BlobKey(sha256: sha256) else { throw WheelhouseError.notFound("file not found") }
        let isMetadata = filename.hasSuffix(Self.metadataSuffix)
        let distFilename = isMetadata ? String(filename.dropLast(Self.metadataSuffix.count)) : filename
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
        return try await serveBlob(request, key: key, contentType: "application/octet-stream")
    }

    /// Streams a blob with `ETag`, immutable caching, `Range` and `HEAD`.
    func serveBlob(_ request: Request, key: BlobKey, contentType: String) async throws -> Response {
        guard let size = try await services.blobs.size(of: key) else {
            throw WheelhouseError.notFound("file bytes not found")
        }
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
        let blobs = services.blobs
        let readRange = range
        let body = ResponseBody(contentLength: Int(length)) { writer in
            try await blobs.read(key, range: readRange) { chunk in try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }
}

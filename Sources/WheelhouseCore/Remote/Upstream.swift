import NIOCore

/// Validators from a previous fetch, for a conditional request.
public struct PageValidators: Sendable, Equatable, Codable {
    public var etag: String?
    public var lastModified: String?
    public init(etag: String? = nil, lastModified: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// The result of asking an upstream for a project page.
public enum UpstreamPageResult: Sendable {
    case page(ProjectPage, PageValidators)
    /// 304: the stored page is still current.
    case notModified
    /// 404 (or 410): remembered for the repository's negative TTL.
    case notFound
}

/// The response head of an upstream file download.
public struct UpstreamFileHead: Sendable {
    public var status: Int
    public var contentLength: Int64?
    public init(status: Int, contentLength: Int64?) {
        self.status = status
        self.contentLength = contentLength
    }
}

/// An upstream simple index, as seen by a remote repository.
///
/// Implemented over AsyncHTTPClient (connection pooling, timeouts, redirects, HTTP/2 where offered);
/// tests drive the remote logic against a fake upstream process.
public protocol Upstream: Sendable {
    /// GET `{project}/` with pip's `Accept` list; conditional when `validators` are given.
    func fetchPage(project: String, validators: PageValidators?) async throws -> UpstreamPageResult
    /// Streams a file: `head` is called once with the final response (after redirects), then `body` per chunk.
    /// Throws `WheelhouseError` (.badGateway / .gatewayTimeout) when the upstream fails.
    func download(
        url: String, head: (UpstreamFileHead) async throws -> Void, body: (ByteBuffer) async throws -> Void
    ) async throws
    /// The size of a file without downloading it (for `HEAD` of an uncached file).
    func contentLength(url: String) async throws -> Int64?
}

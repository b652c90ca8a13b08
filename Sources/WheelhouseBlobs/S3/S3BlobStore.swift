import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import _NIOFileSystem
import WheelhouseCore

/// The cluster's blob store: one object per blob at `PREFIX/sha256/ab/cd/<sha256>` in an S3 bucket.
///
/// Only the core S3 API is used (PUT, GET with `Range`, HEAD, DELETE, multipart upload,
/// ListObjectsV2), signed with `SigV4`, so any S3-compatible engine works: AWS, Ceph's RADOS
/// Gateway, MinIO, Garage, SeaweedFS. S3 makes an object visible only once its PUT or
/// CompleteMultipartUpload succeeds, so a reader never sees a partial blob.
///
/// The credentials need `s3:ListBucket` on the bucket: without it S3 answers 403 instead of 404
/// for an absent key, and `size(of:)` cannot tell "absent" from "forbidden".
///
/// ```swift
/// let client = S3BlobStore.makeClient()
/// let store = try S3BlobStore(
///     configuration: S3BlobStore.configuration(url: "s3://wheels?endpoint=http://127.0.0.1:7480", environment: env),
///     client: client)
/// ```
public struct S3BlobStore: BlobStore {
    public let configuration: Configuration
    let client: HTTPClient
    let signer: SigV4
    /// `scheme://host[:port]`, with the bucket in the host for virtual-host style.
    let origin: String
    /// The `Host` header exactly as AsyncHTTPClient would send it: it is signed, so it must match.
    let hostHeader: String
    let fs = FileSystem.shared
    let health = EngineHealth()

    /// - Parameter client: shared and shut down by the owner (the composition root); see `makeClient()`.
    public init(configuration: Configuration, client: HTTPClient) throws {
        guard let endpoint = URLComponents(string: configuration.endpoint), let scheme = endpoint.scheme?.lowercased(),
            var host = endpoint.host, !host.isEmpty
        else {
            throw WheelhouseError(.internalError, "invalid S3 endpoint '\(configuration.endpoint)'")
        }
        if !configuration.pathStyle { host = configuration.bucket + "." + host }
        if host.contains(":") { host = "[\(host)]" }  // an IPv6 literal
        let defaultPort = scheme == "https" ? 443 : 80
        self.hostHeader = endpoint.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        self.origin = "\(scheme)://\(hostHeader)"
        self.configuration = configuration
        self.client = client
        self.signer = SigV4(credentials: configuration.credentials, region: configuration.region)
    }

    /// A client suited to S3: no redirects (a redirect means a wrong region or addressing style, and
    /// would not carry a valid signature anyway), no decompression, and a read timeout for liveness
    /// on long streams, whose deadline only covers the wait for the response head. AsyncHTTPClient
    /// retries a refused connection until the connect timeout, so that timeout is also how long a
    /// request waits before reporting an unreachable engine.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(60)),
            decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The object key of a blob: the configured prefix, then `sha256/ab/cd/<sha256>`.
    func objectKey(_ key: BlobKey) -> String { configuration.prefix + key.path }

    public func put(_ key: BlobKey, contentsOfFile path: String) async throws {
        if try await size(of: key) == nil {
            guard let info = try await fs.info(forFileAt: FilePath(path)) else {
                throw WheelhouseError(.internalError, "staging file \(path) for blob \(key.sha256) is missing")
            }
            if info.size >= configuration.multipartThreshold {
                try await putMultipart(key, path: path, size: info.size)
            } else {
                try await putSingle(key, path: path, size: info.size)
            }
        }
        // The filesystem store moves the file away; do the same so callers never leak staging files.
        _ = try? await fs.removeItem(at: FilePath(path))
    }

    /// One PUT streamed from the file. The payload hash signed is the blob's own address: S3 hashes
    /// the bytes it receives and refuses them if they differ, so a blob can never land under a wrong key.
    func putSingle(_ key: BlobKey, path: String, size: Int64) async throws {
        let operation = Operation(method: .PUT, object: objectKey(key), payloadHash: key.sha256)
        try await withRetries {
            try await fs.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let body = HTTPClientRequest.Body.stream(handle.readChunks(chunkLength: .kibibytes(512)), length: .known(size))
                let response = try await execute(operation, body: body, timeout: Self.uploadTimeout(bytes: size))
                try await expect(response, [200], operation)
            }
        }
    }

    public func put(_ key: BlobKey, bytes: [UInt8]) async throws {
        if try await size(of: key) != nil { return }
        let operation = Operation(method: .PUT, object: objectKey(key), payloadHash: key.sha256)
        try await withRetries {
            let response = try await execute(operation, body: .bytes(bytes), timeout: Self.uploadTimeout(bytes: Int64(bytes.count)))
            try await expect(response, [200], operation)
        }
    }

    public func size(of key: BlobKey) async throws -> Int64? {
        let operation = Operation(method: .HEAD, object: objectKey(key))
        return try await withRetries { () async throws -> Int64? in
            let response = try await execute(operation, timeout: .seconds(30))
            if response.status.code == 404 {
                try await drain(response, operation)
                return nil
            }
            try await expect(response, [200], operation)
            guard let length = response.headers.first(name: "Content-Length").flatMap(Int64.init) else {
                throw WheelhouseError(.internalError, "S3 HEAD \(what(operation)) answered without a Content-Length")
            }
            return length
        }
    }

    public func read(_ key: BlobKey, range: Range<Int64>?, into body: (ByteBuffer) async throws -> Void) async throws {
        if let range, range.isEmpty {
            // HTTP cannot ask for zero bytes; like the filesystem store, still fail when the blob is absent.
            guard try await size(of: key) != nil else { throw WheelhouseError.notFound("blob \(key.sha256) not found") }
            return
        }
        var operation = Operation(method: .GET, object: objectKey(key))
        if let range { operation.headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")) }
        // Retries happen only before the first byte reaches `body`; after that a failure is final.
        let response = try await withRetries { () async throws -> HTTPClientResponse? in
            let response = try await execute(operation, timeout: .seconds(60))
            switch response.status.code {
            case 200 where range == nil, 206 where range != nil:
                return response
            case 404:
                try await drain(response, operation)
                throw WheelhouseError.notFound("blob \(key.sha256) not found")
            case 416:
                // The range starts at or past the end: the filesystem store yields no bytes then, and so do we.
                try await drain(response, operation)
                return nil
            case 200:
                try await drain(response, operation)
                throw WheelhouseError(.internalError, "S3 GET \(what(operation)) ignored the Range header")
            default:
                try await expect(response, [], operation)
                return nil
            }
        }
        guard let response else { return }
        var chunks = response.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            // Errors from `body` (the reader went away) pass through untouched; only the stream's own are mapped.
            do { chunk = try await chunks.next() } catch { throw connectionFailure(error, operation) }
            guard let chunk else { return }
            try await body(chunk)
        }
    }

    public func delete(_ key: BlobKey) async throws {
        let operation = Operation(method: .DELETE, object: objectKey(key))
        try await withRetries {
            let response = try await execute(operation, timeout: .seconds(30))
            // S3 answers 204 for an absent key too; some engines say 404. Either way it is gone.
            try await expect(response, [200, 204, 404], operation)
        }
    }

    /// Readiness. Under load every connection of the client's pool may be busy streaming blobs and a
    /// HEAD would queue behind them for seconds: a load balancer would then take a busy, healthy node
    /// out of rotation (measured: 2.9 s with 32 streams of a 50 MiB file). So a request of ours that the
    /// engine answered in the last `EngineHealth.window` counts as the answer; only an idle or failing
    /// store is asked again.
    public func ping() async throws {
        if health.answeredRecently() { return }
        let operation = Operation(method: .HEAD, object: nil)
        // Readiness probes expect an answer within seconds; a healthy engine answers this in milliseconds.
        let response = try await execute(operation, timeout: .seconds(5))
        try await expect(response, [200], operation)
    }

    /// A deadline for uploading `bytes` that only a stalled or very slow link (under 256 KiB/s) misses.
    static func uploadTimeout(bytes: Int64) -> TimeAmount {
        .seconds(60 + bytes / (256 << 10))
    }
}

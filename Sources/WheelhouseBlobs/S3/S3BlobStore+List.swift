import Foundation
import NIOCore
import NIOHTTP1
import WheelhouseCore

extension S3BlobStore {
    /// One page of a listing (ListObjectsV2).
    public typealias Listing = BlobListing

    public func listBlobs(continuation: String?) async throws -> BlobListing {
        try await list(continuation: continuation)
    }

    /// Lists blobs page by page, for gc.
    ///
    /// ```swift
    /// var continuation: String? = nil
    /// repeat {
    ///     let page = try await store.list(continuation: continuation)
    ///     for entry in page.entries { … }
    ///     continuation = page.continuation
    /// } while continuation != nil
    /// ```
    /// - Parameters:
    ///   - prefix: below the store's own prefix, e.g. `sha256/ab/` to list one fan-out directory.
    ///   - continuation: the previous page's `continuation`, or nil to start.
    ///   - limit: at most this many objects a page (S3 caps it at 1000).
    public func list(prefix: String = "", continuation: String? = nil, limit: Int = 1000) async throws -> Listing {
        var query: [(name: String, value: String)] = [
            ("list-type", "2"), ("prefix", configuration.prefix + prefix), ("max-keys", String(max(1, min(limit, 1000)))),
        ]
        if let continuation { query.append(("continuation-token", continuation)) }
        let operation = Operation(method: .GET, object: nil, query: query)
        let body = try await withRetries {
            let response = try await execute(operation, timeout: .seconds(60))
            guard response.status.code == 200 else {
                try await expect(response, [200], operation)
                return ""
            }
            return try await collect(response, operation)
        }

        var entries: [Listing.Entry] = []
        for block in S3XML.blocks(of: "Contents", in: body[...]) {
            guard let name = S3XML.value(of: "Key", in: block), let key = blobKey(object: name),
                let size = S3XML.value(of: "Size", in: block).flatMap(Int64.init)
            else { continue }
            entries.append(.init(key: key, size: size, lastModified: S3XML.value(of: "LastModified", in: block).flatMap(Self.timestamp)))
        }
        var next: String? = nil
        if S3XML.value(of: "IsTruncated", in: body) == "true" {
            guard let token = S3XML.value(of: "NextContinuationToken", in: body), !token.isEmpty else {
                throw WheelhouseError(.internalError, "S3 ListObjectsV2 on \(configuration.bucket) is truncated but gave no continuation token")
            }
            next = token
        }
        return Listing(entries: entries, continuation: next)
    }

    /// The blob an object key names, if it is exactly `PREFIX/sha256/ab/cd/<sha256>`.
    func blobKey(object: String) -> BlobKey? {
        guard object.hasPrefix(configuration.prefix), let sha = object.split(separator: "/").last,
            let key = BlobKey(sha256: String(sha)), objectKey(key) == object
        else { return nil }
        return key
    }

    /// S3's `2009-10-12T17:50:30.000Z` (fractional seconds optional).
    static func timestamp(_ text: String) -> Date? {
        let fields = text.split(whereSeparator: { "-T:.Z".contains($0) }).map { Int($0) }
        guard fields.count >= 6, fields.allSatisfy({ $0 != nil }) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(fields[0]! - 1900)
        parts.tm_mon = Int32(fields[1]! - 1)
        parts.tm_mday = Int32(fields[2]!)
        parts.tm_hour = Int32(fields[3]!)
        parts.tm_min = Int32(fields[4]!)
        parts.tm_sec = Int32(fields[5]!)
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}

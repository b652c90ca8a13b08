import Foundation
import NIOCore

/// A content address: blobs are named by the sha256 of their bytes.
public struct BlobKey: Hashable, Sendable, CustomStringConvertible {
    public let sha256: String

    /// - Precondition: `sha256` is 64 lower-case hex digits (checked by `init?(sha256:)`).
    public init?(sha256: String) {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        self.sha256 = sha256
    }

    /// `sha256/ab/cd/abcd…`: two levels of fan-out keep directories and S3 listings small.
    public var path: String {
        let u = Array(sha256.utf8)
        return "sha256/\(String(decoding: u[0..<2], as: UTF8.self))/\(String(decoding: u[2..<4], as: UTF8.self))/\(sha256)"
    }

    public var description: String { path }
}

/// Immutable, content-addressed byte storage: the filesystem (embedded) or S3 (cluster).
///
/// A blob is written once, whole, under its final name only after all its bytes are durable,
/// so a reader never sees a partial blob.
public protocol BlobStore: Sendable {
    /// Stores the bytes of a local file (a staging file the caller wrote and hashed) under `key`.
    /// The store may move the file; the caller must not use it afterwards. Storing an existing key is a no-op.
    func put(_ key: BlobKey, contentsOfFile path: String) async throws
    /// Stores a small byte array (core-metadata files).
    func put(_ key: BlobKey, bytes: [UInt8]) async throws
    /// The blob's size, or nil when absent.
    func size(of key: BlobKey) async throws -> Int64?
    /// The size of the bytes in the store itself, past any cache in front of it: what a writer
    /// must check before a row may name a blob.
    func storedSize(of key: BlobKey) async throws -> Int64?
    /// Streams the blob (or `range` of it) in chunks to `body`. Throws when absent.
    func read(_ key: BlobKey, range: Range<Int64>?, into body: (ByteBuffer) async throws -> Void) async throws
    func delete(_ key: BlobKey) async throws
    /// Answers when the store is usable (readiness).
    func ping() async throws
    /// One page of the stored blobs in key order, for the garbage collector: start with nil, then
    /// pass the previous page's `continuation` until it is nil.
    func listBlobs(continuation: String?) async throws -> BlobListing
}

/// A page of a blob store's listing.
public struct BlobListing: Sendable {
    public struct Entry: Sendable, Hashable {
        public var key: BlobKey
        public var size: Int64
        /// When the bytes were stored; the collector leaves young blobs alone.
        public var lastModified: Date?

        public init(key: BlobKey, size: Int64, lastModified: Date?) {
            self.key = key
            self.size = size
            self.lastModified = lastModified
        }
    }

    /// The blobs on this page, in key order; objects that are not blobs are left out.
    public var entries: [Entry]
    /// Pass to the next call; nil on the last page.
    public var continuation: String?

    public init(entries: [Entry], continuation: String?) {
        self.entries = entries
        self.continuation = continuation
    }
}

extension BlobStore {
    public func storedSize(of key: BlobKey) async throws -> Int64? {
        try await size(of: key)
    }

    /// Reads a small blob whole (core-metadata files); refuses anything over `limit` bytes.
    public func bytes(of key: BlobKey, limit: Int = 16 << 20) async throws -> [UInt8] {
        var out: [UInt8] = []
        try await read(key, range: nil) { chunk in
            guard out.count + chunk.readableBytes <= limit else {
                throw WheelhouseError(.internalError, "blob \(key.sha256) larger than \(limit) bytes")
            }
            out.append(contentsOf: chunk.readableBytesView)
        }
        return out
    }
}

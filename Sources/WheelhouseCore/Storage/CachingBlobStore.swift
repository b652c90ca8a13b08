import Foundation
import NIOCore

/// A per-node memory cache of small blobs in front of a `BlobStore`: most files an index serves are
/// small (`.metadata` files, pure-Python wheels), and each one read from the store cost a thread-pool
/// job (files) or a request to S3. Blobs are content-addressed and never change, so an entry never
/// goes stale; a blob is reached only through a row that names it, so a deleted file's bytes are
/// never served from here either.
///
/// Only whole blobs of at most `maxItem` bytes that were read to the end are kept (a failed or
/// ranged read stores nothing). The memory bound is `budget` bytes of blob contents, in two
/// generations: new entries and hits go to the young one; when it reaches half the budget it becomes
/// the old one and the previous old one is dropped, so what is used stays and the rest ages out
/// in O(1) per operation.
public final class CachingBlobStore: BlobStore, @unchecked Sendable {
    // @unchecked: the tables are only touched under `lock`.
    public let base: any BlobStore
    public let budget: Int
    public let maxItem: Int
    private let lock = NSLock()
    private var young: [String: ByteBuffer] = [:]
    private var youngBytes = 0
    private var old: [String: ByteBuffer] = [:]

    public init(_ base: any BlobStore, budget: Int = 16 << 20, maxItem: Int = 64 << 10) {
        self.base = base
        self.budget = max(0, budget)
        self.maxItem = min(max(0, maxItem), self.budget / 2)
    }

    /// The cached bytes of a blob, if any (a hit in the old generation moves it to the young one).
    func cached(_ sha256: String) -> ByteBuffer? {
        lock.withLock {
            if let hit = young[sha256] { return hit }
            guard let hit = old.removeValue(forKey: sha256) else { return nil }
            insertLocked(sha256, hit)
            return hit
        }
    }

    /// Blob contents held, in bytes (at most `budget`).
    public var heldBytes: Int { lock.withLock { youngBytes + old.values.reduce(0) { $0 + $1.readableBytes } } }

    private func store(_ sha256: String, _ bytes: ByteBuffer) {
        guard bytes.readableBytes <= maxItem, budget > 0 else { return }
        // An exact-size copy: a chunk may be a slice of a larger buffer (an HTTP client's read),
        // which would keep all of it alive.
        var exact = ByteBufferAllocator().buffer(capacity: bytes.readableBytes)
        exact.writeImmutableBuffer(bytes)
        lock.withLock { insertLocked(sha256, exact) }
    }

    private func insertLocked(_ sha256: String, _ bytes: ByteBuffer) {
        guard young[sha256] == nil else { return }
        if youngBytes + bytes.readableBytes > budget / 2 {
            old = young
            young = [:]
            youngBytes = 0
        }
        young[sha256] = bytes
        youngBytes += bytes.readableBytes
    }

    private func forget(_ sha256: String) {
        lock.withLock {
            if let gone = young.removeValue(forKey: sha256) { youngBytes -= gone.readableBytes }
            old.removeValue(forKey: sha256)
        }
    }

    // MARK: BlobStore

    public func read(_ key: BlobKey, range: Range<Int64>?, into body: (ByteBuffer) async throws -> Void) async throws {
        if let whole = cached(key.sha256) {
            let size = Int64(whole.readableBytes)
            let lower = Int(min(max(range?.lowerBound ?? 0, 0), size))
            let upper = Int(min(max(range?.upperBound ?? size, Int64(lower)), size))
            if upper > lower, let slice = whole.getSlice(at: whole.readerIndex + lower, length: upper - lower) {
                try await body(slice)
            }
            return
        }
        // Collect a whole read while it stays small enough to keep; stop collecting past that.
        var collecting = range == nil && budget > 0
        var collected = ByteBuffer()
        try await base.read(key, range: range) { chunk in
            if collecting {
                if collected.readableBytes + chunk.readableBytes > maxItem {
                    collecting = false
                    collected = ByteBuffer()
                } else if collected.readableBytes == 0 {
                    collected = chunk
                } else {
                    collected.writeImmutableBuffer(chunk)
                }
            }
            try await body(chunk)
        }
        if collecting { store(key.sha256, collected) }
    }

    public func size(of key: BlobKey) async throws -> Int64? {
        if let hit = cached(key.sha256) { return Int64(hit.readableBytes) }
        return try await base.size(of: key)
    }

    public func storedSize(of key: BlobKey) async throws -> Int64? {
        try await base.storedSize(of: key)
    }

    public func put(_ key: BlobKey, contentsOfFile path: String) async throws {
        try await base.put(key, contentsOfFile: path)
    }

    public func put(_ key: BlobKey, bytes: [UInt8]) async throws {
        try await base.put(key, bytes: bytes)
    }

    public func delete(_ key: BlobKey) async throws {
        forget(key.sha256)
        try await base.delete(key)
    }

    public func ping() async throws {
        try await base.ping()
    }

    public func listBlobs(continuation: String?) async throws -> BlobListing {
        try await base.listBlobs(continuation: continuation)
    }
}
